"""Statistics for gray releases, valid while reviewers look every hour.

Means per order, clustered by the randomisation unit
    Orders are analysed one by one, but randomised by customer: one customer's
    orders are not independent. Each arm keeps, per metric, sums over clusters
    (units): n = ΣN_c orders, y = ΣY_c, yy = ΣY_c², yn = ΣY_cN_c, nn = ΣN_c²,
    g clusters. The mean is R = y / n and its variance the cluster-robust
    (CR1) sandwich, identical to statsmodels' OLS with cov_type="cluster":
        Var(R) = g/(g-1) · (yy - 2R·yn + R²·nn) / n²
    These sums can be updated one outcome at a time, so Redis keeps them.

Always-valid inference (mixture sequential probability ratio test)
    For an estimate θ̂ with variance V and a normal mixture N(0, τ²) over the
    true effect, Λ = sqrt(V/(V+τ²)) · exp(θ̂²τ² / (2V(V+τ²))) is a test
    martingale: p = min(1, 1/Λ) may be read after every outcome and the
    chance it ever drops below α under no effect stays below α. Inverting it
    gives a confidence sequence, valid at every look at once:
        θ̂ ± sqrt( V(V+τ²)/τ² · (2·ln(1/α) + ln((V+τ²)/V)) )
    τ is set to the smallest effect worth detecting (Johari et al., 2017).

Several metrics
    The primary metric is tested at α; guardrails and secondary metrics are
    Holm-adjusted within their family.

Sample ratio mismatch
    Units seen per arm against the configured share, with an always-valid
    Bayes-factor test (beta-binomial mixture around the expected share);
    the classic chi-square p-value is reported beside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Moments:
    """Sufficient statistics of one metric in one arm (see module docstring)."""

    n: float = 0.0
    y: float = 0.0
    yy: float = 0.0
    yn: float = 0.0
    nn: float = 0.0
    g: int = 0

    @staticmethod
    def of_clusters(clusters: Iterable[Sequence[float]]) -> Moments:
        """From raw values grouped by cluster (the reference the streaming sums must equal)."""
        n = y = yy = yn = nn = 0.0
        g = 0
        for values in clusters:
            if not values:
                continue
            total, count = float(sum(values)), float(len(values))
            n, y, yy, yn, nn, g = n + count, y + total, yy + total**2, yn + total * count, nn + count**2, g + 1
        return Moments(n, y, yy, yn, nn, g)


class Accumulator:
    """Moments kept one outcome at a time, corrections included: the reference for the Redis script."""

    def __init__(self) -> None:
        self._clusters: dict[str, tuple[float, float]] = {}
        self._sums = [0.0, 0.0, 0.0, 0.0, 0.0]
        self._g = 0

    def add(self, cluster: str, value: float, replaces: float | None = None) -> None:
        y0, n0 = self._clusters.get(cluster, (0.0, 0.0))
        y1 = y0 + value - (replaces or 0.0)
        n1 = n0 + (0.0 if replaces is not None else 1.0)
        self._clusters[cluster] = (y1, n1)
        for i, delta in enumerate((n1 - n0, y1 - y0, y1 * y1 - y0 * y0, y1 * n1 - y0 * n0, n1 * n1 - n0 * n0)):
            self._sums[i] += delta
        self._g += n0 == 0 and n1 > 0

    def moments(self) -> Moments:
        n, y, yy, yn, nn = self._sums
        return Moments(n, y, yy, yn, nn, self._g)


@dataclass(frozen=True, slots=True)
class Estimate:
    mean: float
    variance: float
    """Of the mean (squared standard error)."""
    n: int
    clusters: int

    @property
    def standard_error(self) -> float:
        return math.sqrt(self.variance)


def estimate(m: Moments) -> Estimate | None:
    """Cluster-robust mean per order; None without at least two clusters."""
    if m.n <= 0 or m.g < 2:
        return None
    r = m.y / m.n
    spread = m.yy - 2 * r * m.yn + r * r * m.nn
    variance = (m.g / (m.g - 1)) * max(spread, 0.0) / (m.n * m.n)
    return Estimate(r, variance, round(m.n), m.g)


def mixture_ratio(theta_hat: float, variance: float, tau2: float) -> float:
    """Λ: the normal-mixture likelihood ratio of effect θ̂ against no effect."""
    if variance <= 0:
        return math.inf if theta_hat else 1.0
    total = variance + tau2
    exponent = theta_hat * theta_hat * tau2 / (2 * variance * total)
    return math.sqrt(variance / total) * math.exp(min(exponent, 700.0))


def always_valid_p(theta_hat: float, variance: float, tau2: float) -> float:
    return min(1.0, 1.0 / mixture_ratio(theta_hat, variance, tau2))


def half_width(variance: float, tau2: float, alpha: float) -> float:
    """Half the width of the confidence sequence at level 1 - α."""
    if variance <= 0:
        return 0.0
    total = variance + tau2
    return math.sqrt(variance * total / tau2 * (2 * math.log(1 / alpha) + math.log(total / variance)))


def confidence_sequence(theta_hat: float, variance: float, tau2: float, alpha: float) -> tuple[float, float]:
    w = half_width(variance, tau2, alpha)
    return theta_hat - w, theta_hat + w


def variance_for_half_width(target: float, tau2: float, alpha: float, upper: float) -> float:
    """The largest variance at most `upper` whose half-width is at most `target` (bisection)."""
    low, high = 0.0, upper
    if half_width(high, tau2, alpha) <= target:
        return high
    for _ in range(200):
        middle = (low + high) / 2
        if half_width(middle, tau2, alpha) <= target:
            low = middle
        else:
            high = middle
    return low


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order (as statsmodels 'holm')."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


@dataclass(frozen=True, slots=True)
class SampleRatio:
    baseline_units: int
    candidate_units: int
    expected_share: float
    observed_share: float
    p_value: float
    """Always-valid (beta-binomial Bayes factor)."""
    chi_square: float
    chi_square_p: float
    """Fixed-horizon, for reference only: not valid under repeated looks."""

    @property
    def mismatch(self) -> bool:
        return self.p_value < SRM_ALPHA


SRM_ALPHA = 0.001
SRM_PRIOR_STRENGTH = 1_000.0
"""Beta prior a + b around the expected share: sd ≈ sqrt(p(1-p)/1000), sensitive to shifts of a few tenths
of a point."""


def sample_ratio(baseline_units: int, candidate_units: int, expected_share: float) -> SampleRatio:
    """Whether units split across arms as configured."""
    n = baseline_units + candidate_units
    x = candidate_units
    p0 = min(max(expected_share, 1e-9), 1 - 1e-9)
    if n == 0:
        return SampleRatio(0, 0, expected_share, 0.0, 1.0, 0.0, 1.0)
    a, b = p0 * SRM_PRIOR_STRENGTH, (1 - p0) * SRM_PRIOR_STRENGTH
    log_null = x * math.log(p0) + (n - x) * math.log(1 - p0)
    log_bayes_factor = _log_beta(a + x, b + n - x) - _log_beta(a, b) - log_null
    p_value = min(1.0, math.exp(-log_bayes_factor)) if log_bayes_factor < 700 else 0.0
    expected = (n * (1 - p0), n * p0)
    chi2 = sum((o - e) ** 2 / e for o, e in zip((baseline_units, candidate_units), expected, strict=True))
    return SampleRatio(
        baseline_units, candidate_units, expected_share, x / n, p_value, chi2, math.erfc(math.sqrt(chi2 / 2))
    )


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def samples_to_resolve(current_n: int, variance: float, tau2: float, alpha: float, effect: float) -> int:
    """More units of sample (at the current allocation) until the sequence can tell `effect` from zero."""
    if current_n <= 0 or variance <= 0 or effect <= 0:
        return 0
    target = variance_for_half_width(effect, tau2, alpha, variance)
    if target >= variance:
        return 0
    if target <= 0:
        return 10**12
    return max(0, math.ceil(current_n * variance / target) - current_n)
