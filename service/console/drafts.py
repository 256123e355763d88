"""A person's draft of a rule set, as the editor page shows it: the decision table of the draft with
each diagnostic on its rule's row, the embedded tests, and what the cell editor offers (facts from the
schema, only the operators a fact's type takes, the values of an enum)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from orderroute.v1 import orderroute_pb2 as pb

from rules.facts import LINE_FACTS, ORDER_FACTS, fact_spec
from rules.model import OUTPUT_FIELDS, PRIORITY, THEN
from rules.parse import operators_for
from rules.readable import readable_parts
from rules.wording import OUTPUT_LABELS, fact_label
from service.console.i18n import Language
from service.console.tables import DecisionTable, decision_table


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    severity: str
    """error or warning."""
    text: str
    hint: str
    field: str = ""
    """The cell it concerns (Diagnostic.field), empty for the whole rule."""
    source_line: str = ""
    """The YAML line it is on, as written."""


@dataclass(frozen=True, slots=True)
class TestLine:
    name: str
    passed: bool
    failures: tuple[str, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class DraftPage:
    name: str
    source: str
    base_version: int
    table: DecisionTable | None
    by_rule: dict[str, list[Problem]]
    """Diagnostics on a rule's row (those of no cell shown)."""
    by_cell: dict[tuple[str, str], list[Problem]]
    """Diagnostics on a cell: (rule id, cell key) -> problems."""
    general: tuple[Problem, ...]
    """Diagnostics of no rule (shown above the table and at their YAML line)."""
    problems: tuple[Problem, ...]
    """Every diagnostic, by line (the list beside the YAML)."""
    tests: tuple[TestLine, ...]
    valid: bool
    rule_ids: tuple[str, ...]
    facts: tuple[Choice, ...]
    operators: tuple[Choice, ...]
    enum_values: dict[str, tuple[str, ...]]
    outputs: tuple[Choice, ...]
    scopes: tuple[Choice, ...]
    """Where a test applies: the order, or some / every / no line."""
    groups: tuple[Choice, ...]
    """How a test combines with the rule's others: all, any, not."""


GROUP_CHOICES = (
    ("", "and: it must hold too"),
    ("any", "or: one of the rule's either-or tests is enough"),
    ("not", "not: it must not hold"),
)
SCOPE_CHOICES = (
    ("", "the order"),
    ("any_line", "some line of it"),
    ("all_lines", "every line of it"),
    ("no_line", "no line of it"),
)


def draft_page(draft: pb.Draft, check: pb.ValidateRuleSetResponse, fact: str, lang: Language) -> DraftPage:
    rule_set = readable_parts(draft.source, "draft")  # mistakes and all: they are shown on their cells
    lines = draft.source.splitlines()
    problems = [
        Problem(
            d.line,
            "error" if d.severity == pb.SEVERITY_ERROR else "warning",
            d.message,
            d.hint,
            d.field if d.rule_id else "",
            lines[d.line - 1].strip() if 0 < d.line <= len(lines) else "",
        )
        for d in check.diagnostics
        if d.code != "test-failed"  # shown with its test
    ]
    table = None
    if rule_set is not None:
        extra = [p.field for p in problems if p.field and (p.field.startswith(THEN) or fact_spec(p.field))]
        table = decision_table(rule_set, lang, extra)
    by_rule, by_cell, general = _placed(check, problems, table)
    spec = ORDER_FACTS.get(fact) or next(iter(ORDER_FACTS.values()))
    return DraftPage(
        draft.name,
        draft.source,
        draft.base_version,
        table,
        by_rule,
        by_cell,
        general,
        tuple(sorted(problems, key=lambda p: p.line)),
        tuple(TestLine(t.name, t.passed, tuple(t.failures), t.line) for t in check.tests),
        check.valid,
        tuple(r.id for r in rule_set.rules) if rule_set is not None else (),
        (
            *(Choice(name, f"{name}: {fact_label(name, lang)}") for name in ORDER_FACTS),
            *(
                Choice(name, lang.gettext("%(fact)s: %(label)s (a line)", fact=name, label=fact_label(name, lang)))
                for name in LINE_FACTS
            ),
        ),
        operator_choices(spec.name),
        {name: s.values for name, s in (*ORDER_FACTS.items(), *LINE_FACTS.items()) if s.values},
        tuple(Choice(f, lang.gettext(OUTPUT_LABELS[f])) for f in OUTPUT_FIELDS),
        tuple(Choice(value, lang.gettext(label)) for value, label in SCOPE_CHOICES),
        tuple(Choice(value, lang.gettext(label)) for value, label in GROUP_CHOICES),
    )


def _placed(
    check: pb.ValidateRuleSetResponse, problems: list[Problem], table: DecisionTable | None
) -> tuple[dict[str, list[Problem]], dict[tuple[str, str], list[Problem]], tuple[Problem, ...]]:
    """Each problem where the table shows it: on its cell if the table has that column, else on its
    rule's row, else above the table (a problem of no rule, or of a rule the table cannot show)."""
    rows = {row.rule_id for row in table.rows} if table is not None else set()
    cells = {PRIORITY, *(THEN + c.key for c in table.outputs), *(c.key for c in table.facts)} if table else set()
    by_rule: defaultdict[str, list[Problem]] = defaultdict(list)
    by_cell: defaultdict[tuple[str, str], list[Problem]] = defaultdict(list)
    general: list[Problem] = []
    for d, problem in zip((d for d in check.diagnostics if d.code != "test-failed"), problems, strict=True):
        if d.rule_id not in rows:
            general.append(problem)
        elif problem.field in cells:
            by_cell[(d.rule_id, problem.field)].append(problem)
        else:
            by_rule[d.rule_id].append(problem)
    return dict(by_rule), dict(by_cell), tuple(general)


@dataclass(frozen=True, slots=True)
class Checks:
    """What a reviewer weighs beside the diff: the publish checks' warnings and the embedded tests."""

    warnings: tuple[Problem, ...]
    tests: tuple[TestLine, ...]

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)


def checks_view(check: pb.ValidateRuleSetResponse) -> Checks:
    warnings = tuple(
        Problem(d.line, "warning", f"{d.rule_id}: {d.message}" if d.rule_id else d.message, d.hint)
        for d in check.diagnostics
        if d.severity == pb.SEVERITY_WARNING
    )
    return Checks(warnings, tuple(TestLine(t.name, t.passed, tuple(t.failures), t.line) for t in check.tests))


def operator_choices(fact: str) -> tuple[Choice, ...]:
    spec = ORDER_FACTS.get(fact) or LINE_FACTS.get(fact)
    if spec is None:
        return ()
    return tuple(Choice(op.value, op.value) for op in operators_for(spec))
