"""A rule set version as a decision table: one row per rule in priority order (the default last), one
column per fact tested and per decision field set, cells in plain words (rules.wording)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.model import OUTPUT_FIELDS, PRIORITY, THEN, RuleSet
from rules.wording import DESCRIPTION, OTHER, OUTPUT_LABELS, fact_label, rule_cells, rule_sentence
from service.console.i18n import Language


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    """The fact's path or the decision field, as the rule language writes it."""
    label: str
    """What it means, in the page's language."""


@dataclass(frozen=True, slots=True)
class Row:
    rule_id: str
    priority: str
    conditions: tuple[str, ...]
    """One cell per fact column."""
    other: str
    """What the fact columns cannot show (any, not, line scopes), as a phrase."""
    outputs: tuple[str, ...]
    description: str
    sentence: str
    is_default: bool
    line: int


@dataclass(frozen=True, slots=True)
class DecisionTable:
    facts: tuple[Column, ...]
    outputs: tuple[Column, ...]
    rows: tuple[Row, ...]
    has_other: bool


def decision_table(rule_set: RuleSet, lang: Language, extra: Sequence[str] = ()) -> DecisionTable:
    """`extra`: cell keys (a fact's path, THEN + a field) to show as columns even if no rule fills them,
    e.g. where a mistake is to be shown."""
    rules = (*rule_set.rules, rule_set.default)
    cells = {rule.id: rule_cells(rule, lang) for rule in rules}
    outputs = [f for f in OUTPUT_FIELDS if THEN + f in extra or any(f in rule.then.set_fields() for rule in rules)]
    shown = {PRIORITY, OTHER, DESCRIPTION, *(THEN + f for f in OUTPUT_FIELDS)}
    facts: list[str] = []
    for keys in (*(list(c) for c in cells.values()), list(extra)):
        facts += [key for key in keys if key not in shown and key not in facts]
    rows = tuple(
        Row(
            rule.id,
            cells[rule.id][PRIORITY],
            tuple(cells[rule.id].get(fact, "") for fact in facts),
            cells[rule.id].get(OTHER, ""),
            tuple(cells[rule.id].get(THEN + f, "") for f in outputs),
            rule.description,
            rule_sentence(rule, lang),
            rule.is_default,
            rule.line,
        )
        for rule in rules
    )
    return DecisionTable(
        tuple(Column(f, fact_label(f, lang)) for f in facts),
        tuple(Column(f, lang.gettext(OUTPUT_LABELS[f])) for f in outputs),
        rows,
        any(row.other for row in rows),
    )
