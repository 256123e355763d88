"""A logged decision as the console shows it: what was decided and by which rule, the order's inputs as
logged (masked paths marked), and every rule's trace test by test, in the page's language."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb

from rules.facts import LINE_FACTS, ORDER_FACTS
from rules.model import AllOf, AnyOf, Compare, Condition, LineScope, Not, RuleSet
from rules.wording import OUTPUT_LABELS, comparison_words, fact_label
from service.console.i18n import Language
from service.console.pages import when
from service.console.trials import DECISION_FIELDS

HASHED_PREFIX = "hmac:"
"""How the input log marks a value it replaced by its keyed hash (service.app.masking)."""


@dataclass(frozen=True, slots=True)
class DecidedField:
    label: str
    field: str
    value: str
    decided_by: str


@dataclass(frozen=True, slots=True)
class FactLine:
    path: str
    label: str
    value: str
    masked: str
    """"" (logged as given), "hashed" (its keyed hash was logged) or "dropped" (not logged)."""


@dataclass(frozen=True, slots=True)
class FactList:
    """A list of records among the inputs (the order's lines, its candidate warehouses): a row each."""

    path: str
    columns: tuple[tuple[str, str, str], ...]
    """(name, masked: "", "hashed" or "dropped", the fact's description for a line's fact)."""
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class TestLine:
    fact: str
    label: str
    test: str
    """The test in words, in the page's language ("at least 3")."""
    scope: str
    """"" on the order; any_line, all_lines or no_line."""
    negated: bool
    value: str
    """The order's value in words ("unknown" when the order lacks it; each line's for a line scope)."""
    held: str
    """yes, no or unknown."""
    missing: bool


@dataclass(frozen=True, slots=True)
class TracedRule:
    rule_id: str
    priority: int
    is_default: bool
    matched: str
    """yes, no or unknown."""
    decided: str
    """The labels of the fields it decided ("" when none)."""
    tests: tuple[TestLine, ...]


@dataclass(frozen=True, slots=True)
class LoggedDecision:
    decision_id: str
    order_id: str
    rule_set: str
    version: int
    content_hash: str
    at: str
    experiment_id: str
    arm: str
    """baseline or candidate ("" outside an experiment)."""
    decided: tuple[DecidedField, ...]
    matched: tuple[str, ...]
    default_rule_used: bool
    missing: tuple[str, ...]
    masked: tuple[FactLine, ...]
    facts: tuple[FactLine, ...]
    lists: tuple[FactList, ...]
    rules: tuple[TracedRule, ...]
    disagreements: tuple[str, ...]


TRUTH = {pb.TRUTH_TRUE: "yes", pb.TRUTH_FALSE: "no", pb.TRUTH_UNKNOWN: "unknown"}


def logged_decision(d: pb.ExplainedDecision, rule_set: RuleSet | None, lang: Language) -> LoggedDecision:
    """A logged decision as the page shows it; `rule_set` (the version that made it) words its tests in
    the page's language."""
    deciders: dict[str, list[str]] = {}
    for r in d.rules:
        for name in r.decided:
            deciders.setdefault(name, []).append(r.rule_id)
    logged = json.loads(d.decided_json or "{}")
    decided = tuple(
        DecidedField(
            lang.gettext(OUTPUT_LABELS[f]), f, value_words(logged.get(f), lang), ", ".join(deciders.get(f, []))
        )
        for f in DECISION_FIELDS
        if f in logged
    )
    facts, lists = _inputs(json.loads(d.inputs_json or "{}"), frozenset(d.masked), lang)
    masked = tuple(_masked_line(path, facts, lists, lang) for path in d.masked)
    worded = _test_words(rule_set, lang) if rule_set is not None else {}
    missing = frozenset(d.missing_facts)
    rules = []
    for i, r in enumerate(d.rules):
        labels = ", ".join(lang.gettext(OUTPUT_LABELS.get(f, f)) for f in r.decided)
        words = worded.get(r.rule_id, ())
        if [fact for fact, _ in words] != [t.fact for t in r.tests]:
            words = tuple((t.fact, t.test) for t in r.tests)  # the version reads otherwise: the service's words
        tests = tuple(
            _test_line(t, test, missing, frozenset(d.masked), lang) for t, (_, test) in zip(r.tests, words, strict=True)
        )
        is_default = i == len(d.rules) - 1 and not r.tests
        rules.append(TracedRule(r.rule_id, r.priority, is_default, TRUTH.get(r.matched, "unknown"), labels, tests))
    return LoggedDecision(
        d.decision_id,
        d.order_id,
        d.rule_set,
        d.version,
        d.content_hash[:19],
        when(d.decided_at, lang),
        d.experiment_id,
        {pb.ARM_BASELINE: "baseline", pb.ARM_CANDIDATE: "candidate"}.get(d.arm, ""),
        decided,
        tuple(d.matched_rules),
        d.default_rule_used,
        tuple(d.missing_facts),
        masked,
        facts,
        lists,
        tuple(rules),
        tuple(d.disagreements),
    )


def _test_line(
    t: pb.TestExplanation, test: str, missing: frozenset[str], masked: frozenset[str], lang: Language
) -> TestLine:
    """A test's line; the order's value as the engine saw it: a fact it lacked is marked missing (as the
    decision logged them), one the log masked says so, and one merely not given (no tags) is "–"."""
    value = json.loads(t.value_json or "null")
    path = f"lines.{t.fact}" if t.scope else t.fact
    lacking = path in missing
    if t.scope:
        lines = value if isinstance(value, list) else []
        shown = "; ".join(value_words(v, lang) for v in lines) or lang.gettext("no lines")
        absent = bool(lines) and all(v is None for v in lines)
    else:
        shown, absent = value_words(value, lang), value is None
    if absent and path in masked:
        shown = lang.gettext("masked: not logged")
    elif absent and not lacking:
        shown = "–"
    held = TRUTH.get(t.held, "unknown")
    return TestLine(t.fact, fact_label(t.fact, lang), test, t.scope, t.negated, shown, held, lacking)


def _test_words(rule_set: RuleSet, lang: Language) -> dict[str, tuple[tuple[str, str], ...]]:
    """Rule id -> its tests as (fact, words), in the order rules.explain traces them."""
    return {
        rule.id: tuple(_compares(rule.when, lang)) if rule.when is not None else ()
        for rule in (*rule_set.rules, rule_set.default)
    }


def _compares(condition: Condition, lang: Language) -> Iterator[tuple[str, str]]:
    match condition:
        case Compare():
            yield condition.fact, comparison_words(condition, lang)
        case AllOf(items) | AnyOf(items):
            for item in items:
                yield from _compares(item, lang)
        case Not(item) | LineScope(_, item):
            yield from _compares(item, lang)


def value_words(value: Any, lang: Language) -> str:
    """A logged value as the page writes it: "unknown" for none, yes / no, numbers for the language."""
    if value is None:
        return lang.gettext("unknown")
    if isinstance(value, bool):
        return lang.gettext("yes") if value else lang.gettext("no")
    if isinstance(value, int | float):
        return lang.number(value, 6)
    if isinstance(value, list):
        return ", ".join(value_words(v, lang) for v in value) or "–"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value) if value != "" else "–"


def _inputs(
    facts: Mapping[str, Any], masked: frozenset[str], lang: Language
) -> tuple[tuple[FactLine, ...], tuple[FactList, ...]]:
    """The order's facts as logged, a line each (dotted paths), and its lists of records as tables."""
    lines: list[FactLine] = []
    lists: list[FactList] = []
    for path, value in _flattened(facts, ""):
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lists.append(_fact_list(path, value, masked, lang))
            continue
        mark = _mark(path, [value]) if path in masked else ""
        lines.append(FactLine(path, label_of(path, lang), value_words(value, lang), mark))
    return tuple(lines), tuple(lists)


def _flattened(value: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for key, inner in value.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(inner, dict):
            yield from _flattened(inner, path)
        else:
            yield path, inner


def _fact_list(path: str, records: Sequence[Mapping[str, Any]], masked: frozenset[str], lang: Language) -> FactList:
    names: list[str] = []
    for record in records:
        names += [k for k in record if k not in names]
    columns = tuple(
        (
            name,
            _mark(f"{path}.{name}", [r.get(name) for r in records]) if f"{path}.{name}" in masked else "",
            label_of(f"{path}.{name}", lang) if path == "lines" else "",
        )
        for name in names
    )
    rows = tuple(tuple(_cell(r.get(name)) for name in names) for r in records)
    return FactList(path, columns, rows)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _mark(path: str, values: Sequence[Any]) -> str:
    return "hashed" if any(isinstance(v, str) and v.startswith(HASHED_PREFIX) for v in values) else "dropped"


def _masked_line(path: str, facts: Sequence[FactLine], lists: Sequence[FactList], lang: Language) -> FactLine:
    """A masked path as the page lists it: hashed (its hash is among the inputs) or dropped."""
    shown = next((f for f in facts if f.path == path), None)
    if shown is not None:
        return shown
    head, _, name = path.rpartition(".")
    column = next((mark for lst in lists if lst.path == head for n, mark, _ in lst.columns if n == name), "dropped")
    return FactLine(path, label_of(path, lang), "", column)


def label_of(path: str, lang: Language) -> str:
    name = path.removeprefix("lines.")
    if path in ORDER_FACTS or path.startswith("attributes.") or (path.startswith("lines.") and name in LINE_FACTS):
        return fact_label(name, lang)
    return ""
