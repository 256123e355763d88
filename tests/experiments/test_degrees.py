"""The degrees of freedom of the cluster variance and the t-matched widening (experiments.degrees)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from experiments.degrees import Traces, incomplete_beta, inflation, t_quantile, traces
from experiments.estimates import difference
from experiments.statistics import MAX_LEVERAGE, Accumulator, ArmMoments, heaviest
from loadtest.bench_verdicts import CHECKS
from loadtest.verdict_world import draw, looks
from tests.experiments.test_capping import kept


def exact_traces(orders: list[tuple[int, int]], m: ArmMoments, weights: dict[int, float]) -> tuple[float, float]:
    """tr(Σ), tr(Σ²) from the residual maker written out order by order: unit u's corrected residual is
    Σ_e a_ue (E_ue - N_ue·Ē_e), a_ue = w_e / (1 - N_ue / n_e) for the heavy units (the share at most
    MAX_LEVERAGE), w_e·sqrt(g/(g-1)) for the others."""
    names = sorted({u for u, _ in orders})
    heavy = {int(u) for u in heaviest({str(u): sum(1 for v, _ in orders if v == u) for u in names})}
    per_cell: dict[tuple[int, int], int] = {}
    for cell in orders:
        per_cell[cell] = per_cell.get(cell, 0) + 1
    n_e = {e: sum(1 for _, f in orders if f == e) for e in m.epochs}
    factor = len(names) / (len(names) - 1)
    a = np.zeros((len(names), len(orders)))
    for j, (u, e) in enumerate(orders):
        for k, v in enumerate(names):
            share = per_cell.get((v, e), 0) / n_e[e]
            coefficient = weights[e] / (1 - min(share, MAX_LEVERAGE)) if v in heavy else weights[e] * np.sqrt(factor)
            a[k, j] += coefficient * ((v == u) - share)
    sigma = a @ a.T
    return float(np.trace(sigma)), float(np.trace(sigma @ sigma))


def random_arm(
    rng: np.random.Generator, units: int, orders: int, epochs: int
) -> tuple[list[tuple[int, int]], ArmMoments]:
    accumulator, placed = Accumulator(), []
    skew = rng.pareto(1.0, units) + 1
    for _ in range(orders):
        u, e = int(rng.choice(units, p=skew / skew.sum())), int(rng.integers(0, epochs))
        accumulator.add(str(u), float(rng.random() < 0.5), epoch=e)
        placed.append((u, e))
    counts = {str(u): sum(1 for v, _ in placed if v == u) for u in {u for u, _ in placed}}
    return placed, accumulator.moments(heaviest(counts))


@pytest.mark.parametrize("seed", range(6))
def test_the_traces_are_exact_when_every_unit_is_corrected_one_by_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    orders, m = random_arm(rng, units=int(rng.integers(3, 11)), orders=int(rng.integers(20, 90)), epochs=3)
    weights = {e: float(rng.random()) / m.epochs[e].n for e in m.epochs}
    first, second = exact_traces(orders, m, weights)
    got = traces(m, weights)
    assert got.first == pytest.approx(first, rel=1e-9)
    assert got.second == pytest.approx(second, rel=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_with_many_units_the_degrees_are_close_and_never_above_the_exact_ones(seed: int) -> None:
    """The ordinary units' third-moment term is left out: it can only lower ν, and by little."""
    rng = np.random.default_rng(100 + seed)
    orders, m = random_arm(rng, units=60, orders=300, epochs=2)
    weights = {e: 1 / m.epochs[e].n for e in m.epochs}
    first, second = exact_traces(orders, m, weights)
    exact = first * first / second
    assert traces(m, weights).degrees == pytest.approx(exact, rel=0.05)
    assert traces(m, weights).degrees <= exact * (1 + 1e-9)


def test_a_customer_with_two_thirds_of_an_arm_leaves_a_handful_of_degrees_until_it_is_capped() -> None:
    baseline = kept([[float(i % 5 != 0)] * 2 for i in range(4_000)])
    balanced = kept([[float(i % 5 != 0)] * 2 for i in range(500)])
    dominated = kept([[1.0] * 800 + [0.0] * 200] + [[float(i % 5 != 0)] for i in range(500)])
    assert traces(balanced, {0: 1 / balanced.n}).degrees > 400
    alone = traces(dominated, {0: 1 / dominated.n}).degrees
    assert 1 <= alone < 5 and inflation(alone) > 3
    # Compared with the baseline, the account counts for a twentieth of the arm: the degrees are back.
    fair, skewed = (difference(baseline, arm, relative=False, rate=True) for arm in (balanced, dominated))
    assert fair is not None and skewed is not None
    assert fair.tested_variance == pytest.approx(fair.variance, rel=0.02)
    assert skewed.degrees > 100 and skewed.tested_variance < 1.1 * skewed.variance


def test_a_heavy_customer_no_longer_makes_an_aa_run_look_better() -> None:
    """Seed 16 of the calibration's heavy-customer A/A scenario was called "candidate better" (+4.1
    points, +0.35 to +7.9) after 5,500 orders while the variance took the customer's one residual as exact."""
    heavy = next(c.scenario for c in CHECKS if c.scenario.name == "aa-heavy-10")
    verdicts = {str(results.verdict) for _, results in looks(draw(heavy, 16))}
    assert verdicts == {"no difference yet"}


@pytest.mark.parametrize("degrees", [0.5, 1, 2, 3.6, 7.25, 30, 300, 1_999])
def test_t_quantiles_and_the_incomplete_beta_equal_scipy(degrees: float) -> None:
    for upper in (0.001, 0.025, 0.2):
        assert t_quantile(upper, degrees) == pytest.approx(stats.t.isf(upper, degrees), rel=1e-9)
    rng = np.random.default_rng(int(degrees * 8))
    for a, b, x in rng.uniform([0.05, 0.05, 0], [60, 60, 1], (50, 3)):
        assert incomplete_beta(a, b, x) == pytest.approx(special.betainc(a, b, x), abs=1e-10)


def test_the_widening_falls_to_one_with_many_degrees_and_never_lets_a_test_narrow() -> None:
    grid = [0.25, 1, 2, 3, 5, 10, 30, 100, 1_000, 10_000, float("inf")]
    factors = [inflation(v) for v in grid]
    assert factors == sorted(factors, reverse=True)
    assert factors[-1] == pytest.approx(1.0, abs=0.003) and min(factors) >= 1.0
    assert inflation(0.0) == float("inf")
    assert Traces(2.0, 1.0).degrees == 4.0 and Traces().degrees == float("inf")
