"""No customer counts for more than MAX_UNIT_SHARE of the smaller arm.

Per order, one account with two thirds of the candidate's orders is two thirds of the candidate's
mean: the release is judged on that account and its own luck, and a true effect is hard to tell
from it (calibration: in 1,000 A/A runs with a customer placing 17% of all orders in the candidate,
5.7% false verdicts). Weighting the heaviest units' orders down to a cap makes the comparison
about the customer base rather than one account: the efficient weighting for clustered orders
gives a unit's orders less weight the more of them it has, too (a random-effects mean), and a cap
is its simplest form.

The cap is one number of orders for both arms, MAX_UNIT_SHARE of the smaller arm's weighted
orders: a unit's weight is then the same function of its own order count in either arm, which the
candidate does not change, so randomisation keeps the comparison fair (a cap per arm would weigh a
large account differently in the 10% arm than in the 90% one, and an A/A comparison would differ
whenever large accounts differ). An effect the same for every order is estimated unchanged; one
that differs by customer is averaged with every customer's say capped, so harm concentrated in one
large account weighs less too.

Only the heaviest units (HEAVY_UNITS per arm, whose sums are kept one by one) can be weighted
down; the cap is never set below the lightest of them in an arm that has more, so no unit left at
full weight is above it (heavy units are ranked by orders with any outcome, so for one metric
this holds as closely as its outcomes follow the others').
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from experiments.statistics import HEAVY_UNITS, ArmMoments, Cross, Moments

MAX_UNIT_SHARE = 0.05
"""The largest share of the smaller arm's (weighted) orders one unit may have: a twentieth, the
MIN_UNITS an estimate is shown from."""


def capped(baseline: ArmMoments, candidate: ArmMoments, share: float | None = None) -> tuple[ArmMoments, ArmMoments]:
    """Both arms' sums with each heavy unit's orders weighted by w = min(1, cap / its orders)."""
    share = MAX_UNIT_SHARE if share is None else share
    arms = (baseline, candidate)
    if any(m.units <= HEAVY_UNITS or not m.heavy for m in arms):
        return baseline, candidate
    orders = [[sum(n for _, n in cells.values()) for cells in m.heavy] for m in arms]
    rests = [m.n - sum(mine) for m, mine in zip(arms, orders, strict=True)]
    floor = max(min(mine) for mine in orders)

    def weighted(cap: float) -> float:
        """The smaller arm's weighted orders at `cap`."""
        return min(rest + sum(min(n, cap) for n in mine) for rest, mine in zip(rests, orders, strict=True))

    cap = max(share * min(m.n for m in arms), floor)
    if all(n <= cap for mine in orders for n in mine):
        return baseline, candidate  # nobody is above the cap: nothing to weigh down
    for _ in range(60):  # the largest cap with cap = share · weighted(cap): the iteration falls to it
        lower = max(share * weighted(cap), floor)
        if cap - lower <= 1e-12 * cap:
            break
        cap = lower
    out = tuple(
        _weighted(m, [min(1.0, cap / n) if n > 0 else 1.0 for n in mine]) for m, mine in zip(arms, orders, strict=True)
    )
    return out[0], out[1]


def _weighted(m: ArmMoments, weights: Sequence[float]) -> ArmMoments:
    """The sums as if each order of the i-th heavy unit had weight weights[i]."""
    if all(w >= 1.0 for w in weights):
        return m
    epochs = {e: [c.n, c.y, c.yy, c.yn, c.nn] for e, c in m.epochs.items()}
    cross = {key: [x.yy, x.yn, x.ny, x.nn] for key, x in m.cross.items()}
    for cells, w in zip(m.heavy, weights, strict=True):
        if w >= 1.0:
            continue
        lin, sq = w - 1.0, w * w - 1.0
        for e, (y, n) in cells.items():
            sums = epochs[e]
            for i, delta in enumerate((lin * n, lin * y, sq * y * y, sq * y * n, sq * n * n)):
                sums[i] += delta
        for (e, f), sums in cross.items():
            if e in cells and f in cells:
                (ye, ne), (yf, nf) = cells[e], cells[f]
                for i, delta in enumerate((ye * yf, ye * nf, ne * yf, ne * nf)):
                    sums[i] += sq * delta
    heavy = tuple({e: (y * w, n * w) for e, (y, n) in cells.items()} for cells, w in zip(m.heavy, weights, strict=True))
    return replace(
        m,
        epochs={e: Moments(n, y, yy, yn, nn, m.epochs[e].g) for e, (n, y, yy, yn, nn) in epochs.items()},
        cross={key: Cross(*sums) for key, sums in cross.items()},
        heavy=heavy,
    )
