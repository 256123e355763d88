"""Replaying logged orders: each order's logged decision, the same facts decided again by the version that
decided them (fidelity: it must be reproduced) and by a candidate; tallied into what would change, for
whom, because of which rules, with examples.

Pure: the caller evaluates (rules.CompiledRuleSet) and feeds decisions in; nothing here reads storage.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rules.combine import Decision
from rules.facts import lookup

FIELDS = (
    "path",
    "risk_review",
    "credit_review",
    "warehouse",
    "warehouse_node",
    "carrier",
    "priority_pickup",
    "cs_queue",
    "holds",
    "tags",
    "avoid_warehouse_types",
)
"""The decision fields a replay compares (as the input log keeps them)."""
EXAMPLES = 20
UNTRUSTED_SHARE = 0.001
"""Above this share of logged decisions not reproduced, the report says it cannot be trusted."""


def field_values(d: Decision) -> dict[str, Any]:
    """A decision's fields as the input log writes them (enums by name, tuples as lists)."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(d, name)
        out[name] = list(value) if isinstance(value, tuple) else str(value) if hasattr(value, "value") else value
    return out


@dataclass(frozen=True, slots=True)
class Case:
    """One logged decision."""

    decision_id: str
    order_id: str
    facts: Mapping[str, Any]
    decided: Mapping[str, Any]
    matched: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Example:
    order_id: str
    decision_id: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Segment:
    fact: str
    value: str
    replayed: int
    changed: int


OUTCOME_METRICS = ("on_time", "exception", "complaint", "logistics_cost_minor", "fulfilment_hours")
"""The outcomes the report sets beside the changes."""
PATH_FIELDS = ("path", "warehouse", "carrier", "cs_queue")
"""Fields whose value is a route other orders may already have taken: their outcomes are shown for the
candidate's new values (observational)."""


@dataclass(frozen=True, slots=True)
class OutcomeFigure:
    metric: str
    reports: int
    mean: float


@dataclass(frozen=True, slots=True)
class OutcomeGroup:
    """Recorded outcomes of a group of logged orders, as they were routed (observational, not causal)."""

    group: str
    """changed, unchanged, or took: orders already decided as the candidate would decide others."""
    field: str
    value: str
    figures: tuple[OutcomeFigure, ...]


@dataclass(frozen=True, slots=True)
class ReplayReport:
    replayed: int
    changed: int
    changed_interval: tuple[float, float]
    """The changed share's 95% (Wilson) interval."""
    not_reproduced: int
    not_reproduced_examples: tuple[tuple[str, str], ...]
    """(decision id, what differed), the first EXAMPLES."""
    transitions: Mapping[str, Mapping[tuple[str, str], int]]
    """Per decision field, (from, to) -> orders."""
    segments: tuple[Segment, ...]
    causes: tuple[tuple[str, int], ...]
    """Rules behind the changes, most first: (rule id, changed orders it took part in)."""
    examples: Mapping[tuple[str, str, str], tuple[Example, ...]]
    """Per kind of change (field, from, to), up to EXAMPLES orders."""
    outcomes: tuple[OutcomeGroup, ...] = ()
    """The changed orders' recorded outcomes beside the unchanged ones', and those of orders already
    decided with each new value the candidate gives (path, warehouse, carrier, queue)."""

    @property
    def trusted(self) -> bool:
        return self.not_reproduced <= UNTRUSTED_SHARE * self.replayed

    def changed_per_field(self) -> dict[str, int]:
        return {name: sum(counts.values()) for name, counts in self.transitions.items()}


@dataclass
class ReplayTally:
    by: Sequence[str] = ()
    """Fact paths to break the results down by ("channel", "customer.tier", "lines.category")."""
    replayed: int = 0
    changed: int = 0
    not_reproduced: int = 0
    _mismatches: list[tuple[str, str]] = field(default_factory=list)
    _transitions: defaultdict[str, Counter[tuple[str, str]]] = field(default_factory=lambda: defaultdict(Counter))
    _segments: defaultdict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    _causes: Counter[str] = field(default_factory=Counter)
    _examples: defaultdict[tuple[str, str, str], list[Example]] = field(default_factory=lambda: defaultdict(list))
    _outcomes: defaultdict[tuple[str, str, str], defaultdict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    )
    """(group, field, value) -> metric -> [reports, sum]."""

    def add(self, case: Case, again: Decision, candidate: Decision, outcome: Mapping[str, float] | None = None) -> None:
        """`again`: the logged version's decision of the logged facts; `candidate`: the candidate's;
        `outcome`: the order's recorded outcome (empty or None: none reported)."""
        self.replayed += 1
        logged, differs = reproduced(case.decided, case.matched, again)
        after = field_values(candidate)
        if differs:
            self.not_reproduced += 1
            if len(self._mismatches) < EXAMPLES:
                self._mismatches.append((case.decision_id, "; ".join(differs)))
        changed = [k for k in FIELDS if logged[k] != after[k]]
        if changed:
            self.changed += 1
            for k in changed:
                kind = (k, _text(logged[k]), _text(after[k]))
                self._transitions[k][kind[1:]] += 1
                if len(self._examples[kind]) < EXAMPLES:
                    self._examples[kind].append(Example(case.order_id, case.decision_id, logged, after))
            self._causes.update(_causes(again, candidate, changed))
        for path in self.by:
            segment = self._segments[(path, segment_value(case.facts, path))]
            segment[0] += 1
            segment[1] += bool(changed)
        if outcome:
            self._count(("changed" if changed else "unchanged", "", ""), outcome)
            for name in PATH_FIELDS:
                self._count(("took", name, _text(logged[name])), outcome)

    def _count(self, key: tuple[str, str, str], outcome: Mapping[str, float]) -> None:
        sums = self._outcomes[key]
        for metric in OUTCOME_METRICS:
            if metric in outcome:
                sums[metric][0] += 1
                sums[metric][1] += outcome[metric]

    def report(self) -> ReplayReport:
        return ReplayReport(
            self.replayed,
            self.changed,
            wilson(self.changed, self.replayed),
            self.not_reproduced,
            tuple(self._mismatches),
            {k: dict(v) for k, v in self._transitions.items()},
            tuple(Segment(f, v, n, c) for (f, v), (n, c) in sorted(self._segments.items())),
            tuple(sorted(self._causes.items(), key=lambda item: (-item[1], item[0]))),
            {k: tuple(v) for k, v in self._examples.items()},
            self._outcome_groups(),
        )

    def _outcome_groups(self) -> tuple[OutcomeGroup, ...]:
        """changed and unchanged; then, per new value the candidate gives a path field, the orders that
        were already decided with that value."""
        new_values = {
            (name, to) for name, counts in self._transitions.items() if name in PATH_FIELDS for _, to in counts
        }
        keys = [k for k in (("changed", "", ""), ("unchanged", "", "")) if k in self._outcomes]
        keys += sorted(("took", name, to) for name, to in new_values if ("took", name, to) in self._outcomes)
        return tuple(
            OutcomeGroup(
                group,
                name,
                value,
                tuple(
                    OutcomeFigure(m, int(n), s / n) for m, (n, s) in self._outcomes[(group, name, value)].items() if n
                ),
            )
            for group, name, value in keys
        )


def reproduced(decided: Mapping[str, Any], matched: Sequence[str], again: Decision) -> tuple[dict[str, Any], list[str]]:
    """The logged decision fields (a field the log lacks: as decided again), and where deciding the
    logged facts again differs from what was logged ("path: logged 'EXPRESS', now 'STANDARD'")."""
    before = field_values(again)
    logged = {k: decided.get(k, before[k]) for k in FIELDS}
    differs = [f"{k}: logged {logged[k]!r}, now {before[k]!r}" for k in FIELDS if logged[k] != before[k]]
    if tuple(matched) != again.matched_rules:
        differs.append(
            f"matched rules: logged {', '.join(matched) or 'none'}, now {', '.join(again.matched_rules) or 'none'}"
        )
    return logged, differs


def _causes(before: Decision, after: Decision, changed: Sequence[str]) -> set[str]:
    """The rules matched under one version and not the other, and those that decided a changed field."""
    rules = set(before.matched_rules) ^ set(after.matched_rules)
    for name in changed:
        for d in (before, after):
            decided = d.decided_by.get(name)
            if decided:
                rules.update(decided.split(","))
    return rules


def segment_value(facts: Mapping[str, Any], path: str) -> str:
    """The order's value of a fact path as a segment: "unknown" when absent; for `lines.X`, the distinct
    values of its lines."""
    if path.startswith("lines."):
        values = sorted({str(line.get(path.removeprefix("lines."))) for line in facts.get("lines") or []})
        return ",".join(values) or "no lines"
    value = lookup(facts, path)
    return "unknown" if value is None else str(value)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    return str(value) if value not in ("", None) else "-"


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95% Wilson score interval of k successes in n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))
