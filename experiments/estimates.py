"""The candidate against the baseline on one metric, stratified by allocation epoch.

A ramp (5% -> 50%) changes how many of the orders in each period are the
candidate's. Pooling the periods lets anything that changed for everyone in
the meantime (a sale week, weather) pass for an effect of the candidate
(Simpson's paradox). So each epoch is compared on its own, candidate against
baseline in the same period, and the epoch differences are combined with
weights that depend on order counts only (n_b·n_c / (n_b + n_c), the
Mantel-Haenszel weights, best for an effect that is the same in every epoch):

    θ̂ = Σ_e w_e (R_c,e - R_b,e)

No customer counts for more than a twentieth of its arm (experiments.capping).
Its variance is the cluster-robust sandwich over units, small-sample corrected
(experiments.statistics.sandwich: CR3 for the heaviest units, CR1 for the
rest), with a unit's orders in several epochs of one arm kept together (the
Cross sums); the tests use it widened as Student's t on its Satterthwaite
degrees of freedom would be (experiments.degrees), which matters when a few
units carry most of an arm. A unit that changes arm at a ramp is counted in each arm apart:
its two parts enter with opposite signs and a positive correlation, so leaving
their covariance out can only widen the interval.

A rate whose arm has only zeros (or only ones) has no spread in the data, and
nothing would stop the evidence from being infinite. Each arm's variance is at
least the binomial one at its own rate with one success and one failure added,
and an amount's at least that of a 1% spread.

Amounts are compared relative to the baseline (candidate / baseline - 1, by the
delta method), so the smallest effect worth detecting is a share fixed before
any data, as rates' is a number of points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from experiments.capping import capped
from experiments.degrees import inflation, traces
from experiments.statistics import ArmMoments, sandwich

AMOUNT_FLOOR_CV = 0.01
"""An amount's spread per order is taken to be at least 1% of its mean."""


@dataclass(frozen=True, slots=True)
class Difference:
    value: float
    """candidate - baseline; for a relative comparison candidate / baseline - 1."""
    variance: float
    baseline: float
    """The baseline mean, weighted as the epochs are."""
    candidate: float
    relative: bool
    epochs: int
    """Epochs in which both arms have data."""
    degrees: float = math.inf
    """The variance's Satterthwaite degrees of freedom (experiments.degrees)."""

    @property
    def tested_variance(self) -> float:
        """The variance the tests and intervals use: widened as Student's t on `degrees` would be."""
        return self.variance * inflation(self.degrees)


def difference(baseline: ArmMoments, candidate: ArmMoments, relative: bool, rate: bool) -> Difference | None:
    """None until both arms have two units and an epoch in common. No unit counts for more than
    experiments.capping.MAX_UNIT_SHARE of its arm."""
    baseline, candidate = capped(baseline, candidate)
    common = sorted(
        e
        for e in set(baseline.epochs) & set(candidate.epochs)
        if baseline.epochs[e].n > 0 and candidate.epochs[e].n > 0
    )
    if not common or baseline.units < 2 or candidate.units < 2:
        return None
    nb = {e: baseline.epochs[e].n for e in common}
    nc = {e: candidate.epochs[e].n for e in common}
    raw = {e: nb[e] * nc[e] / (nb[e] + nc[e]) for e in common}
    total = sum(raw.values())
    w = {e: raw[e] / total for e in common}
    rb = {e: baseline.epochs[e].y / nb[e] for e in common}
    rc = {e: candidate.epochs[e].y / nc[e] for e in common}
    b, c = sum(w[e] * rb[e] for e in common), sum(w[e] * rc[e] for e in common)
    weights_b, weights_c = {e: w[e] / nb[e] for e in common}, {e: w[e] / nc[e] for e in common}
    vb, vc = sandwich(baseline, weights_b, rb), sandwich(candidate, weights_c, rc)
    traces_b, traces_c = traces(baseline, weights_b), traces(candidate, weights_c)
    vb = max(vb, sum(w[e] ** 2 * _spread(baseline, common, rate, b) / nb[e] for e in common))
    vc = max(vc, sum(w[e] ** 2 * _spread(candidate, common, rate, b) / nc[e] for e in common))
    if not relative:
        return Difference(c - b, vb + vc, b, c, False, len(common), (traces_b + traces_c).degrees)
    if b <= 0:
        return None
    ratio = c / b
    degrees = (traces_c + traces_b.scaled(ratio * ratio)).degrees
    return Difference(ratio - 1, (vc + ratio * ratio * vb) / (b * b), b, c, True, len(common), degrees)


def _spread(arm: ArmMoments, epochs: list[int], rate: bool, baseline_mean: float) -> float:
    """The least variance per order an arm is taken to have: binomial at its rate with one success and one
    failure added (never 0 at a rate of 0 or 1), or a 1% spread of an amount."""
    if not rate:
        return (AMOUNT_FLOOR_CV * baseline_mean) ** 2
    shrunk = (sum(arm.epochs[e].y for e in epochs) + 1) / (sum(arm.epochs[e].n for e in epochs) + 2)
    return shrunk * (1 - shrunk)
