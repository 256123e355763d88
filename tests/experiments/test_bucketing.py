"""Assignment is sticky, uniform, ramp-safe, and pinned by a vector file that must never change."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from experiments.bucketing import BUCKETS, assign, bucket
from experiments.model import Arm

VECTORS = json.loads((Path(__file__).parent / "bucket_vectors.json").read_text(encoding="utf-8"))


def test_hash_is_pinned_by_vectors() -> None:
    assert len(VECTORS["cases"]) == 28
    for case in VECTORS["cases"]:
        assert bucket(case["salt"], case["unit"]) == case["bucket"], case


def test_five_percent_of_100k_customers_lands_within_4_8_to_5_2_percent() -> None:
    customers = [f"customer-{i}" for i in range(100_000)]
    for salt in ("exp-1", "exp-2", "fulfilment-exp-9"):
        share = sum(assign(salt, c, 500) is Arm.CANDIDATE for c in customers) / len(customers)
        assert 0.048 <= share <= 0.052, (salt, share)


def test_buckets_are_uniform() -> None:
    counts = [0] * BUCKETS
    for i in range(200_000):
        counts[bucket("exp-uniform", f"customer-{i}")] += 1
    result = stats.chisquare(counts)
    assert result.pvalue > 0.001, result
    grouped = [sum(counts[i : i + 100]) for i in range(0, BUCKETS, 100)]
    assert stats.chisquare(grouped).pvalue > 0.001


def test_ramp_up_keeps_candidates_and_ramp_down_returns_only_those_above() -> None:
    customers = [f"c{i}" for i in range(20_000)]
    at = {share: {c for c in customers if assign("exp-ramp", c, share) is Arm.CANDIDATE} for share in (500, 1000, 5000)}
    assert at[500] <= at[1000] <= at[5000]
    assert len(at[1000]) > len(at[500])
    returned = at[1000] - at[500]
    assert all(500 <= bucket("exp-ramp", c) < 1000 for c in returned)


@given(salt=st.text(max_size=20), unit=st.text(max_size=40), low=st.integers(0, 10_000), high=st.integers(0, 10_000))
def test_assignment_is_deterministic_and_monotonic_in_share(salt: str, unit: str, low: int, high: int) -> None:
    low, high = sorted((low, high))
    assert 0 <= bucket(salt, unit) < BUCKETS
    assert assign(salt, unit, low) is assign(salt, unit, low)
    if assign(salt, unit, low) is Arm.CANDIDATE:
        assert assign(salt, unit, high) is Arm.CANDIDATE
