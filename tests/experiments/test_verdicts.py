"""The verdict under continuous monitoring: false positives, power, guardrails (in memory)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from experiments._errors import InvalidExperiment
from experiments.lifecycle import new_experiment, ramp
from experiments.model import Arm, Experiment, Guardrail, MetricKind, MetricSpec
from experiments.results import ArmData, Verdict, compute_results
from experiments.simulation import OutcomeModel, simulate_in_memory
from experiments.statistics import ArmMoments

START = datetime(2026, 1, 1, tzinfo=UTC)


def experiment(share_bp: int, seed: int, **overrides) -> Experiment:
    return new_experiment(
        id=f"sim-{seed}",
        rule_set="fulfilment",
        baseline_version=1,
        candidate_version=2,
        salt=f"salt-{seed}",
        created_by="test",
        now=START,
        share_bp=share_bp,
        **overrides,
    )


def test_aa_runs_are_not_called_better_above_the_nominal_rate() -> None:
    """No true effect, reviewers looking after every 500 orders: how often is any look 'better'?"""
    runs, better, worse = 120, 0, 0
    for seed in range(runs):
        looks, _ = simulate_in_memory(
            experiment(1000, seed), OutcomeModel(), OutcomeModel(), 6_000, 500, seed, {Verdict.BETTER, Verdict.WORSE}
        )
        verdicts = {look.verdict for look in looks}
        better += Verdict.BETTER in verdicts
        worse += Verdict.WORSE in verdicts
        assert Verdict.INVALID not in verdicts
    # Nominal: at most alpha = 5% of runs ever declare a difference, looks included.
    assert better / runs <= 0.05, better
    assert (better + worse) / runs <= 0.05 + 0.02, (better, worse)


def test_an_eight_point_on_time_gain_at_ten_percent_is_called_better_within_20000_orders() -> None:
    detected = 0
    for seed in range(20):
        base = OutcomeModel()
        looks, _ = simulate_in_memory(
            experiment(1000, 100 + seed),
            base,
            base.with_effects({"on_time": 0.08}),
            20_000,
            500,
            100 + seed,
            {Verdict.BETTER},
        )
        detected += looks[-1].verdict is Verdict.BETTER
    assert detected >= 19


def test_fifteen_times_the_exception_rate_is_stopped_by_its_guardrail() -> None:
    base = OutcomeModel(exception=0.01)
    looks, at = simulate_in_memory(
        experiment(1000, 7), base, base.with_effects({"*exception": 15}), 20_000, 250, 7, {Verdict.WORSE}
    )
    final = looks[-1]
    assert final.verdict is Verdict.WORSE
    assert "exception" in final.reason
    assert [g.metric for g in final.guardrails if g.breached] == ["exception"]
    assert at < 20_000


def test_small_harm_within_the_guardrail_limit_does_not_fire() -> None:
    base = OutcomeModel(exception=0.02)
    exp = experiment(5000, 9, guardrails=[Guardrail("exception", 0.02)])
    looks, _ = simulate_in_memory(exp, base, base.with_effects({"exception": 0.005}), 8_000, 1000, 9, {Verdict.WORSE})
    assert all(not g.breached for look in looks for g in look.guardrails)


def test_no_verdict_before_the_minimum_sample_and_it_says_how_many_more() -> None:
    looks, _ = simulate_in_memory(
        experiment(1000, 3, min_samples=5_000),
        OutcomeModel(),
        OutcomeModel().with_effects({"on_time": 0.08}),
        4_000,
        4_000,
        3,
        set(),
    )
    (look,) = looks
    assert look.verdict is Verdict.NO_DIFFERENCE_YET
    assert look.samples_needed > 0
    assert "of 5000 units per arm" in look.reason


def test_sample_ratio_mismatch_makes_results_invalid() -> None:
    exp = experiment(500, 4)
    arms = {Arm.BASELINE: ArmData(95_000, 95_000, 0), Arm.CANDIDATE: ArmData(4_000, 4_000, 0)}
    results = compute_results(exp, arms, START)
    assert results.verdict is Verdict.INVALID
    assert "sample ratio mismatch" in results.reason


def rate_units(units: int, rate: float, epoch: int = 0) -> list[dict[int, list[float]]]:
    """`units` units of one order each, exactly round(units·rate) of them with the outcome."""
    hits = round(units * rate)
    return [{epoch: [1.0 if i < hits else 0.0]} for i in range(units)]


def arms_of(baseline: list[dict[int, list[float]]], candidate: list[dict[int, list[float]]], metric: str) -> dict:
    out = {}
    for arm, units in ((Arm.BASELINE, baseline), (Arm.CANDIDATE, candidate)):
        per_epoch: dict[int, int] = {}
        for unit in units:
            for e in unit:
                per_epoch[e] = per_epoch.get(e, 0) + 1
        moments = {metric: ArmMoments.of_units(units)}
        out[arm] = ArmData(len(units), per_epoch.get(max(per_epoch), 0), len(units), moments, 0, per_epoch)
    return out


def test_a_ramp_while_on_time_falls_for_everyone_is_no_effect() -> None:
    """5% of the units at 90% on time, then 50% at 70%: pooled, the candidate looks 15 points worse."""
    exp = ramp(experiment(500, 5), 5_000)
    baseline = rate_units(9_500, 0.9) + rate_units(5_000, 0.7, epoch=1)
    candidate = rate_units(500, 0.9) + rate_units(5_000, 0.7, epoch=1)
    results = compute_results(exp, arms_of(baseline, candidate, "on_time"), START)
    primary = results.metrics[0]
    assert primary.difference == pytest.approx(0.0, abs=1e-12)
    assert results.verdict is Verdict.NO_DIFFERENCE_YET, results.reason


def test_an_imbalance_in_an_earlier_epoch_stays_visible_after_a_ramp() -> None:
    exp = ramp(experiment(1_000, 6), 2_000)
    arms = {
        Arm.BASELINE: ArmData(90_000, 8_000, 0, epoch_units={0: 95_000, 1: 8_000}),
        Arm.CANDIDATE: ArmData(5_000, 2_000, 0, epoch_units={0: 5_000, 1: 2_000}),
    }
    results = compute_results(exp, arms, START)
    assert results.verdict is Verdict.INVALID
    assert "in epoch 0" in results.reason
    assert [r.mismatch for r in results.epoch_ratios] == [True, False]


def test_an_arm_at_a_rate_of_one_does_not_give_infinite_evidence() -> None:
    """30 customers all on time against 95%: it happens one time in five by chance (0.95^30)."""
    results = compute_results(
        experiment(1_000, 7), arms_of(rate_units(2_000, 0.95), rate_units(30, 1.0), "on_time"), START
    )
    assert results.metrics[0].p_value > 0.05


@pytest.mark.parametrize(("candidate_reported", "invalid"), [(600, True), (945, False)])
def test_outcomes_missing_more_in_one_arm_make_results_invalid(candidate_reported: int, invalid: bool) -> None:
    """Both arms' decisions matured (24 h window, two days on); the baseline reported 95% of them."""
    exp = experiment(500, 5, maturity={"on_time": timedelta(hours=24)})
    arms = arms_of(rate_units(18_050, 0.9), rate_units(candidate_reported, 0.9), "on_time")
    hour = int(START.timestamp()) // 3600
    decided = {Arm.BASELINE: 19_000, Arm.CANDIDATE: 1_000}
    arms = {
        arm: dataclasses.replace(data, decisions=decided[arm], units=decided[arm], decided_hours={hour: decided[arm]})
        for arm, data in arms.items()
    }
    results = compute_results(exp, arms, START + timedelta(days=2))
    on_time = next(c for c in results.coverage if c.metric == "on_time")
    assert on_time.matured == (19_000, 1_000) and on_time.analysed == (18_050, candidate_reported)
    assert on_time.shares == (0.95, candidate_reported / 1_000)
    assert (results.verdict is Verdict.INVALID) is invalid, results.reason
    assert ("outcomes go missing unevenly" in results.reason) is invalid
    # Before the window has passed nothing has matured, and nothing is tested.
    early = compute_results(exp, arms, START + timedelta(hours=12))
    assert next(c for c in early.coverage if c.metric == "on_time").test is None
    assert early.verdict is not Verdict.INVALID


INQUIRIES = MetricSpec("inquiries", MetricKind.COUNT, False, "customer inquiries per order", 0.05)


def test_a_declared_count_is_compared_relative_to_the_baseline_and_its_guardrail_stops_harm() -> None:
    """Inquiries per order: 0.2 in the baseline, 0.6 in the candidate (3x), with a +50% guardrail."""
    exp = experiment(1_000, 8, declared=(INQUIRIES,), declared_limits={"inquiries": 0.5})
    baseline = [{0: [1.0 if i % 5 == 0 else 0.0]} for i in range(4_000)]
    candidate = [{0: [float(i % 5 < 3)]} for i in range(400)]
    results = compute_results(exp, arms_of(baseline, candidate, "inquiries"), START)
    declared = next(m for m in results.metrics if m.metric == "inquiries")
    assert declared.relative and declared.difference == pytest.approx(2.0)
    guardrail = next(g for g in results.guardrails if g.metric == "inquiries")
    assert guardrail.breached and results.verdict is Verdict.WORSE, results.reason


def test_a_declared_metric_may_be_the_primary_one() -> None:
    nps = MetricSpec("nps", MetricKind.AMOUNT, True, "likely to recommend, 0-10", 0.05)
    exp = experiment(5_000, 9, declared=(nps,), primary_metric="nps", min_samples=100)
    baseline = [{0: [7.0 + (i % 3)]} for i in range(1_000)]
    candidate = [{0: [8.0 + (i % 3)]} for i in range(1_000)]
    results = compute_results(exp, arms_of(baseline, candidate, "nps"), START)
    assert results.metrics[0].metric == "nps" and results.verdict is Verdict.BETTER, results.reason


@pytest.mark.parametrize(
    ("declared", "field"),
    [
        ((MetricSpec("on_time", MetricKind.RATE, True, "", 0.02),), "metrics[0].name"),
        ((MetricSpec("Bad-Name", MetricKind.RATE, True, "", 0.02),), "metrics[0].name"),
        ((INQUIRIES, INQUIRIES), "metrics[1].name"),
        ((MetricSpec("inq", MetricKind.COUNT, False, "", 0.0),), "metrics[0].min_effect"),
    ],
)
def test_a_bad_declaration_names_its_field(declared: tuple[MetricSpec, ...], field: str) -> None:
    with pytest.raises(InvalidExperiment) as info:
        experiment(1_000, 10, declared=declared)
    assert info.value.field == field


def test_a_declared_guardrail_limit_is_checked_where_it_was_given() -> None:
    with pytest.raises(InvalidExperiment) as info:
        experiment(1_000, 11, declared=(INQUIRIES,), declared_limits={"inquiries": 20.0})
    assert info.value.field == "metrics[0].guardrail_limit"
