"""Safety checks beyond validity: rules that can never fire, and conflicts.

These are warnings: they do not stop a publish, but the author sees them.
The checks are syntactic and sound (they never warn wrongly) but not
complete (some dead rules are not found).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from rules.diagnostics import Diagnostic, warning
from rules.model import (
    REVIEW_FIELDS,
    REVIEW_STRICTNESS,
    SET_FIELDS,
    SINGLE_FIELDS,
    AllOf,
    Compare,
    Condition,
    Op,
    Rule,
    RuleSet,
)


def analyse(rule_set: RuleSet) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    rules = rule_set.rules
    for index, rule in enumerate(rules):
        contradiction = _contradiction(_conjuncts(rule.when))
        if contradiction:
            found.append(_warn("never-fires", rule, f"can never fire: {contradiction}", "fix or remove the condition"))
            continue
        for earlier in rules[:index]:
            if _implied_by(earlier, rule) and _adds_nothing(rule, earlier):
                found.append(
                    _warn(
                        "shadowed",
                        rule,
                        f"can never change a decision: rule '{earlier.id}' (priority {earlier.priority}) matches "
                        "whenever it does and already decides everything it sets",
                        f"give it a higher priority than '{earlier.id}' or remove it",
                    )
                )
                break
        for earlier in rules[:index]:
            if earlier.priority == rule.priority and not _disjoint(earlier, rule):
                fields = [f for f in SINGLE_FIELDS if _differs(earlier, rule, f)]
                if fields:
                    found.append(
                        _warn(
                            "same-priority-conflict",
                            rule,
                            f"sets {', '.join(fields)} differently from rule '{earlier.id}' at the same priority "
                            f"{rule.priority}; the one listed first wins",
                            "give the rules different priorities to make the order explicit",
                        )
                    )
    return [dataclasses.replace(d, file=rule_set.file) for d in found]


def _warn(code: str, rule: Rule, message: str, hint: str) -> Diagnostic:
    return warning(code, message, line=rule.line, rule_id=rule.id, hint=hint)


def _conjuncts(condition: Condition | None) -> list[Condition]:
    if condition is None:
        return []
    if isinstance(condition, AllOf):
        return [part for item in condition.items for part in _conjuncts(item)]
    return [condition]


def _implied_by(earlier: Rule, rule: Rule) -> bool:
    """True when `earlier` matches every order `rule` matches."""
    mine = _conjuncts(rule.when)
    return all(part in mine for part in _conjuncts(earlier.when))


def _adds_nothing(rule: Rule, earlier: Rule) -> bool:
    mine, theirs = rule.then, earlier.then
    for name in SINGLE_FIELDS:
        if getattr(mine, name) is not None and getattr(theirs, name) is None:
            return False
    for name in REVIEW_FIELDS:
        value = getattr(mine, name)
        other = getattr(theirs, name)
        if value is not None and (other is None or REVIEW_STRICTNESS[value] > REVIEW_STRICTNESS[other]):
            return False
    return all(set(getattr(mine, name)) <= set(getattr(theirs, name)) for name in SET_FIELDS)


def _differs(a: Rule, b: Rule, name: str) -> bool:
    x, y = getattr(a.then, name), getattr(b.then, name)
    return x is not None and y is not None and x != y


def _equals_values(parts: Sequence[Condition]) -> dict[str, set[object]]:
    """For each fact compared with equals/in: the values it may take."""
    allowed: dict[str, set[object]] = {}
    for part in parts:
        if isinstance(part, Compare) and part.op in (Op.EQUALS, Op.IN):
            values: set[object] = set(part.value) if isinstance(part.value, tuple) else {part.value}
            allowed[part.fact] = allowed[part.fact] & values if part.fact in allowed else values
    return allowed


def _disjoint(a: Rule, b: Rule) -> bool:
    ours, theirs = _equals_values(_conjuncts(a.when)), _equals_values(_conjuncts(b.when))
    return any(not (ours[fact] & theirs[fact]) for fact in ours.keys() & theirs.keys())


def _contradiction(parts: Sequence[Condition]) -> str:
    for fact, values in _equals_values(parts).items():
        if not values:
            return f"{fact} cannot equal several different values at once"
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for part in parts:
        if not isinstance(part, Compare) or isinstance(part.value, bool) or not isinstance(part.value, int | float):
            continue
        if part.op in (Op.GT, Op.GTE):
            low[part.fact] = max(low.get(part.fact, float("-inf")), part.value + (1e-9 if part.op is Op.GT else 0))
        elif part.op in (Op.LT, Op.LTE):
            high[part.fact] = min(high.get(part.fact, float("inf")), part.value - (1e-9 if part.op is Op.LT else 0))
    for fact in low.keys() & high.keys():
        if low[fact] > high[fact]:
            return f"no value of {fact} satisfies both bounds"
    return ""
