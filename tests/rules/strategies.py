"""Hypothesis strategies: random conditions, rule sets and orders over a small fact domain.

Domains are small on purpose so that random orders often hit the random
comparisons' boundaries (equal values, missing facts, empty lines).
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from rules.compile import compile_problem
from rules.model import AllOf, AnyOf, Compare, Condition, LineScope, Not, Op, Outputs, Review, Rule, RuleSet, Scope

TEXT = st.one_of(
    st.text(alphabet="ab.%*[-é中 ", min_size=1, max_size=3),
    # Small alphabets with repeats: overlapping patterns ("000" in "0000") that durable_rules' matcher missed.
    st.text(alphabet="01", min_size=1, max_size=6),
    st.text(alphabet="ab", min_size=1, max_size=5),
)
# Values on and next to each other, from 1e-12 to 1e15: the engine sees each constant and each value.
SHARES = sorted({0.0, 5e-324, 1e-12, 1e-7, 1e-5, 0.25, math.nextafter(0.25, 0), math.nextafter(0.25, 1), 0.5, 1.0})
AMOUNTS = [0, 1, 2, 5, 10**12, 10**15 - 1, 10**15, 10**15 + 1, 2**53, 2**53 + 1]
ORDER_FACTS: dict[str, tuple[str, Any]] = {
    "total_minor": ("int", st.sampled_from(AMOUNTS)),
    "customer.return_rate": ("num", st.sampled_from(SHARES)),
    "customer.tier": ("enum", st.sampled_from(["REGULAR", "PLUS", "VIP"])),
    "is_cross_border": ("bool", st.booleans()),
    "payment_method": ("text", TEXT),
    "attributes.k": ("text", TEXT),
    "tags": ("list", TEXT),
}
LINE_FACTS: dict[str, tuple[str, Any]] = {
    "qty": ("int", st.integers(1, 4)),
    "category": ("text", TEXT),
    "hazmat": ("bool", st.booleans()),
    "inventory_type": ("enum", st.sampled_from(["PHYSICAL", "VIRTUAL", "PRESALE"])),
}
OPS = {
    "int": [
        Op.EQUALS,
        Op.NOT_EQUALS,
        Op.IN,
        Op.NOT_IN,
        Op.GT,
        Op.GTE,
        Op.LT,
        Op.LTE,
        Op.BETWEEN,
        Op.EXISTS,
        Op.NOT_EXISTS,
    ],
    "enum": [Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN, Op.EXISTS, Op.NOT_EXISTS],
    "bool": [Op.EQUALS, Op.NOT_EQUALS, Op.EXISTS, Op.NOT_EXISTS],
    "text": [Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN, Op.CONTAINS, Op.STARTS_WITH, Op.EXISTS],
    "list": [Op.CONTAINS],
}
OPS["num"] = OPS["int"]


@st.composite
def comparisons(draw: st.DrawFn, facts: dict[str, tuple[str, Any]]) -> Compare:
    fact = draw(st.sampled_from(sorted(facts)))
    kind, values = facts[fact]
    op = draw(st.sampled_from(OPS[kind]))
    if op in (Op.EXISTS, Op.NOT_EXISTS):
        return Compare(fact, op, None)
    if op in (Op.IN, Op.NOT_IN):
        return Compare(fact, op, tuple(draw(st.lists(values, min_size=1, max_size=3, unique=True))))
    if op is Op.BETWEEN:
        low, high = sorted(draw(st.lists(values, min_size=2, max_size=2)))
        return Compare(fact, op, (low, high))
    return Compare(fact, op, draw(values))


def conditions(facts: dict[str, tuple[str, Any]], allow_scopes: bool) -> st.SearchStrategy[Condition]:
    leaves: st.SearchStrategy[Condition] = comparisons(facts)
    if allow_scopes:
        scoped = st.builds(LineScope, st.sampled_from(list(Scope)), conditions(LINE_FACTS, allow_scopes=False))
        leaves = st.one_of(leaves, scoped)

    def extend(children: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
        items = st.lists(children, min_size=1, max_size=3).map(tuple)
        return st.one_of(st.builds(AllOf, items), st.builds(AnyOf, items), st.builds(Not, children))

    return st.recursive(leaves, extend, max_leaves=6)


EXPRESSIBLE = conditions(ORDER_FACTS, allow_scopes=True).filter(lambda c: compile_problem(c) is None)

DEFAULT = Rule(
    "default",
    2**31,
    None,
    Outputs(path="STANDARD", warehouse="DC", risk_review=Review.STANDARD, credit_review=Review.STANDARD),
)


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    whens = draw(st.lists(EXPRESSIBLE, min_size=1, max_size=6))
    rules = tuple(Rule(f"rule-{i}", i, when, Outputs(tags=(f"t{i}",))) for i, when in enumerate(whens))
    return RuleSet("random", rules, DEFAULT)


def _maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values)


@st.composite
def orders(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {"order_id": "o-1"}
    for fact in ("total_minor", "is_cross_border", "payment_method"):
        value = draw(_maybe(ORDER_FACTS[fact][1]))
        if value is not None:
            doc[fact] = value
    customer = {}
    for name in ("return_rate", "tier"):
        value = draw(_maybe(ORDER_FACTS[f"customer.{name}"][1]))
        if value is not None:
            customer[name] = value
    if customer or draw(st.booleans()):
        doc["customer"] = customer
    attribute = draw(_maybe(TEXT))
    if attribute is not None:
        doc["attributes"] = {"k": attribute}
    tags = draw(st.lists(TEXT, max_size=3))
    if tags:
        doc["tags"] = tags
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        line = {}
        for name, (_, values) in LINE_FACTS.items():
            value = draw(_maybe(values))
            if value is not None:
                line[name] = value
        lines.append(line)
    if lines:
        doc["lines"] = lines
    return doc
