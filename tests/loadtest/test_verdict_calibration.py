"""The short form of the verdict calibration: 100 runs of the A/A worlds that broke the verdict before
(a ramp while on-time falls for everyone, outcomes at different delays, one heavy customer in the
candidate). The bound is loose, so that it cannot flake, yet far below what those defects gave (88%,
5.5% and 98% with a ramp, about 30% with the heavy customer): the full form is
`python -m loadtest.bench_verdicts` (1,000 runs, README "How honest the verdict is")."""

from __future__ import annotations

from loadtest import bench_verdicts

RUNS = 100
BOUND = 0.15
"""At most 15 of 100 runs with any verdict: an honest 5% goes above it one time in 10,000."""


def test_the_worlds_that_broke_the_verdict_stay_below_a_loose_bound() -> None:
    names = {"aa-ramp-trend", "aa-ramp-delays", "aa-delays", "aa-heavy-10"}
    rows = bench_verdicts.calibrate(RUNS, names, workers=2, progress=lambda row: None)
    assert {row.name for row in rows} == names
    rates = {row.name: row.rate for row in rows}
    assert all(row.runs == RUNS for row in rows)
    assert max(rates.values()) <= BOUND, rates
