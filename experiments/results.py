"""An experiment's results and verdict, from the sums Redis keeps.

The verdict is one of
- INVALID: the traffic split is not what was configured (sample ratio
  mismatch in any allocation epoch): nothing else can be trusted; or, short of
  a guardrail breach, the outcomes of one arm go missing more often than the
  other's (coverage of a metric with a maturity window, experiments.maturity);
- WORSE: a guardrail is breached, or the primary metric is significantly worse;
- BETTER: the primary metric is significantly better and no guardrail is breached;
- NO_DIFFERENCE_YET: with an estimate of the sample still needed.
Nothing but INVALID is said before the minimum number of units (customers) per
arm and the minimum duration, except a guardrail breach: harm is stopped as
soon as it is proven, from MIN_GUARDRAIL_UNITS units per arm.

One error budget, the experiment's alpha (5%), is shared: the primary metric
spends PRIMARY_SHARE of it (3.25%), the guardrail family the rest (1.75%, Holm
within it), so a candidate no different from the baseline gets any verdict at
most alpha of the time, however often it is looked at.

Guardrails ask a one-sided question (is the candidate worse than the limit
allows?) and are tested with the one-sided mixture of scale 13 times the limit
(tuned to harms well past it: 15 times a 1% exception rate is stopped within
1,500 orders at 10% more often than not), still at most the family's share of
false aborts for a candidate exactly at its limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from experiments.capping import capped
from experiments.estimates import Difference, difference
from experiments.maturity import Coverage, coverage, matured, to_ms
from experiments.model import Arm, Experiment, Guardrail, MetricKind, MetricSpec
from experiments.running import GUARDRAIL, Bounds, Running, narrowed
from experiments.statistics import (
    SRM_ALPHA,
    ArmMoments,
    SampleRatio,
    always_valid_p,
    confidence_sequence,
    estimate,
    holm,
    one_sided_ratio,
    sample_ratio,
    samples_to_resolve,
)

PRIMARY_SHARE = 0.65
"""The primary metric's part of the experiment's alpha (3.25% of 5%); the guardrail family has the rest
(1.75%). At 0.8 a 15x-exception candidate was stopped by the 1,500-order look in 38% of 1,000 runs;
at 0.65, 52% [50.2, 53.8] of 3,000, while +4 points on time is still found in 82% [80.4, 83.7] of
2,000 (replays of recorded runs through compute_results, checked against the calibration suite)."""
MIN_UNITS = 20
"""Units per arm with a value before a metric's estimates and intervals are shown: below it the
cluster variance has too few clusters to be trusted."""
MIN_GUARDRAIL_UNITS = 30
"""Units per arm before a guardrail may fire."""
MIXTURE_SCALE = 1.5
"""The metrics' mixture scale as a multiple of their smallest effect worth detecting: the sequence is
tightest for effects about twice that size, where the power is wanted (calibration: +4 points on
time found within 20,000 orders at 10% in 81% of 300 runs at 1.5, 78% at 1; 79.9% of 1,000 at 1.5)."""
GUARDRAIL_SCALES = (13.0,)
"""The guardrail mixture's scales, as multiples of the limit (several are averaged: each costs some
evidence). One at 13 times the limit is the tightest boundary for a 15x harm of a 1% rate (its excess is
13 points), and leaves 3x and 5x harms no slower than at 8; scales of 3-6 made large harms slower."""


class Verdict(StrEnum):
    BETTER = "candidate better"
    WORSE = "candidate worse"
    NO_DIFFERENCE_YET = "no difference yet"
    INVALID = "invalid"


class Role(StrEnum):
    PRIMARY = "primary"
    GUARDRAIL = "guardrail"
    SECONDARY = "secondary"


@dataclass(frozen=True, slots=True)
class ArmData:
    """What Redis counts for one arm."""

    decisions: int = 0
    units: int = 0
    """Distinct units seen at the current share (epoch)."""
    outcomes: int = 0
    """Decisions with at least one outcome reported."""
    moments: Mapping[str, ArmMoments] = field(default_factory=dict)
    unassigned: int = 0
    """Orders served by this arm without the unit (a guest has no customer id): not randomised, so
    counted here and kept out of everything else. Only the baseline serves them."""
    epoch_units: Mapping[int, int] = field(default_factory=dict)
    """Distinct units seen in each epoch (the sample-ratio test of every epoch); the current
    epoch's count is `units`."""
    decided_hours: Mapping[int, int] = field(default_factory=dict)
    """Decisions per hour they were made in (hours since 1970): which have matured."""
    late: Mapping[str, int] = field(default_factory=dict)
    """Per metric, reports that came after their decision matured (not analysed)."""


@dataclass(frozen=True, slots=True)
class ArmEstimate:
    mean: float
    low: float
    high: float
    n: int
    clusters: int


@dataclass(frozen=True, slots=True)
class MetricResult:
    metric: str
    role: Role
    baseline: ArmEstimate | None
    candidate: ArmEstimate | None
    difference: float | None
    """candidate - baseline for a rate; candidate / baseline - 1 for an amount (`relative`)."""
    low: float | None
    high: float | None
    p_value: float
    adjusted_p: float
    verdict: Verdict
    relative: bool = False
    units: tuple[int, int] = (0, 0)
    """Units with a value in the baseline and the candidate."""


@dataclass(frozen=True, slots=True)
class GuardrailResult:
    metric: str
    limit: float
    relative: bool
    excess: float | None
    """How far past the limit the candidate is estimated to be (negative: within)."""
    excess_low: float | None
    p_value: float
    adjusted_p: float
    breached: bool


@dataclass(frozen=True, slots=True)
class Results:
    experiment_id: str
    verdict: Verdict
    reason: str
    samples_needed: int
    """More orders in the candidate arm before the primary metric can tell its smallest effect worth
    detecting from none, with 80% power (0: none needed)."""
    arms: Mapping[Arm, ArmData]
    metrics: tuple[MetricResult, ...]
    guardrails: tuple[GuardrailResult, ...]
    sample_ratio: SampleRatio
    """The least balanced epoch's test (the current epoch's when all are balanced)."""
    computed_at: datetime
    epoch_ratios: tuple[SampleRatio, ...] = ()
    """The sample-ratio test of every epoch with units, oldest first."""
    coverage: tuple[Coverage, ...] = ()
    """Per metric, the matured decisions of each arm with a report analysed; tested for the primary
    metric and the guardrails when they have a maturity window."""
    running: Running = field(default_factory=dict)
    """The bounds seen so far, this look's included (experiments.running): what the store keeps."""

    def summary(self) -> dict[str, object]:
        """A compact snapshot for audit entries."""
        return {
            "verdict": str(self.verdict),
            "reason": self.reason,
            "samples_needed": self.samples_needed,
            "arms": {
                str(a): {"decisions": d.decisions, "outcomes": d.outcomes, "unassigned": d.unassigned}
                for a, d in self.arms.items()
            },
            "metrics": {
                m.metric: {"difference": m.difference, "low": m.low, "high": m.high, "p": m.adjusted_p}
                for m in self.metrics
            },
            "guardrails": {
                g.metric: {"breached": g.breached, "excess": g.excess, "excess_low": g.excess_low, "p": g.adjusted_p}
                for g in self.guardrails
            },
            "srm_p": self.sample_ratio.p_value,
            "computed_at": self.computed_at.isoformat(),
        }


def alphas(experiment: Experiment) -> tuple[float, float]:
    """The primary metric's and the guardrail family's parts of the experiment's alpha."""
    return experiment.alpha * PRIMARY_SHARE, experiment.alpha * (1 - PRIMARY_SHARE)


def compute_results(
    experiment: Experiment, arms: Mapping[Arm, ArmData], now: datetime, running: Running | None = None
) -> Results:
    """The results now; with the bounds of earlier looks (`running`), intervals and p-values are
    narrowed by them, so what was shown is never taken back."""
    before = running or {}
    baseline, candidate = arms.get(Arm.BASELINE, ArmData()), arms.get(Arm.CANDIDATE, ArmData())
    alpha, guardrail_alpha = alphas(experiment)
    ratios = epoch_sample_ratios(experiment, baseline, candidate)
    srm = min(ratios, key=lambda r: (r.p_value, -r.epoch))
    guardrails = _guardrails(experiment, baseline, candidate, guardrail_alpha, before)
    coverages = outcome_coverage(experiment, baseline, candidate, now)
    uneven = [c for c in coverages if c.mismatch]

    specs = experiment.metrics
    names = [experiment.primary_metric] + [m for m in specs if m != experiment.primary_metric]
    compared = [(specs[name], _compare(specs[name], baseline, candidate)) for name in names]
    p_values = [min(_p_value(spec, d), before.get(spec.name, Bounds()).p) for spec, d in compared]
    secondary_p = holm(p_values[1:])
    guarded = {g.metric for g in experiment.guardrails}
    metrics = []
    for index, (spec, d) in enumerate(compared):
        adjusted = p_values[0] if index == 0 else secondary_p[index - 1]
        role = Role.PRIMARY if index == 0 else Role.GUARDRAIL if spec.name in guarded else Role.SECONDARY
        metrics.append(
            _metric_result(spec, role, baseline, candidate, d, p_values[index], adjusted, alpha, before.get(spec.name))
        )

    primary = metrics[0]
    have = min(primary.units)
    enough = have >= experiment.min_samples and now - experiment.created_at >= experiment.min_duration
    breached = [g for g in guardrails if g.breached]
    needed = _samples_needed(experiment, candidate, compared[0][1], alpha)
    if srm.mismatch:
        verdict, reason = (
            Verdict.INVALID,
            (
                f"sample ratio mismatch{f' in epoch {srm.epoch}' if len(ratios) > 1 else ''}: "
                f"{srm.observed_share:.2%} of units in the candidate, "
                f"{srm.expected_share:.2%} configured (p={srm.p_value:.2g})"
            ),
        )
    elif breached:
        verdict, needed = Verdict.WORSE, 0
        reason = "guardrail breached: " + ", ".join(
            f"{g.metric} worse than its limit by {g.excess:+.4g}" for g in breached
        )
    elif uneven:
        verdict, reason = Verdict.INVALID, "outcomes go missing unevenly: " + "; ".join(map(_uneven, uneven))
    elif not enough:
        verdict = Verdict.NO_DIFFERENCE_YET
        needed = max(needed, _orders_for_units(candidate, experiment, experiment.min_samples - have))
        reason = f"collecting: {have} of {experiment.min_samples} units per arm on {experiment.primary_metric}"
        window = experiment.window(experiment.primary_metric)
        if window:
            reason += f" (each decision counts once its hour is over and {_duration(window)} have passed)"
    elif primary.verdict in (Verdict.BETTER, Verdict.WORSE):
        verdict, needed = primary.verdict, 0
        shown = [_shown(v, primary.relative) for v in (primary.difference, primary.low, primary.high)]
        reason = f"{experiment.primary_metric} {shown[0]} ({shown[1]} to {shown[2]})"
    else:
        verdict = Verdict.NO_DIFFERENCE_YET
        reason = f"{experiment.primary_metric}: interval still includes no change"
    return Results(
        experiment.id,
        verdict,
        reason,
        needed,
        dict(arms),
        tuple(metrics),
        tuple(guardrails),
        srm,
        now,
        tuple(ratios),
        tuple(coverages),
        narrowed(before, _bounds(metrics, guardrails)),
    )


def _bounds(metrics: list[MetricResult], guardrails: list[GuardrailResult]) -> dict[str, Bounds]:
    """This look's bounds (narrowed by the earlier ones already), by key."""
    out = {m.metric: Bounds(m.low, m.high, m.p_value) for m in metrics if m.low is not None and m.high is not None}
    out.update(
        {
            GUARDRAIL + g.metric: Bounds(g.excess_low, math.inf, g.p_value)
            for g in guardrails
            if g.excess_low is not None
        }
    )
    return out


def outcome_coverage(experiment: Experiment, baseline: ArmData, candidate: ArmData, now: datetime) -> list[Coverage]:
    """Every metric's coverage; the primary's and the guardrails' are tested (those with a window),
    at SRM_ALPHA shared among them."""
    tested = {experiment.primary_metric, *(g.metric for g in experiment.guardrails)}
    windowed = [m for m in experiment.metrics if m in tested and experiment.window(m)]
    alpha = SRM_ALPHA / max(len(windowed), 1)
    now_ms = round(now.timestamp() * 1000)
    out = []
    for metric in experiment.metrics:
        window_ms = to_ms(experiment.window(metric))
        arms = (baseline, candidate)
        decided = [matured(a.decided_hours, window_ms, now_ms) if window_ms else a.decisions for a in arms]
        analysed = [round(a.moments[metric].n) if metric in a.moments else 0 for a in arms]
        out.append(
            coverage(
                metric,
                window_ms,
                (decided[0], decided[1]),
                (analysed[0], analysed[1]),
                (baseline.late.get(metric, 0), candidate.late.get(metric, 0)),
                alpha,
                tested=metric in windowed,
            )
        )
    return out


def _uneven(c: Coverage) -> str:
    b, s = c.shares
    return f"{c.metric} reported for {b or 0:.1%} of matured baseline decisions, {s or 0:.1%} of the candidate's"


def _duration(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 and hours % 24 == 0 else f"{hours:g} h"


def _shown(value: float | None, relative: bool) -> str:
    if value is None:
        return "-"
    return f"{value:+.2%}" if relative else f"{value * 100:+.2f}pt"


def epoch_sample_ratios(experiment: Experiment, baseline: ArmData, candidate: ArmData) -> list[SampleRatio]:
    """The sample-ratio test of each epoch with units, each at its share and at SRM_ALPHA divided
    among the epochs tested, so that the family keeps SRM_ALPHA."""
    counts = []
    for epoch in range(experiment.epoch + 1):
        current = epoch == experiment.epoch
        b = baseline.units if current else baseline.epoch_units.get(epoch, 0)
        c = candidate.units if current else candidate.epoch_units.get(epoch, 0)
        if b + c or current:
            counts.append((epoch, b, c))
    threshold = SRM_ALPHA / len(counts)
    return [
        sample_ratio(b, c, experiment.share_in(epoch) / 10_000, alpha=threshold, epoch=epoch) for epoch, b, c in counts
    ]


def tau2_for(spec: MetricSpec) -> float:
    """The mixture variance, from the smallest effect worth detecting (points for a rate, a share of the
    baseline for an amount): fixed before any data."""
    return (spec.mde * MIXTURE_SCALE) ** 2


def _compare(spec: MetricSpec, baseline: ArmData, candidate: ArmData, min_units: int = MIN_UNITS) -> Difference | None:
    b, c = baseline.moments.get(spec.name, ArmMoments()), candidate.moments.get(spec.name, ArmMoments())
    if min(b.units, c.units) < min_units:
        return None
    return difference(b, c, relative=spec.relative, rate=spec.kind is MetricKind.RATE)


def _p_value(spec: MetricSpec, d: Difference | None) -> float:
    return 1.0 if d is None else always_valid_p(d.value, d.tested_variance, tau2_for(spec))


def _arms(
    baseline: ArmMoments | None, candidate: ArmMoments | None, spec: MetricSpec, alpha: float
) -> list[ArmEstimate | None]:
    """Each arm's mean and confidence sequence, weighted as the comparison is (experiments.capping);
    n counts the orders as they are."""
    raw = [baseline or ArmMoments(), candidate or ArmMoments()]
    out: list[ArmEstimate | None] = []
    for m, weighted in zip(raw, capped(raw[0], raw[1]), strict=True):
        e = estimate(weighted) if m.units >= MIN_UNITS else None
        if e is None:
            out.append(None)
            continue
        scale = 1.0 if spec.kind is MetricKind.RATE else abs(e.mean) or 1.0
        low, high = confidence_sequence(e.mean, e.variance, (spec.mde * scale) ** 2, alpha)
        out.append(ArmEstimate(e.mean, low, high, round(m.n), e.clusters))
    return out


def _metric_result(
    spec: MetricSpec,
    role: Role,
    baseline: ArmData,
    candidate: ArmData,
    d: Difference | None,
    p: float,
    adjusted: float,
    alpha: float,
    before: Bounds | None,
) -> MetricResult:
    low = high = None
    verdict = Verdict.NO_DIFFERENCE_YET
    if d is not None:
        # Holm at level α: the adjusted p decides; the interval is shown at α for the primary,
        # and at the α that matches the adjustment for the others.
        level = alpha if role is Role.PRIMARY else alpha * p / adjusted if adjusted > 0 else alpha
        low, high = confidence_sequence(d.value, d.tested_variance, tau2_for(spec), min(level, alpha))
        if before is not None:
            narrowest = before.narrowed(Bounds(low, high))
            low, high = narrowest.low, narrowest.high
        if adjusted <= alpha and (low > 0 or high < 0):
            # The side the interval is on, not this look's estimate (which may lie outside it).
            good = (low > 0) == spec.higher_is_better
            verdict = Verdict.BETTER if good else Verdict.WORSE
    b, c = baseline.moments.get(spec.name), candidate.moments.get(spec.name)
    arm_b, arm_c = _arms(b, c, spec, alpha)
    return MetricResult(
        spec.name,
        role,
        arm_b,
        arm_c,
        d.value if d is not None else None,
        low,
        high,
        p,
        adjusted,
        verdict,
        spec.relative,
        (b.units if b else 0, c.units if c else 0),
    )


def guardrail_p(excess: float, variance: float, limit: float) -> float:
    """Always-valid p of "the candidate is within its limit" (excess <= 0), one-sided."""
    ratio = sum(one_sided_ratio(excess, variance, (k * limit) ** 2) for k in GUARDRAIL_SCALES)
    return min(1.0, len(GUARDRAIL_SCALES) / ratio) if ratio > 0 else 1.0


def guardrail_low(excess: float, variance: float, limit: float, level: float) -> float:
    """The lower confidence bound of the excess: the largest shift δ for which "excess <= δ" is still
    rejected at `level` (bisection; guardrail_p falls as the excess grows)."""
    spread = math.sqrt(max(variance, 1e-300))
    low, high = excess - 60 * spread, excess
    for _ in range(100):
        middle = (low + high) / 2
        if guardrail_p(excess - middle, variance, limit) <= level:
            low = middle
        else:
            high = middle
    return low


def _guardrails(
    experiment: Experiment, baseline: ArmData, candidate: ArmData, alpha: float, before: Running
) -> list[GuardrailResult]:
    rows: list[tuple[Guardrail, float | None, float, float]] = []
    for guardrail in experiment.guardrails:
        spec = experiment.metrics[guardrail.metric]
        d = _compare(spec, baseline, candidate, MIN_GUARDRAIL_UNITS)
        if d is None:
            rows.append((guardrail, None, 0.0, before.get(GUARDRAIL + guardrail.metric, Bounds()).p))
            continue
        # The excess D = s·θ - L, s = +1 when higher is worse: D > 0 is a breach.
        excess = (-d.value if spec.higher_is_better else d.value) - guardrail.limit
        p = min(
            guardrail_p(excess, d.tested_variance, guardrail.limit),
            before.get(GUARDRAIL + guardrail.metric, Bounds()).p,
        )
        rows.append((guardrail, excess, d.tested_variance, p))
    adjusted = holm([row[3] for row in rows]) if rows else []
    out = []
    for (guardrail, estimated, variance, p), adj in zip(rows, adjusted, strict=True):
        relative = experiment.metrics[guardrail.metric].relative
        low: float | None = None
        if estimated is not None:
            level = min(alpha * p / adj if adj > 0 else alpha, alpha)
            low = max(
                guardrail_low(estimated, variance, guardrail.limit, level),
                before.get(GUARDRAIL + guardrail.metric, Bounds()).low,
            )
        breached = estimated is not None and adj <= alpha
        out.append(GuardrailResult(guardrail.metric, guardrail.limit, relative, estimated, low, p, adj, breached))
    return out


def _orders_for_units(candidate: ArmData, experiment: Experiment, units: int) -> int:
    """Candidate orders that bring `units` more units, at the orders per unit seen so far."""
    moments = candidate.moments.get(experiment.primary_metric, ArmMoments())
    per_unit = moments.n / moments.units if moments.units else 1.0
    return max(0, math.ceil(units * per_unit))


def _samples_needed(experiment: Experiment, candidate: ArmData, d: Difference | None, alpha: float) -> int:
    primary = experiment.primary_metric
    orders = round(candidate.moments.get(primary, ArmMoments()).n)
    if d is None:
        return max(experiment.min_samples - orders, 1)
    spec = experiment.metrics[primary]
    return samples_to_resolve(orders, d.tested_variance, tau2_for(spec), alpha, spec.mde)
