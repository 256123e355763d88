"""An experiment's results and verdict, from the sums Redis keeps.

The verdict is one of
- INVALID: the traffic split is not what was configured (sample ratio
  mismatch): nothing else can be trusted;
- WORSE: a guardrail is breached, or the primary metric is significantly worse;
- BETTER: the primary metric is significantly better and no guardrail is breached;
- NO_DIFFERENCE_YET: with an estimate of the sample still needed.
Nothing but INVALID is said before the minimum sample and duration, except a
guardrail breach: harm is stopped as soon as it is proven.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from experiments.model import METRICS, Arm, Experiment, Guardrail, MetricKind
from experiments.statistics import (
    Estimate,
    Moments,
    SampleRatio,
    always_valid_p,
    confidence_sequence,
    estimate,
    holm,
    sample_ratio,
    samples_to_resolve,
)

MIN_GUARDRAIL_SAMPLES = 30
"""Outcomes per arm before a guardrail may fire: the normal approximation needs a few."""


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
    moments: Mapping[str, Moments] = field(default_factory=dict)
    unassigned: int = 0
    """Orders served by this arm without the unit (a guest has no customer id): not randomised, so
    counted here and kept out of everything else. Only the baseline serves them."""


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
    low: float | None
    high: float | None
    p_value: float
    adjusted_p: float
    verdict: Verdict


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
    """More outcomes in the candidate arm before the primary metric can be resolved (0: none)."""
    arms: Mapping[Arm, ArmData]
    metrics: tuple[MetricResult, ...]
    guardrails: tuple[GuardrailResult, ...]
    sample_ratio: SampleRatio
    computed_at: datetime

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
                g.metric: {"breached": g.breached, "excess": g.excess, "p": g.adjusted_p} for g in self.guardrails
            },
            "srm_p": self.sample_ratio.p_value,
            "computed_at": self.computed_at.isoformat(),
        }


def compute_results(experiment: Experiment, arms: Mapping[Arm, ArmData], now: datetime) -> Results:
    baseline, candidate = arms.get(Arm.BASELINE, ArmData()), arms.get(Arm.CANDIDATE, ArmData())
    alpha = experiment.alpha
    srm = sample_ratio(baseline.units, candidate.units, experiment.share_bp / 10_000)
    guardrails = _guardrails(experiment, baseline, candidate, alpha)

    names = [experiment.primary_metric] + [m for m in METRICS if m != experiment.primary_metric]
    raw = [_compare(name, baseline, candidate) for name in names]
    secondary_p = holm([r[4] for r in raw[1:]]) if len(raw) > 1 else []
    guarded = {g.metric for g in experiment.guardrails}
    metrics = []
    for index, (name, b, c, diff, p, tau2) in enumerate(raw):
        adjusted = p if index == 0 else secondary_p[index - 1]
        role = Role.PRIMARY if index == 0 else Role.GUARDRAIL if name in guarded else Role.SECONDARY
        metrics.append(_metric_result(name, role, b, c, diff, p, adjusted, tau2, alpha))

    primary = metrics[0]
    _, b_est, c_est, diff, _, tau2 = raw[0]
    enough = (
        b_est is not None
        and c_est is not None
        and min(b_est.n, c_est.n) >= experiment.min_samples
        and now - experiment.created_at >= experiment.min_duration
    )
    breached = [g for g in guardrails if g.breached]
    needed = _samples_needed(experiment, b_est, c_est, diff, tau2, alpha)
    if srm.mismatch:
        verdict, reason = (
            Verdict.INVALID,
            (
                f"sample ratio mismatch: {srm.observed_share:.2%} of units in the candidate, "
                f"{srm.expected_share:.2%} configured (p={srm.p_value:.2g})"
            ),
        )
    elif breached:
        verdict, needed = Verdict.WORSE, 0
        reason = "guardrail breached: " + ", ".join(
            f"{g.metric} worse than its limit by {g.excess:+.4g}" for g in breached
        )
    elif not enough:
        verdict = Verdict.NO_DIFFERENCE_YET
        have = min(b_est.n if b_est else 0, c_est.n if c_est else 0)
        needed = max(needed, experiment.min_samples - have)
        reason = f"collecting: {have} of {experiment.min_samples} outcomes per arm on {experiment.primary_metric}"
    elif primary.verdict in (Verdict.BETTER, Verdict.WORSE):
        verdict, needed = primary.verdict, 0
        reason = f"{experiment.primary_metric} {primary.difference:+.4g} ({primary.low:+.4g} to {primary.high:+.4g})"
    else:
        verdict = Verdict.NO_DIFFERENCE_YET
        reason = f"{experiment.primary_metric}: interval still includes no change"
    return Results(experiment.id, verdict, reason, needed, dict(arms), tuple(metrics), tuple(guardrails), srm, now)


def tau2_for(metric: str, baseline_mean: float | None) -> float:
    """The mixture variance: the smallest effect worth detecting, squared."""
    spec = METRICS[metric]
    if spec.kind is MetricKind.RATE:
        return spec.mde**2
    scale = abs(baseline_mean) if baseline_mean else 1.0
    return (spec.mde * scale) ** 2


def _compare(
    name: str, baseline: ArmData, candidate: ArmData
) -> tuple[str, Estimate | None, Estimate | None, float | None, float, float]:
    b, c = estimate(baseline.moments.get(name, Moments())), estimate(candidate.moments.get(name, Moments()))
    tau2 = tau2_for(name, b.mean if b else None)
    if b is None or c is None:
        return name, b, c, None, 1.0, tau2
    diff = c.mean - b.mean
    return name, b, c, diff, always_valid_p(diff, b.variance + c.variance, tau2), tau2


def _arm(e: Estimate | None, tau2: float, alpha: float) -> ArmEstimate | None:
    if e is None:
        return None
    low, high = confidence_sequence(e.mean, e.variance, tau2, alpha)
    return ArmEstimate(e.mean, low, high, e.n, e.clusters)


def _metric_result(
    name: str,
    role: Role,
    b: Estimate | None,
    c: Estimate | None,
    diff: float | None,
    p: float,
    adjusted: float,
    tau2: float,
    alpha: float,
) -> MetricResult:
    low = high = None
    verdict = Verdict.NO_DIFFERENCE_YET
    if b is not None and c is not None and diff is not None:
        # Holm at level α: the adjusted p decides; the interval is shown at α for the primary,
        # and at the α that matches the adjustment for the others.
        level = alpha if role is Role.PRIMARY else alpha * p / adjusted if adjusted > 0 else alpha
        low, high = confidence_sequence(diff, b.variance + c.variance, tau2, min(level, alpha))
        if adjusted <= alpha and (low > 0 or high < 0):
            good = (diff > 0) == METRICS[name].higher_is_better
            verdict = Verdict.BETTER if good else Verdict.WORSE
    return MetricResult(name, role, _arm(b, tau2, alpha), _arm(c, tau2, alpha), diff, low, high, p, adjusted, verdict)


def _guardrails(experiment: Experiment, baseline: ArmData, candidate: ArmData, alpha: float) -> list[GuardrailResult]:
    rows: list[tuple[Guardrail, float | None, float, float, float]] = []
    for guardrail in experiment.guardrails:
        spec = METRICS[guardrail.metric]
        b = estimate(baseline.moments.get(guardrail.metric, Moments()))
        c = estimate(candidate.moments.get(guardrail.metric, Moments()))
        if b is None or c is None or min(b.n, c.n) < MIN_GUARDRAIL_SAMPLES:
            rows.append((guardrail, None, 0.0, 1.0, 1.0))
            continue
        # Badness D = s·m_c - (s + L_rel)·m_b - L_abs, s = +1 when higher is worse: D > 0 is a breach.
        s = -1.0 if spec.higher_is_better else 1.0
        relative = spec.kind is MetricKind.AMOUNT
        a = s + (guardrail.limit if relative else 0.0)
        excess = s * c.mean - a * b.mean - (0.0 if relative else guardrail.limit)
        variance = c.variance + a * a * b.variance
        tau2 = (guardrail.limit * (abs(b.mean) if relative else 1.0)) ** 2 or 1e-12
        p = always_valid_p(excess, variance, tau2) if excess > 0 else 1.0
        rows.append((guardrail, excess, variance, tau2, p))
    adjusted = holm([row[4] for row in rows]) if rows else []
    out = []
    for (guardrail, estimated, variance, tau2, p), adj in zip(rows, adjusted, strict=True):
        relative = METRICS[guardrail.metric].kind is MetricKind.AMOUNT
        low = None
        if estimated is not None:
            level = alpha * p / adj if adj > 0 else alpha
            low, _ = confidence_sequence(estimated, variance, tau2, min(level, alpha))
        breached = estimated is not None and low is not None and adj <= alpha and low > 0
        out.append(GuardrailResult(guardrail.metric, guardrail.limit, relative, estimated, low, p, adj, breached))
    return out


def _samples_needed(
    experiment: Experiment, b: Estimate | None, c: Estimate | None, diff: float | None, tau2: float, alpha: float
) -> int:
    if b is None or c is None or diff is None:
        return experiment.min_samples
    spec = METRICS[experiment.primary_metric]
    floor = spec.mde * (1.0 if spec.kind is MetricKind.RATE else abs(b.mean) or 1.0)
    return samples_to_resolve(c.n, b.variance + c.variance, tau2, alpha, max(abs(diff), floor))
