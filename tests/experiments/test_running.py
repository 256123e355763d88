"""Results never take back what they said: running intersection of intervals, least p seen."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from experiments.lifecycle import new_experiment
from experiments.model import Experiment
from experiments.results import Results, Verdict, compute_results
from experiments.running import GUARDRAIL, Bounds, narrowed
from loadtest.bench_verdicts import CHECKS
from loadtest.verdict_world import draw, looks
from tests.experiments.test_verdicts import arms_of, rate_units

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_bounds_intersect_keep_the_earlier_pair_when_they_do_not_meet_and_keep_the_least_p() -> None:
    seen = Bounds(-0.02, 0.03, 0.4)
    assert seen.narrowed(Bounds(-0.01, 0.05, 0.6)) == Bounds(-0.01, 0.03, 0.4)
    assert seen.narrowed(Bounds(0.04, 0.06, 0.01)) == Bounds(-0.02, 0.03, 0.01)
    assert narrowed({"a": seen}, {"b": Bounds(0.0, 1.0)}) == {"a": seen, "b": Bounds(0.0, 1.0)}


LATER = START + timedelta(days=2)


def clearly_better() -> tuple[Experiment, Results]:
    """An experiment at 50% and a look that calls the candidate better: +6 points over 3,000 units an arm."""
    exp = new_experiment(
        id="running",
        rule_set="r",
        baseline_version=1,
        candidate_version=2,
        salt="s",
        created_by="t",
        now=START,
        share_bp=5_000,
    )
    return exp, compute_results(exp, arms_of(rate_units(3_000, 0.80), rate_units(3_000, 0.86), "on_time"), LATER)


def test_a_verdict_once_given_is_not_taken_back_by_a_noisier_look() -> None:
    """A +6 point look calls the candidate better; a later look whose own interval holds zero does not
    undo it, and its p-value is not allowed to rise."""
    exp, clear = clearly_better()
    assert clear.verdict is Verdict.BETTER
    noisy = arms_of(rate_units(3_100, 0.80), rate_units(3_100, 0.81), "on_time")
    alone = compute_results(exp, noisy, LATER)
    assert alone.verdict is Verdict.NO_DIFFERENCE_YET and alone.metrics[0].low < 0
    carried = compute_results(exp, noisy, LATER, clear.running)
    assert carried.verdict is Verdict.BETTER, carried.reason
    first, now = clear.metrics[0], carried.metrics[0]
    assert now.low == first.low and now.high < first.high and now.p_value == first.p_value
    assert carried.running["on_time"] == Bounds(now.low, now.high, now.p_value)


@pytest.mark.parametrize("seed", range(3))
def test_over_a_gray_release_intervals_only_narrow_and_p_values_only_fall(seed: int) -> None:
    ramp = next(c.scenario for c in CHECKS if c.scenario.name == "aa-ramp-trend")
    previous: dict[str, tuple[float, float, float]] = {}
    guard: dict[str, tuple[float, float]] = {}
    for _, results in looks(draw(ramp, seed)):
        for m in results.metrics:
            if m.low is None or m.high is None:
                continue
            if m.metric in previous:
                low, high, p = previous[m.metric]
                assert m.low >= low and m.high <= high and m.p_value <= p, m.metric
            previous[m.metric] = (m.low, m.high, m.p_value)
        for g in results.guardrails:
            if g.excess_low is None:
                continue
            if g.metric in guard:
                assert g.excess_low >= guard[g.metric][0] and g.p_value <= guard[g.metric][1]
            guard[g.metric] = (g.excess_low, g.p_value)
            assert results.running[GUARDRAIL + g.metric] == Bounds(g.excess_low, math.inf, g.p_value)
    assert len(previous) >= 5 and guard


def test_a_later_look_below_zero_cannot_turn_better_into_worse() -> None:
    """The verdict follows the side the narrowed interval is on, not this look's estimate."""
    exp, clear = clearly_better()
    below = compute_results(
        exp, arms_of(rate_units(3_100, 0.80), rate_units(3_100, 0.79), "on_time"), LATER, clear.running
    )
    assert below.metrics[0].difference is not None and below.metrics[0].difference < 0
    assert below.verdict is Verdict.BETTER, below.reason


def test_a_bound_that_is_not_a_number_says_nothing() -> None:
    seen = Bounds(-0.02, 0.03, 0.4)
    assert seen.narrowed(Bounds(math.nan, 0.01, math.nan)) == Bounds(-0.02, 0.01, 0.4)
    assert narrowed({}, {"a": Bounds(math.nan, math.nan, 0.5)}) == {"a": Bounds(-math.inf, math.inf, 0.5)}
