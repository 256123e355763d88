"""Rules in plain words: a condition as a table cell ("at least 3", "one of apparel, shoes"), a rule as
a sentence. Fact names and rule keywords stay as the rule language writes them; the words around them
come from a `Words` (English here; the console passes its translated language, service.console.i18n,
whose catalog holds every message of this module)."""

from __future__ import annotations

from typing import Protocol

from rules.facts import LINE_FACTS, ORDER_FACTS
from rules.model import (
    PRIORITY,
    THEN,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    LineScope,
    Not,
    Op,
    Outputs,
    Rule,
    Scalar,
    Scope,
)


class Words(Protocol):
    """A language: its messages and its number format."""

    def gettext(self, message: str, **values: object) -> str: ...

    def number(self, value: float, digits: int = 2) -> str: ...


class English:
    """The messages as written, numbers with thousands separators."""

    def gettext(self, message: str, **values: object) -> str:
        return message % values if values else message

    def number(self, value: float, digits: int = 2) -> str:
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{round(value, digits):,.{digits}f}".rstrip("0").rstrip(".")


ENGLISH = English()

_OPS = {
    Op.EQUALS: "is %(value)s",
    Op.NOT_EQUALS: "is not %(value)s",
    Op.IN: "one of %(value)s",
    Op.NOT_IN: "none of %(value)s",
    Op.GT: "more than %(value)s",
    Op.GTE: "at least %(value)s",
    Op.LT: "less than %(value)s",
    Op.LTE: "at most %(value)s",
    Op.BETWEEN: "from %(low)s to %(high)s",
    Op.CONTAINS: "contains %(value)s",
    Op.STARTS_WITH: "starts with %(value)s",
    Op.EXISTS: "known",
    Op.NOT_EXISTS: "unknown",
}
_READS_WITHOUT_IS = frozenset({Op.EQUALS, Op.NOT_EQUALS, Op.CONTAINS, Op.STARTS_WITH})
"""Tests whose cell reads on after the fact's name ("tier is VIP"); the others take "is" ("is at least 3")."""
_SCOPES = {
    Scope.ANY: "some line: %(condition)s",
    Scope.ALL: "every line: %(condition)s",
    Scope.NONE: "no line: %(condition)s",
}
OUTPUT_LABELS = {
    "path": "Path",
    "risk_review": "Risk review",
    "credit_review": "Credit review",
    "warehouse": "Warehouse",
    "carrier": "Carrier",
    "priority_pickup": "Priority pickup",
    "cs_queue": "Service queue",
    "holds": "Holds",
    "tags": "Tags",
    "avoid_warehouse_types": "Never ship from",
}


def fact_label(fact: str, lang: Words) -> str:
    """The fact's description in the page's language (attributes.KEY: the key)."""
    spec = ORDER_FACTS.get(fact) or LINE_FACTS.get(fact)
    if spec is None:
        return lang.gettext("attribute %(key)s", key=fact.removeprefix("attributes."))
    return lang.gettext(spec.description)


def value_words(value: Scalar | tuple[Scalar, ...] | None, lang: Words) -> str:
    if isinstance(value, tuple):
        return ", ".join(value_words(v, lang) for v in value)
    if isinstance(value, bool):
        return lang.gettext("yes") if value else lang.gettext("no")
    if isinstance(value, int | float):
        return lang.number(value, 6)
    return str(value)


def comparison_words(c: Compare, lang: Words) -> str:
    """The cell of a fact's column: the test without the fact ("at least 3")."""
    if c.op is Op.BETWEEN and isinstance(c.value, tuple):
        low, high = c.value
        return lang.gettext(_OPS[c.op], low=value_words(low, lang), high=value_words(high, lang))
    if c.op in (Op.EXISTS, Op.NOT_EXISTS):
        return lang.gettext(_OPS[c.op])
    if c.op is Op.EQUALS and isinstance(c.value, bool):
        return value_words(c.value, lang)  # "yes", not "is yes"
    return lang.gettext(_OPS[c.op], value=value_words(c.value, lang))


def condition_words(condition: Condition, lang: Words) -> str:
    """A whole condition as a phrase, facts named ("customer.tier is VIP and ...")."""
    match condition:
        case Compare():
            test = comparison_words(condition, lang)
            if condition.op in _READS_WITHOUT_IS and not isinstance(condition.value, bool):
                return lang.gettext("%(fact)s %(test)s", fact=condition.fact, test=test)
            return lang.gettext("%(fact)s is %(test)s", fact=condition.fact, test=test)
        case AllOf(items):
            return lang.gettext(" and ").join(_nested(i, lang) for i in items)
        case AnyOf(items):
            return lang.gettext(
                "either %(options)s", options=lang.gettext(" or ").join(_nested(i, lang) for i in items)
            )
        case Not(item):
            return lang.gettext("not (%(condition)s)", condition=condition_words(item, lang))
        case LineScope(scope, item):
            return lang.gettext(_SCOPES[scope], condition=condition_words(item, lang))
    raise TypeError(condition)


def _nested(condition: Condition, lang: Words) -> str:
    words = condition_words(condition, lang)
    return f"({words})" if isinstance(condition, AllOf | AnyOf) else words


def output_words(field: str, outputs: Outputs, lang: Words) -> str:
    """One decision field a rule sets, as its cell ("" when the rule leaves it)."""
    value = getattr(outputs, field)
    if value is None or value == ():
        return ""
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return lang.gettext("yes") if value else lang.gettext("no")
    return str(value)


def rule_sentence(rule: Rule, lang: Words) -> str:
    """ "When customer.tier is PLUS: risk review SKIP, warehouse FORWARD." (the default rule: "Otherwise")."""
    outputs = lang.gettext("; ").join(
        f"{lang.gettext(OUTPUT_LABELS[f])} {output_words(f, rule.then, lang)}" for f in rule.then.set_fields()
    )
    if rule.when is None:
        return lang.gettext("Otherwise: %(outputs)s.", outputs=outputs)
    return lang.gettext(
        "When %(conditions)s: %(outputs)s.", conditions=condition_words(rule.when, lang), outputs=outputs
    )


OTHER = "other conditions"
DESCRIPTION = "description"


def condition_cells(when: Condition | None, words: Words) -> tuple[dict[str, str], str]:
    """A rule's condition split for a table: the tests of its top-level "all" by fact ("at least 3"),
    and the rest (any, not, line scopes) as one phrase."""
    if when is None:
        return {}, ""
    parts = list(when.items) if isinstance(when, AllOf) else [when]
    by_fact: dict[str, list[Compare]] = {}
    rest: list[Condition] = []
    for part in parts:
        if isinstance(part, Compare):
            by_fact.setdefault(part.fact, []).append(part)
        else:
            rest.append(part)
    joined = words.gettext(" and ")
    cells = {fact: joined.join(comparison_words(c, words) for c in tests) for fact, tests in by_fact.items()}
    return cells, joined.join(condition_words(c, words) for c in rest)


def rule_cells(rule: Rule, words: Words) -> dict[str, str]:
    """Everything a rule says, cell by cell: its priority, a cell per fact it tests, its other conditions,
    a cell per decision field it sets (keyed THEN + field), its description (empty cells left out)."""
    facts, other = condition_cells(rule.when, words)
    cells = {PRIORITY: words.gettext("default") if rule.is_default else str(rule.priority), **facts}
    if other:
        cells[OTHER] = other
    cells.update({THEN + f: output_words(f, rule.then, words) for f in rule.then.set_fields()})
    if rule.description:
        cells[DESCRIPTION] = rule.description
    return cells
