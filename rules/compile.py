"""RuleSet -> durable_rules ruleset definition (plain JSON-able data).

Negation is pushed down to the comparisons (negation normal form), because
durable_rules has no `not`. Under three-valued logic a formula in this form is
True exactly when it is True with every unknown comparison read as false,
which is what durable_rules does with a missing field. Empty lists are never
in the document the engine sees, so `$nex` tells an order without lines.

durable_rules regular expressions match the whole text and escape with `%`.
"""

from __future__ import annotations

from typing import Any

from rules.facts import ORDER_FACTS, FactType
from rules.model import AllOf, AnyOf, Compare, Condition, LineScope, Not, Op, RuleSet, Scope

Json = dict[str, Any]

_NEGATED = {
    Op.EQUALS: Op.NOT_EQUALS,
    Op.NOT_EQUALS: Op.EQUALS,
    Op.IN: Op.NOT_IN,
    Op.NOT_IN: Op.IN,
    Op.GT: Op.LTE,
    Op.LTE: Op.GT,
    Op.GTE: Op.LT,
    Op.LT: Op.GTE,
    Op.EXISTS: Op.NOT_EXISTS,
    Op.NOT_EXISTS: Op.EXISTS,
}
_ENGINE_OP = {Op.NOT_EQUALS: "$neq", Op.GT: "$gt", Op.GTE: "$gte", Op.LT: "$lt", Op.LTE: "$lte"}


class NotCompilable(ValueError):
    """A condition durable_rules cannot express (validation reports it)."""


def rule_key(index: int) -> str:
    """The engine-side name of the rule at `index` in evaluation order."""
    return f"r{index}"


def to_durable(rule_set: RuleSet) -> Json:
    """The durable_rules definition: one rule per non-default rule, `pri` = evaluation rank."""
    definition: Json = {}
    for index, rule in enumerate(rule_set.rules):
        assert rule.when is not None
        definition[rule_key(index)] = {"all": [{"m": condition_to_durable(rule.when)}], "pri": index + 1}
    # A catch-all keeps the engine from reporting an unhandled fact.
    definition["catch_all"] = {"all": [{"m": {"$ex": {"order_id": 1}}}], "pri": len(rule_set.rules) + 1}
    return definition


def condition_to_durable(condition: Condition, positive: bool = True, prefix: str = "") -> Json:
    match condition:
        case Compare():
            return _compare(condition, positive, prefix)
        case AllOf(items) | AnyOf(items):
            joins_all = isinstance(condition, AllOf) == positive
            parts = [condition_to_durable(c, positive, prefix) for c in items]
            return parts[0] if len(parts) == 1 else {"$and" if joins_all else "$or": parts}
        case Not(item):
            return condition_to_durable(item, not positive, prefix)
        case LineScope(scope, item):
            return _scope(scope, item, positive)
    raise TypeError(f"not a condition: {condition!r}")


def _scope(scope: Scope, item: Condition, positive: bool) -> Json:
    # no_line C is not(any_line C); all_lines and any_line are False without lines.
    if scope is Scope.NONE:
        scope, positive = Scope.ANY, not positive
    if positive:
        quantifier = "$iany" if scope is Scope.ANY else "$iall"
        return {quantifier: {"lines": condition_to_durable(item, True, "$i.")}}
    dual = "$iall" if scope is Scope.ANY else "$iany"
    return {"$or": [{"$nex": {"lines": 1}}, {dual: {"lines": condition_to_durable(item, False, "$i.")}}]}


def _compare(c: Compare, positive: bool, prefix: str) -> Json:
    path = prefix + c.fact
    is_list = (
        not prefix and ORDER_FACTS.get(c.fact, None) is not None and ORDER_FACTS[c.fact].type is FactType.TEXT_LIST
    )
    op = c.op
    operand: Any = c.value
    if op is Op.CONTAINS and is_list:
        has = {"$iany": {path: {"$i": operand}}}
        if positive:
            return has
        return {"$or": [{"$nex": {path: 1}}, {"$iall": {path: {"$neq": {"$i": operand}}}}]}
    if op in (Op.CONTAINS, Op.STARTS_WITH):
        if not positive:
            raise NotCompilable(f"'not' over {op.value} on text fact {c.fact}")
        pattern = escape_pattern(operand) + ".*"
        return {"$mt": {path: (".*" + pattern) if op is Op.CONTAINS else pattern}}
    if op is Op.BETWEEN:
        low, high = operand
        if positive:
            return {"$and": [{"$gte": {path: low}}, {"$lte": {path: high}}]}
        return {"$or": [{"$lt": {path: low}}, {"$gt": {path: high}}]}
    if not positive:
        op = _NEGATED[op]
    match op:
        case Op.EQUALS:
            return {path: operand}
        case Op.IN:
            parts: list[Json] = [{path: v} for v in operand]
            return parts[0] if len(parts) == 1 else {"$or": parts}
        case Op.NOT_IN:
            parts = [{"$neq": {path: v}} for v in operand]
            return parts[0] if len(parts) == 1 else {"$and": parts}
        case Op.EXISTS:
            return {"$ex": {path: 1}}
        case Op.NOT_EXISTS:
            return {"$nex": {path: 1}}
    return {_ENGINE_OP[op]: {path: operand}}


def escape_pattern(text: str) -> str:
    """Escapes text for a durable_rules pattern: every non-alphanumeric with `%`."""
    return "".join(ch if ch.isalnum() and ch.isascii() else "%" + ch for ch in text)


def check_compilable(condition: Condition, positive: bool = True) -> list[Compare]:
    """The comparisons that cannot be compiled (negated text contains/starts_with)."""
    match condition:
        case Compare(fact=fact, op=op):
            spec = ORDER_FACTS.get(fact)
            is_list = spec is not None and spec.type is FactType.TEXT_LIST
            bad = not positive and op in (Op.CONTAINS, Op.STARTS_WITH) and not is_list
            return [condition] if bad else []
        case AllOf(items) | AnyOf(items):
            return [bad for c in items for bad in check_compilable(c, positive)]
        case Not(item):
            return check_compilable(item, not positive)
        case LineScope(scope, item):
            return check_compilable(item, positive if scope is not Scope.NONE else not positive)
    return []
