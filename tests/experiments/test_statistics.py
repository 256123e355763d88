"""The statistics agree with scipy and statsmodels to 1e-6 on fixed data."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import integrate, special, stats
from statsmodels.stats.multitest import multipletests

from experiments.statistics import (
    Accumulator,
    ArmMoments,
    always_valid_p,
    confidence_sequence,
    estimate,
    half_width,
    heaviest,
    holm,
    mixture_ratio,
    one_sided_ratio,
    residual_square,
    sample_ratio,
    samples_to_resolve,
)


def clustered_data(seed: int, clusters: int, binary: bool) -> list[list[float]]:
    rng = random.Random(seed)
    data = []
    for _ in range(clusters):
        propensity = rng.random()
        orders = rng.randint(1, 6)
        if binary:
            data.append([float(rng.random() < propensity) for _ in range(orders)])
        else:
            data.append([rng.gammavariate(2, 10 * propensity + 1) for _ in range(orders)])
    return data


@pytest.mark.parametrize(("seed", "binary"), [(1, True), (2, False), (3, True), (4, False)])
def test_cluster_robust_mean_and_error_match_statsmodels(seed: int, binary: bool) -> None:
    data = clustered_data(seed, 300, binary)
    y = np.array([v for cluster in data for v in cluster])
    groups = np.array([i for i, cluster in enumerate(data) for _ in cluster])
    fit = sm.OLS(y, np.ones(len(y))).fit(cov_type="cluster", cov_kwds={"groups": groups})
    ours = estimate(ArmMoments.of_units({0: cluster} for cluster in data))
    assert ours is not None
    assert ours.mean == pytest.approx(fit.params[0], abs=1e-9)
    assert ours.standard_error == pytest.approx(fit.bse[0], rel=1e-6)


def test_the_sandwich_over_epochs_equals_the_sum_over_units_of_their_weighted_residuals() -> None:
    """Streamed sums (with a correction, units in one, two or three epochs) give what the raw data give."""
    rng = random.Random(5)
    units: list[dict[int, list[float]]] = []
    accumulator = Accumulator()
    for u in range(80):
        epochs = {
            e: [rng.gammavariate(2, 5) for _ in range(rng.randint(1, 4))]
            for e in rng.sample(range(3), rng.randint(1, 3))
        }
        units.append(epochs)
        for e, values in epochs.items():
            for value in values:
                accumulator.add(f"u{u}", value, epoch=e)
    # A correction replaces an earlier value without counting the order twice.
    accumulator.add("u0", 99.0, epoch=next(iter(units[0])))
    accumulator.add("u0", 3.0, replaces=99.0, epoch=next(iter(units[0])))
    units[0][next(iter(units[0]))].append(3.0)
    weights, centres = {0: 0.002, 1: -0.003, 2: 0.001}, {0: 9.0, 1: 11.0, 2: 10.0}
    want = sum(
        sum(weights[e] * (sum(values) - centres[e] * len(values)) for e, values in epochs.items()) ** 2
        for epochs in units
    )
    streamed = accumulator.moments()
    assert residual_square(streamed, weights, centres) == pytest.approx(want, rel=1e-10)
    assert streamed.units == 80
    assert streamed.n == pytest.approx(sum(len(v) for epochs in units for v in epochs.values()))


def test_the_heavy_units_get_the_cluster_jackknife_cr3_variance() -> None:
    """Eight customers, one with 30 of the orders: CR3 from the hat matrix, (I - H_cc)^-1 per cluster."""
    rng = random.Random(8)
    data = [[float(rng.random() < 0.7) for _ in range(30)]] + [
        [float(rng.random() < 0.5) for _ in range(rng.randint(2, 5))] for _ in range(7)
    ]
    y = np.array([v for cluster in data for v in cluster])
    n = len(y)
    residuals = y - y.mean()
    meat, start = 0.0, 0
    for cluster in data:
        size = len(cluster)
        block = np.eye(size) - np.full((size, size), 1 / n)
        values, vectors = np.linalg.eigh(block)
        adjust = vectors @ np.diag(1 / values) @ vectors.T
        meat += float(np.ones(size) @ adjust @ residuals[start : start + size]) ** 2
        start += size
    accumulator = Accumulator()
    for c, cluster in enumerate(data):
        for value in cluster:
            accumulator.add(f"c{c}", value)
    heavy = heaviest({f"c{c}": len(cluster) for c, cluster in enumerate(data)})
    ours = estimate(accumulator.moments(heavy))
    assert ours is not None
    assert ours.variance == pytest.approx(meat / n**2, rel=1e-9)
    cr1 = estimate(accumulator.moments())
    assert cr1 is not None and cr1.variance < ours.variance  # CR1 hides the heavy customer's own spread


def test_no_estimate_without_two_clusters() -> None:
    assert estimate(ArmMoments()) is None
    assert estimate(ArmMoments.of_units([{0: [1.0, 0.0]}])) is None


def test_holm_matches_statsmodels() -> None:
    p = [0.01, 0.04, 0.03, 0.2, 0.0005, 0.04]
    want = multipletests(p, method="holm")[1]
    assert holm(p) == pytest.approx(list(want), abs=1e-12)


@pytest.mark.parametrize(("b", "c", "share"), [(9500, 500, 0.05), (9000, 1100, 0.1), (4980, 5020, 0.5), (120, 3, 0.05)])
def test_sample_ratio_matches_scipy(b: int, c: int, share: float) -> None:
    result = sample_ratio(b, c, share)
    n = b + c
    chi = stats.chisquare([b, c], [n * (1 - share), n * share])
    assert result.chi_square == pytest.approx(chi.statistic, rel=1e-9)
    assert result.chi_square_p == pytest.approx(chi.pvalue, rel=1e-6, abs=1e-12)
    # Bayes factor of a Beta(a, b) mixture against the configured share, via scipy.
    a0, b0 = share * 1000, (1 - share) * 1000
    log_bf = special.betaln(a0 + c, b0 + b) - special.betaln(a0, b0) - (c * math.log(share) + b * math.log(1 - share))
    assert result.p_value == pytest.approx(min(1.0, math.exp(-log_bf)), rel=1e-6, abs=1e-300)


def test_sample_ratio_flags_a_real_mismatch_only() -> None:
    assert not sample_ratio(95_000, 5_000, 0.05).mismatch
    assert sample_ratio(95_600, 4_400, 0.05).mismatch  # 4.4% where 5% was configured


@pytest.mark.parametrize(("theta", "v", "tau2"), [(0.03, 1e-4, 4e-4), (-0.01, 2e-5, 1e-4), (0.0, 1e-3, 1e-4)])
def test_the_one_sided_ratio_is_the_half_normal_mixture_integral(theta: float, v: float, tau2: float) -> None:
    def integrand(t: float) -> float:
        return stats.norm.pdf(theta, t, math.sqrt(v)) * 2 * stats.norm.pdf(t, 0, math.sqrt(tau2))

    numerator, _ = integrate.quad(integrand, 0, 12 * math.sqrt(tau2) + abs(theta), limit=200)
    assert one_sided_ratio(theta, v, tau2) == pytest.approx(
        numerator / stats.norm.pdf(theta, 0, math.sqrt(v)), rel=1e-6
    )


def test_orders_needed_are_for_eighty_percent_power() -> None:
    """After the orders said, a true effect of the target size is outside the sequence 80% of the time."""
    n, v, tau2, alpha, effect = 1_000, 4e-4, 4e-4, 0.04, 0.02
    more = samples_to_resolve(n, v, tau2, alpha, effect)
    later = v * n / (n + more)
    assert half_width(later, tau2, alpha) + stats.norm.ppf(0.8) * math.sqrt(later) == pytest.approx(effect, rel=1e-3)
    assert samples_to_resolve(n, later * 0.99, tau2, alpha, effect) == 0


@pytest.mark.parametrize(
    ("theta", "v", "tau2"), [(0.03, 1e-4, 4e-4), (-0.01, 2e-5, 1e-4), (0.0, 1e-3, 1e-4), (5.0, 4.0, 25.0)]
)
def test_mixture_ratio_is_the_normal_mixture_integral(theta: float, v: float, tau2: float) -> None:
    def integrand(t: float) -> float:
        return stats.norm.pdf(theta, t, math.sqrt(v)) * stats.norm.pdf(t, 0, math.sqrt(tau2))

    sd = math.sqrt(tau2)
    numerator, _ = integrate.quad(integrand, -12 * sd + theta, 12 * sd + theta, points=[theta], limit=200)
    want = numerator / stats.norm.pdf(theta, 0, math.sqrt(v))
    assert mixture_ratio(theta, v, tau2) == pytest.approx(want, rel=1e-6)
    assert always_valid_p(theta, v, tau2) == pytest.approx(min(1.0, 1 / want), rel=1e-6)


def test_confidence_sequence_is_where_the_ratio_stays_below_one_over_alpha() -> None:
    theta, v, tau2, alpha = 0.02, 5e-5, 4e-4, 0.05
    low, high = confidence_sequence(theta, v, tau2, alpha)
    assert mixture_ratio(theta - low, v, tau2) == pytest.approx(1 / alpha, rel=1e-9)
    assert mixture_ratio(theta - high, v, tau2) == pytest.approx(1 / alpha, rel=1e-9)
    assert half_width(v, tau2, alpha) > stats.norm.ppf(1 - alpha / 2) * math.sqrt(v)  # wider than fixed-horizon


def test_confidence_sequence_covers_under_continuous_monitoring() -> None:
    """Gaussian increments, a look after every observation: the truth leaves the sequence rarely."""
    rng = random.Random(11)
    runs, misses, tau2, alpha = 400, 0, 0.01, 0.05
    for _ in range(runs):
        total = 0.0
        for n in range(1, 501):
            total += rng.gauss(0.3, 1.0)
            low, high = confidence_sequence(total / n, 1.0 / n, tau2, alpha)
            if not low <= 0.3 <= high:
                misses += 1
                break
    assert misses / runs <= alpha
