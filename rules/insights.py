"""Rule insights: per rule, the logged orders it matched, the decision fields it decided, and the recorded
outcomes of the orders it decided beside those of every other order read (observational, not causal:
a rule picks its orders, so they may differ from the rest in more than its decision).

Pure: the caller re-decides each logged order with the version that decided it (for `decided_by`) and
feeds the decision and the order's recorded outcome in.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rules.combine import Decision
from rules.replay import OUTCOME_METRICS, wilson

RATES = frozenset({"on_time", "exception", "complaint"})
"""Yes/no outcomes: a rate with a Wilson interval; the others are amounts (a mean with a t interval)."""
Z = 1.959964


@dataclass(frozen=True, slots=True)
class Estimate:
    reports: int
    mean: float
    low: float
    high: float
    """The mean's 95% interval; for fewer than two reports of an amount, the mean itself."""


@dataclass(frozen=True, slots=True)
class Comparison:
    metric: str
    decided: Estimate
    rest: Estimate
    difference: float
    """decided - rest, with its 95% interval (Newcombe's for rates, Welch's for amounts); 0 and an
    empty interval when either side has no report."""
    difference_low: float
    difference_high: float


@dataclass(frozen=True, slots=True)
class RuleInsight:
    rule_id: str
    matched: int
    decided: int
    fields: tuple[tuple[str, int], ...]
    """Per decision field, the orders it decided it for, most first."""
    kpis: tuple[Comparison, ...]

    def comparison(self, metric: str) -> Comparison | None:
        return next((c for c in self.kpis if c.metric == metric), None)


@dataclass(frozen=True, slots=True)
class Insights:
    orders: int
    reported: int
    rules: tuple[RuleInsight, ...]
    """The worst first: the highest exception rate over the rest's, then the lowest on-time rate."""


@dataclass
class _Sums:
    n: int = 0
    total: float = 0.0
    squares: float = 0.0

    def add(self, value: float) -> None:
        self.n += 1
        self.total += value
        self.squares += value * value

    def minus(self, other: _Sums) -> _Sums:
        return _Sums(self.n - other.n, self.total - other.total, self.squares - other.squares)


@dataclass
class InsightTally:
    default_rule: str = "default"
    """Its id: counted as matching the orders no other rule matched."""
    orders: int = 0
    reported: int = 0
    _matched: Counter[str] = field(default_factory=Counter)
    _decided: Counter[str] = field(default_factory=Counter)
    _fields: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    _sums: defaultdict[str, defaultdict[str, _Sums]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(_Sums))
    )
    """Rule id -> metric -> the outcomes of the orders it decided."""
    _all: defaultdict[str, _Sums] = field(default_factory=lambda: defaultdict(_Sums))

    def add(self, decision: Decision, outcome: Mapping[str, float] | None) -> None:
        """`decision`: the logged order decided again by the version that decided it."""
        self.orders += 1
        self._matched.update(decision.matched_rules or (self.default_rule,))
        deciders: defaultdict[str, list[str]] = defaultdict(list)
        for name, rules in decision.decided_by.items():
            for rule in rules.split(","):
                deciders[rule].append(name)
        for rule, names in deciders.items():
            self._decided[rule] += 1
            self._fields[rule].update(names)
        if not outcome:
            return
        self.reported += 1
        for metric in OUTCOME_METRICS:
            if metric in outcome:
                value = float(outcome[metric])
                self._all[metric].add(value)
                for rule in deciders:
                    self._sums[rule][metric].add(value)

    def report(self, rule_order: Sequence[str] = ()) -> Insights:
        """Every rule that matched or decided an order; `rule_order` breaks ties (priority order)."""
        rank = {rule: i for i, rule in enumerate(rule_order)}
        rules = [self._insight(rule) for rule in set(self._matched) | set(self._decided)]
        rules.sort(key=lambda r: (*_badness(r), rank.get(r.rule_id, len(rank)), r.rule_id))
        return Insights(self.orders, self.reported, tuple(rules))

    def _insight(self, rule: str) -> RuleInsight:
        kpis = []
        for metric in OUTCOME_METRICS:
            decided, everyone = self._sums[rule][metric], self._all[metric]
            if everyone.n:
                kpis.append(compare(metric, decided, everyone.minus(decided)))
        fields = tuple(sorted(self._fields[rule].items(), key=lambda item: (-item[1], item[0])))
        return RuleInsight(rule, self._matched[rule], self._decided[rule], fields, tuple(kpis))


def _badness(r: RuleInsight) -> tuple[float, float]:
    """Sort key: exception rate over the rest's (higher first), then on-time below the rest's."""
    exception, on_time = r.comparison("exception"), r.comparison("on_time")
    return (
        -(exception.difference if exception and exception.decided.reports else -math.inf),
        on_time.difference if on_time and on_time.decided.reports else math.inf,
    )


def compare(metric: str, decided: _Sums, rest: _Sums) -> Comparison:
    a, b = estimate(metric, decided), estimate(metric, rest)
    if not (a.reports and b.reports):
        return Comparison(metric, a, b, 0.0, 0.0, 0.0)
    d = a.mean - b.mean
    if metric in RATES:  # Newcombe's hybrid score interval from the two Wilson intervals
        low = d - math.sqrt((a.mean - a.low) ** 2 + (b.high - b.mean) ** 2)
        high = d + math.sqrt((a.high - a.mean) ** 2 + (b.mean - b.low) ** 2)
        return Comparison(metric, a, b, d, low, high)
    va, vb = _variance(decided) / a.reports, _variance(rest) / b.reports
    if a.reports < 2 or b.reports < 2:
        return Comparison(metric, a, b, d, d, d)
    dof = (va + vb) ** 2 / ((va**2 / (a.reports - 1)) + (vb**2 / (b.reports - 1))) if va + vb else math.inf
    half = t_quantile(dof) * math.sqrt(va + vb)
    return Comparison(metric, a, b, d, d - half, d + half)


def estimate(metric: str, sums: _Sums) -> Estimate:
    if not sums.n:
        return Estimate(0, 0.0, 0.0, 0.0)
    mean = sums.total / sums.n
    if metric in RATES:
        low, high = wilson(round(sums.total), sums.n)
        return Estimate(sums.n, mean, low, high)
    if sums.n < 2:
        return Estimate(sums.n, mean, mean, mean)
    half = t_quantile(sums.n - 1) * math.sqrt(_variance(sums) / sums.n)
    return Estimate(sums.n, mean, mean - half, mean + half)


def _variance(s: _Sums) -> float:
    if s.n < 2:
        return 0.0
    return max(0.0, (s.squares - s.total * s.total / s.n) / (s.n - 1))


def t_quantile(dof: float) -> float:
    """The two-sided 95% quantile of Student's t (Cornish-Fisher expansion; within 0.5% from 3 degrees
    of freedom, exact in the limit)."""
    if math.isinf(dof):
        return Z
    z, v = Z, max(dof, 1.0)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
    )
