"""How far the cluster variance can be trusted: its degrees of freedom, and the wider variance that
makes a normal test as cautious as Student's t with them.

A sandwich variance is a sum of squared unit residuals. When one customer holds half of an arm's
orders, that sum is mostly one square: an estimate with about one degree of freedom, small by
chance as often as not, and a test that takes it as exact rejects far too often (calibration:
5.7% false verdicts in 1,000 A/A runs with the heavy customer in the candidate). Bell and
McCaffrey's answer, the reference for few or unbalanced clusters (Imbens and Kolesár, 2016;
Pustejovsky and Tipton, 2018), is to compare with Student's t on the Satterthwaite degrees of
freedom of the variance estimate, computed under a working model of independent orders with one
spread:

    ν = tr(Σ)² / tr(Σ²),    Σ = the covariance of the corrected unit residuals

Our tests are mixtures of normals, not t tests, so ν enters as a factor on the variance:
(t_ν / z)² at the tail the sequential boundary sits at (two-sided TAIL), which is 1 for many
balanced units and large for a few dominant ones.

The sums over the arm's ordinary units need only the Moments and Cross sums already kept; the
heaviest units enter one by one. One term (the ordinary units' third moments, divided by n) is
left out: it is tiny, and leaving it out can only lower ν. A unit weighted down by
experiments.capping enters with its weighted orders counted as orders, which overstates its
share of the variance and so also lowers ν: both err on the cautious side. The working model
takes orders as independent; orders of one customer that are alike make the true ν smaller,
which the CR3 and CR1 corrections and the cap on any unit's share are there for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from experiments.statistics import MAX_LEVERAGE, ArmMoments, small_sample

TAIL = 0.002
"""The two-sided tail at which t and normal are matched: where the always-valid boundary is for the
samples of a gray release (z ≈ 3.1)."""


@dataclass(frozen=True, slots=True)
class Traces:
    """tr(Σ) and tr(Σ²) of one arm (independent arms add)."""

    first: float = 0.0
    second: float = 0.0

    def __add__(self, other: Traces) -> Traces:
        return Traces(self.first + other.first, self.second + other.second)

    def scaled(self, factor: float) -> Traces:
        """Of the residuals multiplied by sqrt(factor)."""
        return Traces(self.first * factor, self.second * factor * factor)

    @property
    def degrees(self) -> float:
        """At least 1, as tr(Σ)² / tr(Σ²) is for any covariance (the one term left out can bring the
        computed ratio below it)."""
        if self.first <= 0 or self.second <= 0:
            return math.inf
        return max(self.first * self.first / self.second, 1.0)


def traces(m: ArmMoments, weights: Mapping[int, float]) -> Traces:
    """The traces for experiments.statistics.sandwich(m, weights, ...): `weights` per order of each
    epoch, CR3 coefficients for the heaviest units, CR1's factor for the rest."""
    factor = small_sample(m.units)
    if not math.isfinite(factor):
        return Traces()
    epochs = [e for e, w in weights.items() if w and e in m.epochs and m.epochs[e].n > 0]
    # The heaviest units' coefficients a_ue = w_e / (1 - h_ue) and orders N_ue.
    heavy = []
    for cells in m.heavy:
        row = {}
        for e in epochs:
            if e in cells and cells[e][1] > 0:
                n = cells[e][1]
                row[e] = (weights[e] / (1 - min(n / m.epochs[e].n, MAX_LEVERAGE)), n)
        if row:
            heavy.append(row)
    # The ordinary units: Σ N, Σ N² per epoch and Σ N_e·N_f per pair, without the heavy ones.
    rest_n = {e: m.epochs[e].n - sum(r[e][1] for r in heavy if e in r) for e in epochs}
    rest_nn = {e: m.epochs[e].nn - sum(r[e][1] ** 2 for r in heavy if e in r) for e in epochs}
    rest_cross = {
        (e, f): m.cross[(e, f)].nn - sum(r[e][1] * r[f][1] for r in heavy if e in r and f in r)
        for (e, f) in m.cross
        if e in rest_n and f in rest_n
    }
    s = factor
    w2 = {e: weights[e] ** 2 for e in epochs}
    first = s * sum(w2[e] * rest_n[e] for e in epochs)
    first += sum(a * a * n for row in heavy for a, n in row.values())
    inner: dict[tuple[int, int], float] = {}  # q_e · q_f
    for e in epochs:
        inner[(e, e)] = s * w2[e] * rest_nn[e] + sum(row[e][0] ** 2 * row[e][1] ** 2 for row in heavy if e in row)
    for (e, f), nn in rest_cross.items():
        heavy_part = sum(row[e][0] * row[f][0] * row[e][1] * row[f][1] for row in heavy if e in row and f in row)
        inner[(e, f)] = inner[(f, e)] = s * weights[e] * weights[f] * nn + heavy_part
    first -= sum(inner[(e, e)] / m.epochs[e].n for e in epochs)
    second = s * s * sum(w2[e] ** 2 * rest_nn[e] for e in epochs)
    second += 2 * s * s * sum(w2[e] * w2[f] * nn for (e, f), nn in rest_cross.items())
    for row in heavy:
        d = sum(a * a * n for a, n in row.values())
        second += d * d - 2 * d * sum(a * a * n * n / m.epochs[e].n for e, (a, n) in row.items())
    second += sum(inner.get((e, f), 0.0) ** 2 / (m.epochs[e].n * m.epochs[f].n) for e in epochs for f in epochs)
    return Traces(max(first, 0.0), max(second, 0.0))


def inflation(degrees: float) -> float:
    """(t_ν / z)² at the two-sided TAIL: the variance a normal test needs to be as cautious as t."""
    if not degrees > 0:
        return math.inf
    return _inflation(_grid(degrees))


def _grid(degrees: float) -> float:
    """ν rounded down to a grid (so the quantile is computed a few hundred times, not per call)."""
    if degrees >= 2_000:
        return 2_000.0
    step = 0.125 if degrees < 10 else 1.0 if degrees < 100 else 10.0
    return max(math.floor(degrees / step) * step, 0.125)


@lru_cache(maxsize=1_024)
def _inflation(degrees: float) -> float:
    return (t_quantile(TAIL / 2, degrees) / _normal_quantile(TAIL / 2)) ** 2


def t_quantile(upper: float, degrees: float) -> float:
    """The t that Student's t with ν degrees of freedom exceeds with probability `upper` < 1/2 (bisection
    on t_tail, in log t: 10^-12 to 10^12 covers ν from 1 at the tails used)."""
    low, high = -12.0 * math.log(10), 12.0 * math.log(10)
    for _ in range(100):
        middle = (low + high) / 2
        if t_tail(math.exp(middle), degrees) > upper:
            low = middle
        else:
            high = middle
    return math.exp(high)


def t_tail(t: float, degrees: float) -> float:
    """P(T > t) for t > 0: half the regularised incomplete beta I_x(ν/2, 1/2), x = ν / (ν + t²)."""
    x = degrees / (degrees + t * t)
    return 0.5 * incomplete_beta(degrees / 2, 0.5, x)


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), by its continued fraction (modified Lentz)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x > (a + 1) / (a + b + 2):  # the fraction converges fast on this side only
        return 1.0 - math.exp(log_front) * _fraction(b, a, 1 - x) / b
    return math.exp(log_front) * _fraction(a, b, x) / a


def _fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result


def _normal_quantile(upper: float) -> float:
    low, high = 0.0, 40.0
    for _ in range(100):
        middle = (low + high) / 2
        if 0.5 * math.erfc(middle / math.sqrt(2)) > upper:
            low = middle
        else:
            high = middle
    return high
