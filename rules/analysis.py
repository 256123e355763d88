"""Safety checks beyond validity: rules that can never fire, and conflicts.

These are warnings: they do not stop a publish, but the author sees them.
The checks are syntactic and sound (they never warn wrongly) but not
complete (some dead rules are not found).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

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

MAX_WARNINGS = 100
"""Warnings listed in one answer; the rest are counted in one more warning (a publish answer stays small)."""


MAX_NAMED_CONFLICTS = 10
"""Other conflicting rules counted for one rule before the count says "or more"."""


@dataclass(frozen=True, slots=True)
class _Seen:
    """What the checks need of a rule, computed once."""

    index: int
    rule: Rule
    parts: frozenset[Condition]
    allowed: dict[str, frozenset[object]]
    """For each fact compared with equals/in: the values it may take."""
    single: tuple[object, ...]
    """The rule's value of each of SINGLE_FIELDS (None: not set)."""


def analyse(rule_set: RuleSet) -> list[Diagnostic]:
    """Never-firing and shadowed rules, and same-priority conflicts (one warning per rule).

    Candidates come from indexes (rules by their rarest condition, rules by the
    values they allow), so rule sets of many rules keyed on different values
    cost about linear time instead of comparing every pair.
    """
    seen = [_seen(index, rule) for index, rule in enumerate(rule_set.rules)]
    found: list[Diagnostic] = []
    shadowing = _ShadowIndex(seen)
    groups: dict[int, _PriorityGroup] = {}
    for rule in seen:
        group = groups.setdefault(rule.rule.priority, _PriorityGroup())
        contradiction = _contradiction(_conjuncts(rule.rule.when))
        if contradiction:
            group.add(rule)
            found.append(
                _warn("never-fires", rule.rule, f"can never fire: {contradiction}", "fix or remove the condition")
            )
        else:
            earlier = shadowing.first_shadowing(rule)
            if earlier is not None:
                found.append(
                    _warn(
                        "shadowed",
                        rule.rule,
                        f"can never change a decision: rule '{earlier.id}' (priority {earlier.priority}) matches "
                        "whenever it does and already decides everything it sets",
                        f"give it a higher priority than '{earlier.id}' or remove it",
                    )
                )
            conflict = group.conflict(rule)
            if conflict is not None:
                found.append(conflict)
        shadowing.add(rule)
    return [dataclasses.replace(d, file=rule_set.file) for d in capped(found)]


def capped(warnings: list[Diagnostic], limit: int = MAX_WARNINGS) -> list[Diagnostic]:
    if len(warnings) <= limit:
        return warnings
    rest = len(warnings) - limit
    summary = warning(
        "more-warnings",
        f"{rest} more warnings are not listed",
        line=warnings[limit].line,
        hint="fix the warnings above and check again to see the rest",
    )
    return [*warnings[:limit], summary]


def _seen(index: int, rule: Rule) -> _Seen:
    parts = _conjuncts(rule.when)
    allowed = {fact: frozenset(values) for fact, values in _equals_values(parts).items()}
    return _Seen(index, rule, frozenset(parts), allowed, tuple(getattr(rule.then, f) for f in SINGLE_FIELDS))


class _ShadowIndex:
    """Earlier rules, each filed under its condition that fewest rules share: a rule that
    implies another holds all of its conditions, so it finds it under one of its own."""

    def __init__(self, rules: Sequence[_Seen]) -> None:
        self._uses: dict[Condition, int] = {}
        for rule in rules:
            for part in rule.parts:
                self._uses[part] = self._uses.get(part, 0) + 1
        self._filed: dict[Condition, list[_Seen]] = {}
        self._unconditional: list[_Seen] = []

    def add(self, rule: _Seen) -> None:
        if not rule.parts:
            self._unconditional.append(rule)
            return
        rarest = min(rule.parts, key=lambda part: (self._uses[part], repr(part)))
        self._filed.setdefault(rarest, []).append(rule)

    def first_shadowing(self, rule: _Seen) -> Rule | None:
        candidates = [*self._unconditional, *(e for part in rule.parts for e in self._filed.get(part, ()))]
        shadowing = [e for e in candidates if e.parts <= rule.parts and _adds_nothing(rule.rule, e.rule)]
        return min(shadowing, key=lambda e: e.index).rule if shadowing else None


class _PriorityGroup:
    """The earlier rules of one priority, indexed by the values they allow for each fact."""

    def __init__(self) -> None:
        self._rules: list[_Seen] = []
        self._by_value: dict[str, dict[object, list[_Seen]]] = {}
        self._constraining: dict[str, set[int]] = {}
        self._values: list[set[object]] = [set() for _ in SINGLE_FIELDS]
        """The values earlier rules set for each of SINGLE_FIELDS."""

    def conflict(self, rule: _Seen) -> Diagnostic | None:
        conflicting: list[_Seen] = []
        if self._may_differ(rule):
            for earlier in self._candidates(rule):  # in file order
                if _differ(earlier, rule) and not _disjoint(earlier, rule):
                    conflicting.append(earlier)
                    if len(conflicting) > MAX_NAMED_CONFLICTS:
                        break
        self.add(rule)
        if not conflicting:
            return None
        first = conflicting[0]
        fields = [
            f
            for f, mine, theirs in zip(SINGLE_FIELDS, rule.single, first.single, strict=True)
            if None not in (mine, theirs) and mine != theirs
        ]
        more = len(conflicting) - 1
        at_least = "at least " if more == MAX_NAMED_CONFLICTS else ""
        others = f" (and {at_least}{more} more rules)" if more else ""
        return _warn(
            "same-priority-conflict",
            rule.rule,
            f"sets {', '.join(fields)} differently from rule '{first.rule.id}'{others} at the same priority "
            f"{rule.rule.priority}; the one listed first wins",
            "give the rules different priorities to make the order explicit",
        )

    def _candidates(self, rule: _Seen) -> list[_Seen]:
        """Earlier rules that may match an order this rule matches: for the fact that narrows it most,
        those not comparing it plus those allowing one of the same values."""
        best: list[_Seen] = self._rules
        for fact, values in rule.allowed.items():
            by_value = self._by_value.get(fact, {})
            indexes = {e.index for value in values for e in by_value.get(value, ())}
            if len(self._rules) - len(self._constraining.get(fact, ())) + len(indexes) >= len(best):
                continue
            constraining = self._constraining.get(fact, set())
            best = [e for e in self._rules if e.index not in constraining or e.index in indexes]
        return best

    def _may_differ(self, rule: _Seen) -> bool:
        """Some earlier rule sets a field this rule sets, to another value."""
        return any(mine is not None and bool(self._values[field] - {mine}) for field, mine in enumerate(rule.single))

    def add(self, rule: _Seen) -> None:
        self._rules.append(rule)
        for field, value in enumerate(rule.single):
            if value is not None:
                self._values[field].add(value)
        for fact, values in rule.allowed.items():
            self._constraining.setdefault(fact, set()).add(rule.index)
            for value in values:
                self._by_value.setdefault(fact, {}).setdefault(value, []).append(rule)


def _differ(a: _Seen, b: _Seen) -> bool:
    return any(x is not None and y is not None and x != y for x, y in zip(a.single, b.single, strict=True))


def _disjoint(a: _Seen, b: _Seen) -> bool:
    return any(not (a.allowed[fact] & b.allowed[fact]) for fact in a.allowed.keys() & b.allowed.keys())


def _warn(code: str, rule: Rule, message: str, hint: str) -> Diagnostic:
    return warning(code, message, line=rule.line, rule_id=rule.id, hint=hint)


def _conjuncts(condition: Condition | None) -> list[Condition]:
    if condition is None:
        return []
    if isinstance(condition, AllOf):
        return [part for item in condition.items for part in _conjuncts(item)]
    return [condition]


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


def _equals_values(parts: Sequence[Condition]) -> dict[str, set[object]]:
    """For each fact compared with equals/in: the values it may take."""
    allowed: dict[str, set[object]] = {}
    for part in parts:
        if isinstance(part, Compare) and part.op in (Op.EQUALS, Op.IN):
            values: set[object] = set(part.value) if isinstance(part.value, tuple) else {part.value}
            allowed[part.fact] = allowed[part.fact] & values if part.fact in allowed else values
    return allowed


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
