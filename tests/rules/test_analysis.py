"""The safety analysis (never fires, shadowed, same-priority conflicts) finds exactly what
comparing every pair of rules finds, in about linear time, and its answer stays small."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

import rules
from rules.analysis import (
    MAX_NAMED_CONFLICTS,
    MAX_WARNINGS,
    _adds_nothing,
    _conjuncts,
    _contradiction,
    _equals_values,
    analyse,
)
from rules.model import SINGLE_FIELDS, AllOf, Compare, Op, Outputs, Rule, RuleSet
from tests.rules.strategies import DEFAULT

DEFAULT_LINE = "default: {then: {path: STANDARD, risk_review: STANDARD, credit_review: STANDARD, warehouse: DC}}\n"


def pairwise(rule_set: RuleSet) -> list[tuple[str, str, str]]:
    """The analysis as a comparison of every pair: (code, rule, first earlier rule or count)."""
    found = []
    listed = rule_set.rules
    for index, rule in enumerate(listed):
        parts = _conjuncts(rule.when)
        if _contradiction(parts):
            found.append(("never-fires", rule.id, ""))
            continue
        for earlier in listed[:index]:
            if all(p in parts for p in _conjuncts(earlier.when)) and _adds_nothing(rule, earlier):
                found.append(("shadowed", rule.id, earlier.id))
                break
        conflicting = [
            e.id
            for e in listed[:index]
            if e.priority == rule.priority and _overlap(e, rule) and any(_differs(e, rule, f) for f in SINGLE_FIELDS)
        ]
        if conflicting:
            more = min(len(conflicting) - 1, MAX_NAMED_CONFLICTS)
            found.append(("same-priority-conflict", rule.id, f"{conflicting[0]}+{more}"))
    return found


def _overlap(a: Rule, b: Rule) -> bool:
    ours, theirs = _equals_values(_conjuncts(a.when)), _equals_values(_conjuncts(b.when))
    return all(ours[fact] & theirs[fact] for fact in ours.keys() & theirs.keys())


def _differs(a: Rule, b: Rule, name: str) -> bool:
    x, y = getattr(a.then, name), getattr(b.then, name)
    return x is not None and y is not None and x != y


def summarised(rule_set: RuleSet) -> list[tuple[str, str, str]]:
    out = []
    for d in analyse(rule_set):
        detail = ""
        if d.code == "shadowed":
            detail = d.message.split("'")[1]
        elif d.code == "same-priority-conflict":
            more = d.message.split("(and ")[1].removeprefix("at least ").split(" ")[0] if "(and " in d.message else "0"
            detail = d.message.split("'")[1] + f"+{more}"
        out.append((d.code, d.rule_id, detail))
    return out


comparison = st.one_of(
    st.builds(
        Compare, st.sampled_from(["customer.tier", "payment_method"]), st.just(Op.EQUALS), st.sampled_from("abc")
    ),
    st.builds(
        Compare,
        st.sampled_from(["customer.tier", "payment_method"]),
        st.just(Op.IN),
        st.lists(st.sampled_from("abc"), min_size=1, max_size=2, unique=True).map(tuple),
    ),
    st.builds(Compare, st.just("total_minor"), st.sampled_from([Op.GT, Op.LT]), st.sampled_from([1, 5])),
)
condition = st.one_of(comparison, st.lists(comparison, min_size=1, max_size=3).map(lambda c: AllOf(tuple(c))))
outputs = st.builds(
    Outputs,
    path=st.sampled_from([None, "EXPRESS", "STANDARD"]),
    warehouse=st.sampled_from([None, "DC", "FWD"]),
    tags=st.sampled_from([(), ("x",)]),
)


@st.composite
def conflicting_rule_sets(draw: st.DrawFn) -> RuleSet:
    drawn = draw(st.lists(st.tuples(st.sampled_from([1, 2]), condition, outputs), min_size=1, max_size=20))
    listed = tuple(Rule(f"r{i}", priority, when, then) for i, (priority, when, then) in enumerate(drawn))
    return RuleSet("random", tuple(sorted(listed, key=lambda r: r.priority)), DEFAULT)


@settings(max_examples=400, deadline=None)
@given(conflicting_rule_sets())
def test_the_indexed_analysis_finds_what_comparing_every_pair_finds(rule_set: RuleSet) -> None:
    assert summarised(rule_set) == pairwise(rule_set)


def test_a_thousand_rules_at_one_priority_are_analysed_quickly_with_a_capped_answer() -> None:
    distinct = "".join(
        f"  - id: r{i}\n    priority: 5\n    when: {{order_id: {{equals: o{i}}}}}\n    then: {{path: P{i % 7}}}\n"
        for i in range(1_000)
    )
    overlapping = "".join(
        f"  - id: r{i}\n    priority: 5\n    when: {{total_minor: {{at_least: {i}}}}}\n    then: {{path: P{i % 7}}}\n"
        for i in range(1_000)
    )
    for body in (distinct, overlapping):
        source = "name: many\nrules:\n" + body + DEFAULT_LINE
        rule_set, _ = rules.parse_rule_set(source)
        assert rule_set is not None
        started = time.perf_counter()
        warnings = analyse(rule_set)
        assert time.perf_counter() - started < 2.0
        assert len(warnings) <= MAX_WARNINGS + 1
    assert warnings[-1].code == "more-warnings" and "899 more warnings" in warnings[-1].message
