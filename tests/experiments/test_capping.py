"""No customer counts for more than a twentieth of its arm (experiments.capping)."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.capping import MAX_UNIT_SHARE, capped
from experiments.estimates import difference
from experiments.statistics import Accumulator, ArmMoments, heaviest


def arm(
    rng: np.random.Generator, sizes: list[int], epochs: int
) -> tuple[dict[str, dict[int, list[float]]], ArmMoments]:
    raw: dict[str, dict[int, list[float]]] = {}
    accumulator = Accumulator()
    for u, size in enumerate(sizes):
        for _ in range(size):
            e, value = int(rng.integers(0, epochs)), float(rng.random() < 0.7)
            raw.setdefault(str(u), {}).setdefault(e, []).append(value)
            accumulator.add(str(u), value, epoch=e)
    counts = {u: sum(len(v) for v in cells.values()) for u, cells in raw.items()}
    return raw, accumulator.moments(heaviest(counts))


def weighted_sums(raw: dict[str, dict[int, list[float]]], weights: dict[str, float]) -> dict[str, float]:
    """The sums of experiments.statistics.Moments and Cross, from each unit's values times its weight."""
    out: dict[str, float] = {"units": float(len(raw))}
    cells = {u: {e: (weights[u] * sum(v), weights[u] * len(v)) for e, v in c.items()} for u, c in raw.items()}
    for unit in cells.values():
        for e, (y, n) in unit.items():
            for name, value in (("n", n), ("y", y), ("yy", y * y), ("yn", y * n), ("nn", n * n), ("g", 1.0)):
                out[f"{e}:{name}"] = out.get(f"{e}:{name}", 0.0) + value
            for f, (yf, nf) in unit.items():
                if e < f:
                    for name, value in (("yy", y * yf), ("yn", y * nf), ("ny", n * yf), ("nn", n * nf)):
                        out[f"{e}:{f}:{name}"] = out.get(f"{e}:{f}:{name}", 0.0) + value
    return out


def cap_weights(arms: list[dict[str, dict[int, list[float]]]], share: float) -> list[dict[str, float]]:
    """The weights found by bisection on the one cap of both arms: the largest cap (not below either
    arm's lightest heavy unit) with cap = share · the smaller arm's weighted orders."""
    orders = [{u: float(sum(len(v) for v in c.values())) for u, c in raw.items()} for raw in arms]
    heavy = [heaviest({u: int(n) for u, n in mine.items()}) for mine in orders]
    floor = max(min(mine[u] for u in names) for mine, names in zip(orders, heavy, strict=True))

    def smaller(cap: float) -> float:
        return min(
            sum(min(n, cap) if u in names else n for u, n in mine.items())
            for mine, names in zip(orders, heavy, strict=True)
        )

    low, high = 0.0, max(sum(mine.values()) for mine in orders)
    for _ in range(200):
        middle = (low + high) / 2
        if middle <= share * smaller(middle):
            low = middle
        else:
            high = middle
    cap = max(low, floor)
    return [
        {u: min(1.0, cap / n) if u in names else 1.0 for u, n in mine.items()}
        for mine, names in zip(orders, heavy, strict=True)
    ]


@pytest.mark.parametrize("seed", range(5))
def test_the_capped_sums_are_those_of_the_weighted_orders(seed: int) -> None:
    rng = np.random.default_rng(seed)
    big = [int(s) for s in rng.integers(400, 3_000, 3)]
    raw_b, b = arm(rng, big[:1] + [int(s) for s in rng.integers(1, 40, 600)], epochs=3)
    raw_c, c = arm(rng, big[1:] + [int(s) for s in rng.integers(1, 40, 60)], epochs=3)
    weights = cap_weights([raw_b, raw_c], MAX_UNIT_SHARE)
    assert min(weights[1].values()) < 1.0
    for raw, got, mine in zip((raw_b, raw_c), capped(b, c), weights, strict=True):
        names = heaviest({u: sum(len(v) for v in cells.values()) for u, cells in raw.items()})
        assert got.sums() == pytest.approx(weighted_sums(raw, mine) | _heavy_sums(raw, names, mine), rel=1e-9)
    smaller = min(m.n for m in capped(b, c))
    lightest = max(min(sum(n for _, n in cells.values()) for cells in m.heavy) for m in (b, c))
    for m in capped(b, c):
        for cells in m.heavy:
            assert sum(n for _, n in cells.values()) <= max(MAX_UNIT_SHARE * smaller, lightest) * (1 + 1e-9)


def test_large_accounts_weigh_the_same_in_the_small_arm_as_in_the_large_one() -> None:
    """Ten accounts of 200 orders at 60% on time, everyone else at 80%; one account in the 10% arm, nine in
    the other, so per order both arms are at 78%. A cap per arm would weigh the candidate's account down to
    5% of its arm and leave the baseline's nine whole: +1 point out of nothing. One cap for both: none."""
    account = [1.0] * 120 + [0.0] * 80
    small = [[1.0] * 4 + [0.0]]
    baseline = kept([account] * 9 + small * 3_240)
    candidate = kept([account] + small * 360)
    assert baseline.y / baseline.n == pytest.approx(candidate.y / candidate.n) == pytest.approx(0.78)
    d = difference(baseline, candidate, relative=False, rate=True)
    assert d is not None and d.value == pytest.approx(0.0, abs=1e-12)
    weighted = capped(baseline, candidate)
    assert weighted[1].n < candidate.n and weighted[0].n < baseline.n


def _heavy_sums(
    raw: dict[str, dict[int, list[float]]], heavy: list[str], weights: dict[str, float]
) -> dict[str, float]:
    out = {}
    for rank, u in enumerate(heavy):
        for e, values in raw[u].items():
            out[f"heavy{rank}:{e}:y"] = weights[u] * sum(values)
            out[f"heavy{rank}:{e}:n"] = weights[u] * len(values)
    return out


def test_arms_without_a_dominant_unit_are_left_as_they_are() -> None:
    rng = np.random.default_rng(9)
    (_, b), (_, c) = arm(rng, [5] * 2_000, epochs=2), arm(rng, [5] * 200, epochs=2)
    assert capped(b, c) == (b, c) and capped(b, c)[1] is c


def kept(units: list[list[float]]) -> ArmMoments:
    """As a store keeps them: the sums and the heaviest units' own."""
    accumulator = Accumulator()
    for u, values in enumerate(units):
        for value in values:
            accumulator.add(str(u), value)
    return accumulator.moments(heaviest({str(u): len(values) for u, values in enumerate(units)}))


def test_one_lucky_account_no_longer_decides_the_comparison() -> None:
    """A customer with two thirds of the candidate's orders at 95% on time, everyone else at 80%: per order
    the candidate is 10 points better; with the customer's say capped, by less than one."""
    baseline = kept([[1.0] * 4 + [0.0] for _ in range(8_000)])
    candidate = kept([[1.0] * 950 + [0.0] * 50] + [[1.0] * 4 + [0.0] for _ in range(100)])
    d = difference(baseline, candidate, relative=False, rate=True)
    assert d is not None
    assert 0 < d.value < 0.01
