"""The results over time: a point per look the supervisor keeps (at a fixed cadence while an experiment
runs, and at every transition), and the thinning that makes a week of minutes a chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from experiments.model import Arm, Experiment, State
from experiments.results import Results, Verdict

CADENCE = timedelta(minutes=1)
"""How often a running experiment's results are kept."""
KEPT_POINTS = 7 * 24 * 60
"""At most this many cadence points per experiment (a week at the one-minute cadence); the oldest go first."""
KEPT_TRANSITIONS = 1_000
"""At most this many transition points (every ramp, pause, resume... of one experiment)."""
DEFAULT_SHOWN = 500
MAX_SHOWN = 5_000


@dataclass(frozen=True, slots=True)
class MetricPoint:
    metric: str
    difference: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class ResultsPoint:
    at: datetime
    verdict: Verdict
    state: State
    share_bp: int
    action: str
    """The transition taken at this moment; empty for a point at the cadence."""
    decisions: tuple[int, int]
    """Baseline, candidate."""
    metrics: tuple[MetricPoint, ...]


def point_of(experiment: Experiment, results: Results, action: str = "") -> ResultsPoint:
    arms = results.arms
    return ResultsPoint(
        results.computed_at,
        results.verdict,
        experiment.state,
        experiment.share_bp,
        action,
        (
            arms[Arm.BASELINE].decisions if Arm.BASELINE in arms else 0,
            arms[Arm.CANDIDATE].decisions if Arm.CANDIDATE in arms else 0,
        ),
        tuple(MetricPoint(m.metric, m.difference, m.low, m.high) for m in results.metrics),
    )


def even_indices(count: int, limit: int) -> list[int]:
    """At most `limit` of the indices 0..count-1, spread evenly, the first and the last among them: the
    points a chart of `count` keeps (a week of minutes shows its shape in 500)."""
    if count <= limit:
        return list(range(count))
    if limit <= 1:
        return [count - 1] if limit == 1 else []
    step = (count - 1) / (limit - 1)
    return sorted({round(k * step) for k in range(limit)})


def chart_points(cadence: Sequence[ResultsPoint], marks: Sequence[ResultsPoint], limit: int) -> list[ResultsPoint]:
    """What a chart shows: the cadence points thinned to `limit` (experiments.history.even_indices) and
    every transition, oldest first."""
    kept = [cadence[i] for i in even_indices(len(cadence), limit)]
    return sorted([*kept, *marks], key=lambda p: p.at)
