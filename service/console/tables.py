"""A rule set version as a decision table: one row per rule in priority order (the default last), one
column per fact tested and per decision field set, cells in plain words (service.console.wording)."""

from __future__ import annotations

from dataclasses import dataclass

from rules.model import OUTPUT_FIELDS, AllOf, Compare, Condition, Rule, RuleSet
from service.console.i18n import Language
from service.console.wording import (
    OUTPUT_LABELS,
    comparison_words,
    condition_words,
    fact_label,
    output_words,
    rule_sentence,
)


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


def decision_table(rule_set: RuleSet, lang: Language) -> DecisionTable:
    rules = (*rule_set.rules, rule_set.default)
    split = {rule.id: _columns_of(rule.when) for rule in rules}
    facts: list[str] = []
    for columns, _ in split.values():
        facts += [fact for fact in columns if fact not in facts]
    outputs = [f for f in OUTPUT_FIELDS if any(f in rule.then.set_fields() for rule in rules)]
    rows = tuple(_row(rule, split[rule.id], facts, outputs, lang) for rule in rules)
    return DecisionTable(
        tuple(Column(f, fact_label(f, lang)) for f in facts),
        tuple(Column(f, lang.gettext(OUTPUT_LABELS[f])) for f in outputs),
        rows,
        any(row.other for row in rows),
    )


def _columns_of(when: Condition | None) -> tuple[dict[str, list[Compare]], list[Condition]]:
    """The fact tests of a rule's top-level "all" (by fact), and the rest of its condition."""
    if when is None:
        return {}, []
    parts = list(when.items) if isinstance(when, AllOf) else [when]
    by_fact: dict[str, list[Compare]] = {}
    rest: list[Condition] = []
    for part in parts:
        if isinstance(part, Compare):
            by_fact.setdefault(part.fact, []).append(part)
        else:
            rest.append(part)
    return by_fact, rest


def _row(
    rule: Rule,
    split: tuple[dict[str, list[Compare]], list[Condition]],
    facts: list[str],
    outputs: list[str],
    lang: Language,
) -> Row:
    by_fact, rest = split
    cells = tuple(
        lang.gettext(" and ").join(comparison_words(c, lang) for c in by_fact.get(fact, [])) for fact in facts
    )
    other = lang.gettext(" and ").join(condition_words(c, lang) for c in rest)
    return Row(
        rule.id,
        lang.gettext("default") if rule.is_default else str(rule.priority),
        cells,
        other,
        tuple(output_words(f, rule.then, lang) for f in outputs),
        rule.description,
        rule_sentence(rule, lang),
        rule.is_default,
        rule.line,
    )
