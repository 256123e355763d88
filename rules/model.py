"""The rule set model: what a parsed, validated rule set is made of."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Scalar = str | int | float | bool


class Op(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    IN = "in"
    NOT_IN = "not_in"
    GT = "greater_than"
    GTE = "at_least"
    LT = "less_than"
    LTE = "at_most"
    BETWEEN = "between"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"


OP_ALIASES: Mapping[str, Op] = {
    **{op.value: op for op in Op},
    "==": Op.EQUALS,
    "!=": Op.NOT_EQUALS,
    ">": Op.GT,
    ">=": Op.GTE,
    "<": Op.LT,
    "<=": Op.LTE,
}
"""Every spelling an author may use for an operator."""


class Scope(StrEnum):
    ANY = "any_line"
    ALL = "all_lines"
    NONE = "no_line"


class Review(StrEnum):
    SKIP = "SKIP"
    STANDARD = "STANDARD"
    MANUAL = "MANUAL"


REVIEW_STRICTNESS: Mapping[Review, int] = {Review.SKIP: 0, Review.STANDARD: 1, Review.MANUAL: 2}
CREDIT_REVIEWS = (Review.SKIP, Review.STANDARD)


@dataclass(frozen=True, slots=True)
class Compare:
    """`fact op value`; inside a line scope `fact` names a line fact."""

    fact: str
    op: Op
    value: Scalar | tuple[Scalar, ...] | None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Condition


@dataclass(frozen=True, slots=True)
class LineScope:
    scope: Scope
    item: Condition


Condition = Compare | AllOf | AnyOf | Not | LineScope

SINGLE_FIELDS = ("path", "warehouse", "carrier", "priority_pickup", "cs_queue")
REVIEW_FIELDS = ("risk_review", "credit_review")
SET_FIELDS = ("holds", "tags", "avoid_warehouse_types")
OUTPUT_FIELDS = SINGLE_FIELDS + REVIEW_FIELDS + SET_FIELDS
REQUIRED_DEFAULT_FIELDS = ("path", "risk_review", "credit_review", "warehouse")


PRIORITY = "priority"
"""A rule's priority cell, as a decision table (and a diagnostic's field) keys it."""
THEN = "then."
"""Prefixes a decision field's cell key: `tags` is a fact and a decision field."""


@dataclass(frozen=True, slots=True)
class Outputs:
    """Decision fields a rule sets; None / empty means 'not set by this rule'."""

    path: str | None = None
    warehouse: str | None = None
    carrier: str | None = None
    priority_pickup: bool | None = None
    cs_queue: str | None = None
    risk_review: Review | None = None
    credit_review: Review | None = None
    holds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    avoid_warehouse_types: tuple[str, ...] = ()

    def set_fields(self) -> tuple[str, ...]:
        return tuple(f for f in OUTPUT_FIELDS if getattr(self, f) not in (None, ()))


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    priority: int
    when: Condition | None
    then: Outputs
    description: str = ""
    line: int = field(default=0, compare=False)

    @property
    def is_default(self) -> bool:
        return self.when is None


@dataclass(frozen=True, slots=True)
class TestCase:
    name: str
    order: Mapping[str, Any]
    expect: Mapping[str, Any]
    line: int = 0


@dataclass(frozen=True, slots=True)
class RuleSet:
    name: str
    rules: tuple[Rule, ...]
    """Non-default rules in evaluation order: priority, then file order."""
    default: Rule
    tests: tuple[TestCase, ...] = ()
    description: str = ""
    file: str = "<source>"
    rule_lines: Mapping[str, int] = field(default_factory=dict)


def comparisons(rule_set: RuleSet) -> Iterator[tuple[Compare, bool]]:
    """Every comparison of every rule, in rule order, with whether it reads a line (inside a line scope)."""

    def walk(condition: Condition, in_lines: bool) -> Iterator[tuple[Compare, bool]]:
        match condition:
            case Compare():
                yield condition, in_lines
            case AllOf(items) | AnyOf(items):
                for item in items:
                    yield from walk(item, in_lines)
            case Not(item):
                yield from walk(item, in_lines)
            case LineScope(item=item):
                yield from walk(item, True)

    for rule in rule_set.rules:
        if rule.when is not None:
            yield from walk(rule.when, False)
