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


def cap_weights(raw: dict[str, dict[int, list[float]]], heavy: list[str], share: float) -> dict[str, float]:
    """The weights found by bisection on the cap: the largest cap (not below the lightest heavy unit)
    with cap = share · Σ min(orders, cap) over the heavy units plus the others' orders."""
    orders = {u: float(sum(len(v) for v in c.values())) for u, c in raw.items()}
    rest = sum(n for u, n in orders.items() if u not in heavy)
    floor = min(orders[u] for u in heavy)

    def total(cap: float) -> float:
        return rest + sum(min(orders[u], cap) for u in heavy)

    low, high = 0.0, sum(orders.values())
    for _ in range(200):
        middle = (low + high) / 2
        if middle <= share * total(middle):
            low = middle
        else:
            high = middle
    cap = max(low, floor)
    return {u: min(1.0, cap / orders[u]) if u in heavy else 1.0 for u in orders}


@pytest.mark.parametrize("seed", range(5))
def test_the_capped_sums_are_those_of_the_weighted_orders(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = [int(s) for s in rng.integers(400, 3_000, 3)] + [int(s) for s in rng.integers(1, 40, 60)]
    raw, m = arm(rng, sizes, epochs=3)
    heavy_names = heaviest({u: sum(len(v) for v in c.values()) for u, c in raw.items()})
    weights = cap_weights(raw, heavy_names, MAX_UNIT_SHARE)
    assert min(weights.values()) < 1.0
    assert capped(m).sums() | {"units": float(m.units)} == pytest.approx(
        weighted_sums(raw, weights) | {"units": float(m.units)} | _heavy_sums(raw, heavy_names, weights), rel=1e-9
    )
    total, lightest = capped(m).n, min(sum(n for _, n in cells.values()) for cells in m.heavy)
    for cells in capped(m).heavy:
        assert sum(n for _, n in cells.values()) <= max(MAX_UNIT_SHARE * total, lightest) * (1 + 1e-9)


def _heavy_sums(
    raw: dict[str, dict[int, list[float]]], heavy: list[str], weights: dict[str, float]
) -> dict[str, float]:
    out = {}
    for rank, u in enumerate(heavy):
        for e, values in raw[u].items():
            out[f"heavy{rank}:{e}:y"] = weights[u] * sum(values)
            out[f"heavy{rank}:{e}:n"] = weights[u] * len(values)
    return out


def test_an_arm_without_a_dominant_unit_is_left_as_it_is() -> None:
    _, m = arm(np.random.default_rng(9), [5] * 200, epochs=2)
    assert capped(m) is m


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
    baseline = kept([[1.0] * 4 + [0.0] for _ in range(800)])
    candidate = kept([[1.0] * 950 + [0.0] * 50] + [[1.0] * 4 + [0.0] for _ in range(100)])
    d = difference(baseline, candidate, relative=False, rate=True)
    assert d is not None
    assert 0 < d.value < 0.01
