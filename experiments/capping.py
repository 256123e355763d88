"""No customer counts for more than MAX_UNIT_SHARE of its arm.

Per order, one account with two thirds of the candidate's orders is two thirds of the candidate's
mean: the release is judged on that account and its own luck, and a true effect is hard to tell
from it (calibration: in 1,000 A/A runs with a customer placing 17% of all orders in the candidate,
5.7% false verdicts). Weighting the heaviest
units' orders down until each is at most MAX_UNIT_SHARE of the arm makes the comparison about the
customer base rather than one account: the efficient weighting for clustered orders gives a unit's
orders less weight the more of them it has, too (a random-effects mean), and the cap is its
simplest form, fixed before any data.

An effect the same for every order is estimated unchanged; a different one per customer is
averaged with every customer's say capped. Randomisation keeps it fair: a unit's weight depends on
its order count only, which the candidate does not change. The variance (experiments.statistics
.sandwich) and its degrees of freedom (experiments.degrees) are those of the weighted sums.

Only the heaviest units (HEAVY_UNITS, whose sums are kept one by one) can be weighted down; the cap
is never set below the lightest of them, so no unit left at full weight is above it.
"""

from __future__ import annotations

from dataclasses import replace

from experiments.statistics import HEAVY_UNITS, ArmMoments, Cross, Moments

MAX_UNIT_SHARE = 0.05
"""The largest share of an arm's (weighted) orders one unit may have: a twentieth, the MIN_UNITS
an estimate is shown from."""


def capped(m: ArmMoments, share: float | None = None) -> ArmMoments:
    """The sums with each heavy unit's orders weighted by w = min(1, cap / its orders), the cap
    `share` (MAX_UNIT_SHARE) of the weighted total."""
    share = MAX_UNIT_SHARE if share is None else share
    if m.units <= HEAVY_UNITS or not m.heavy:
        return m
    orders = [sum(n for _, n in cells.values()) for cells in m.heavy]
    total = m.n
    rest = total - sum(orders)
    floor = min(orders)
    size = total
    for _ in range(60):  # the largest size with size = rest + Σ min(orders, cap(size)): falls to it
        cap = max(share * size, floor)
        size = rest + sum(min(n, cap) for n in orders)
    cap = max(share * size, floor)
    weights = [min(1.0, cap / n) if n > 0 else 1.0 for n in orders]
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
