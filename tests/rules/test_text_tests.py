"""contains and starts_with mean Python's `in` and `startswith`, exactly: checked exhaustively over a
two-letter alphabet (durable_rules' own matcher missed "000" in "0000", 120 of 3,556 such checks),
on an order fact and on a line fact, plain and under `not`."""

from __future__ import annotations

import itertools

import pytest

from rules import CompiledRuleSet, check_order, reference
from rules.model import AllOf, Compare, Condition, LineScope, Not, Op, Outputs, Review, Rule, RuleSet, Scope

PATTERNS = ["".join(p) for n in (1, 2, 3, 4) for p in itertools.product("01", repeat=n)]
TEXTS = ["".join(t) for n in range(1, 7) for t in itertools.product("01", repeat=n)]
DEFAULT = Rule(
    "default",
    2**31,
    None,
    Outputs(path="STANDARD", warehouse="DC", risk_review=Review.STANDARD, credit_review=Review.STANDARD),
)


def rule_set(condition_of: object) -> RuleSet:
    conditions: list[Condition] = [
        condition_of(op, pattern)  # type: ignore[operator]
        for op in (Op.CONTAINS, Op.STARTS_WITH)
        for pattern in PATTERNS
    ]
    negated = [Not(c) for c in conditions]
    rules = tuple(Rule(f"r{i}", i, c, Outputs(tags=(f"t{i}",))) for i, c in enumerate(conditions + negated))
    return RuleSet("texts", rules, DEFAULT)


CASES = {
    "order fact": (lambda op, p: Compare("payment_method", op, p), lambda t: {"payment_method": t}),
    "line fact": (
        lambda op, p: LineScope(Scope.ANY, AllOf((Compare("category", op, p),))),
        lambda t: {"lines": [{"category": t}, {"qty": 1}]},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_text_tests_equal_python_for_every_pattern_and_text(case: str) -> None:
    condition_of, order_of = CASES[case]
    rules = rule_set(condition_of)
    engine = CompiledRuleSet(rules)
    try:
        orders = [check_order({"order_id": f"o{i}", **order_of(t)}) for i, t in enumerate(TEXTS)]
        decided = engine.evaluate_many(orders)
        wrong = [
            (order, list(d.matched_rules))
            for order, d in zip(orders, decided, strict=True)
            if list(d.matched_rules) != [r.id for r in reference.matched_rules(rules, order)]
        ]
        assert wrong == [], f"{len(wrong)} of {len(orders)} orders decided wrongly, e.g. {wrong[:2]}"
    finally:
        engine.close()


def test_a_text_test_on_a_missing_text_is_unknown_plain_and_under_not() -> None:
    rules = rule_set(lambda op, p: Compare("payment_method", op, p))
    engine = CompiledRuleSet(rules)
    try:
        assert engine.evaluate(check_order({"order_id": "o"})).matched_rules == ()
    finally:
        engine.close()
