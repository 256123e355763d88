"""A small, obviously correct interpreter of rule conditions.

It defines what a condition means; the durable_rules engine must agree with it
on every order (tests/rules/test_differential.py checks that with random rule
sets). Logic is three-valued (Kleene): a comparison on an unknown fact is
unknown (None), `not unknown` is unknown, and a rule matches only when its
condition is True. Text lists (tags, segments) are always known, empty when
absent. `all_lines` and `any_line` are False on an order without lines;
`no_line` is True there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rules.facts import ORDER_FACTS, FactType, OrderFacts, lookup
from rules.model import AllOf, AnyOf, Compare, Condition, LineScope, Not, Op, Rule, RuleSet, Scope

Truth = bool | None

_LIST_FACTS = frozenset(name for name, spec in ORDER_FACTS.items() if spec.type is FactType.TEXT_LIST)


def matched_rules(rule_set: RuleSet, facts: OrderFacts) -> list[Rule]:
    """The non-default rules whose condition is True, in evaluation order."""
    return [rule for rule in rule_set.rules if rule.when is not None and evaluate(rule.when, facts) is True]


def evaluate(condition: Condition, facts: OrderFacts, line: Mapping[str, Any] | None = None) -> Truth:
    match condition:
        case Compare():
            return _compare(condition, facts, line)
        case AllOf(items):
            return _and(evaluate(c, facts, line) for c in items)
        case AnyOf(items):
            return _or(evaluate(c, facts, line) for c in items)
        case Not(item):
            value = evaluate(item, facts, line)
            return None if value is None else not value
        case LineScope(scope, item):
            lines = facts.get("lines") or []
            if not lines:
                return scope is Scope.NONE
            results = [evaluate(item, facts, each) for each in lines]
            if scope is Scope.ALL:
                return _and(results)
            found = _or(results)
            if scope is Scope.ANY:
                return found
            return None if found is None else not found
    raise TypeError(f"not a condition: {condition!r}")


def _and(values: Iterable[Truth]) -> Truth:
    result: Truth = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def _or(values: Iterable[Truth]) -> Truth:
    result: Truth = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


def _compare(c: Compare, facts: OrderFacts, line: Mapping[str, Any] | None) -> Truth:
    value = line.get(c.fact) if line is not None else lookup(facts, c.fact)
    if value is None and line is None and c.fact in _LIST_FACTS:
        value = []
    if c.op is Op.EXISTS:
        return value is not None
    if c.op is Op.NOT_EXISTS:
        return value is None
    if value is None:
        return None
    operand: Any = c.value
    match c.op:
        case Op.EQUALS:
            return bool(value == operand)
        case Op.NOT_EQUALS:
            return bool(value != operand)
        case Op.IN:
            return value in operand
        case Op.NOT_IN:
            return value not in operand
        case Op.GT:
            return bool(value > operand)
        case Op.GTE:
            return bool(value >= operand)
        case Op.LT:
            return bool(value < operand)
        case Op.LTE:
            return bool(value <= operand)
        case Op.BETWEEN:
            return bool(operand[0] <= value <= operand[1])
        case Op.CONTAINS:
            return operand in value
        case Op.STARTS_WITH:
            return bool(value.startswith(operand))
    raise ValueError(f"unknown operator {c.op}")
