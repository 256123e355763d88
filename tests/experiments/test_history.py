"""A week of minutes thins to a chart that keeps its shape and every transition."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from experiments import State, Verdict
from experiments.history import MetricPoint, ResultsPoint, chart_points, even_indices

START = datetime(2026, 12, 1, tzinfo=UTC)


def point(minute: int, action: str = "") -> ResultsPoint:
    metric = MetricPoint("on_time", 0.01 * minute, -0.5, 0.5)
    at = START + timedelta(minutes=minute)
    return ResultsPoint(at, Verdict.NO_DIFFERENCE_YET, State.RUNNING, 500, action, (9, 1), (metric,))


def test_even_indices_keep_the_first_and_the_last_and_leave_no_long_gap() -> None:
    week = 7 * 24 * 60
    kept = even_indices(week, 500)
    assert len(kept) == 500 and kept[0] == 0 and kept[-1] == week - 1
    assert max(b - a for a, b in itertools.pairwise(kept)) <= week / 499 + 1
    assert even_indices(20, 500) == list(range(20))
    assert even_indices(5, 1) == [4] and even_indices(5, 0) == []


def test_a_chart_shows_the_thinned_cadence_and_every_transition_in_time_order() -> None:
    cadence = [point(m) for m in range(7 * 24 * 60)]
    marks = [point(10, "ramp"), point(5_000, "pause")]
    shown = chart_points(cadence, marks, 500)
    assert len(shown) == 502 and [p for p in shown if p.action] == marks
    assert shown == sorted(shown, key=lambda p: p.at) and shown[-1] == cadence[-1]
