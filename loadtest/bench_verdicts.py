"""Calibration of the verdict: how often each kind of world leads to each verdict, with 95% intervals.

    python -m loadtest.bench_verdicts [--runs 1000] [--only NAME ...] [--workers 2] [--json PATH]

Every run of a scenario (loadtest.verdict_world) is a gray release with its
own seed: orders arrive, are assigned as the service assigns them, outcomes
are reported when the world reports them, and a reviewer looks every
`look_every` orders at what experiments.compute_results says, the code the
service runs. A run ends at its first verdict other than "no difference
yet" (a reviewer acts on it) or at its last order.

- A/A scenarios (no true difference): the share of runs with any verdict
  (candidate better, worse, a guardrail abort, invalid), with "better" and
  "worse" apart. Honest means at most alpha = 5%.
- Power: the share of runs that call a true on-time gain "candidate better"
  within the scenario's orders, and the median orders it took.
- Aborts: the share of runs in which a candidate with 3x, 5x or 15x the
  exception rate is stopped by its guardrail, and the median orders.
- Sample ratio: the share of runs in which experiments.sample_ratio, looked
  at every 1,000 units, flags a 10% relative imbalance by 100,000 units, and
  the false alarms without one.

Rates come with Wilson 95% intervals. A run takes 0.1-0.5 s; 1,000 runs of
every scenario take about an hour and a half on two cores.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from experiments.model import METRICS
from experiments.results import Verdict
from experiments.simulation import OutcomeModel
from experiments.statistics import sample_ratio
from loadtest.verdict_world import Delays, Scenario, draw, looks

DELAYED = Delays(exception=0.0, on_time=3.0, late=6.0)
"""Exceptions reported when they happen; deliveries after 3 h on time, 6 h late (a run lasts 20 h)."""
SLOW = Delays(exception=0.0, on_time=6.0, late=12.0)
"""A candidate whose carrier reports deliveries twice as late."""
MATURED = dict.fromkeys(METRICS, 12.0)
"""Maturity windows (hours) past the slowest report."""
HARM = OutcomeModel(exception=0.01)


@dataclass(frozen=True, slots=True)
class Check:
    """A scenario and what counts as a hit in one run of it."""

    scenario: Scenario
    kind: str
    """aa, power or abort."""
    what: str


CHECKS = [
    Check(Scenario("aa-project-10"), "aa", "A/A, project customer mix, 10%, a look every 500"),
    Check(Scenario("aa-project-50", share_bp=5_000), "aa", "A/A, project mix, 50%"),
    Check(Scenario("aa-clustered-10", customers="clustered"), "aa", "A/A, ~4 correlated orders per customer, 10%"),
    Check(Scenario("aa-single-10", customers="single"), "aa", "A/A, one order per customer, 10%"),
    Check(
        Scenario("aa-heavy-10", customers="heavy"),
        "aa",
        "A/A, one customer places 17% of the orders and is in the candidate, 10%",
    ),
    Check(Scenario("aa-peek-100", look_every=100), "aa", "A/A, project mix, 10%, a look every 100"),
    Check(Scenario("aa-ramp", share_bp=500, ramp_to_bp=5_000), "aa", "A/A, ramp 5% -> 50% halfway"),
    Check(
        Scenario("aa-ramp-trend", trend=-0.15, share_bp=500, ramp_to_bp=5_000),
        "aa",
        "A/A, ramp 5% -> 50% while on-time falls 15 points for everyone",
    ),
    Check(
        Scenario("aa-guests", guests=0.2, guest_on_time=0.6),
        "aa",
        "A/A, 20% guest orders (no customer id) at 60% on time",
    ),
    Check(Scenario("aa-delays", delays=DELAYED), "aa", "A/A, exceptions reported at once, late deliveries later"),
    Check(
        Scenario("aa-ramp-delays", delays=DELAYED, share_bp=500, ramp_to_bp=5_000),
        "aa",
        "A/A, ramp 5% -> 50% with delayed outcomes",
    ),
    Check(
        Scenario("aa-slow-reports-matured", delays=DELAYED, candidate_delays=SLOW, maturity=MATURED),
        "aa",
        "A/A, the candidate's deliveries reported twice as late, 12 h maturity windows",
    ),
    *(
        Check(Scenario(f"power-{p}pt", effects={"on_time": p / 100}), "power", f"+{p} points on time, 10%")
        for p in (2, 4, 8)
    ),
    *(
        Check(
            Scenario(f"abort-{x}x", orders=40_000, base=HARM, effects={"*exception": x}),
            "abort",
            f"{x}x the exception rate (1%), 10%",
        )
        for x in (3, 5, 15)
    ),
    Check(
        Scenario("abort-at-limit", orders=40_000, base=HARM, effects={"exception": 0.01}),
        "abort",
        "a candidate exactly at its exception limit (+1 point): false aborts, at most the guardrails' share (1.75%)",
    ),
    Check(
        Scenario("abort-3x-of-2pct", effects={"*exception": 3}),
        "abort",
        "3x the project model's exception rate (2%), 10%",
    ),
    Check(
        Scenario("abort-at-limit-2pct", effects={"exception": 0.01}),
        "abort",
        "a candidate at its limit over the project model's 2% (+1 point): false aborts",
    ),
]
SRM_UNITS, SRM_EVERY, SRM_SHARE = 100_000, 1_000, 0.10


@dataclass(frozen=True, slots=True)
class Run:
    hit: bool
    orders: int
    verdict: str


def run_check(check: Check, seed: int) -> Run:
    """One run: the first verdict other than "no difference yet", and whether it is a hit."""
    for orders, results in looks(draw(check.scenario, seed)):
        if results.verdict is Verdict.NO_DIFFERENCE_YET:
            continue
        if check.kind == "power":
            return Run(results.verdict is Verdict.BETTER, orders, str(results.verdict))
        if check.kind == "abort":
            return Run(results.reason.startswith("guardrail"), orders, str(results.verdict))
        return Run(True, orders, str(results.verdict))
    return Run(False, check.scenario.orders, str(Verdict.NO_DIFFERENCE_YET))


def srm_run(imbalance: float, seed: int) -> bool:
    """Whether the sample-ratio test flags a split whose candidate share is off by `imbalance` (relative)."""
    rng = np.random.default_rng(seed)
    candidate = np.cumsum(rng.random(SRM_UNITS) < SRM_SHARE * (1 + imbalance))
    for units in range(SRM_EVERY, SRM_UNITS + 1, SRM_EVERY):
        c = int(candidate[units - 1])
        if sample_ratio(units - c, c, SRM_SHARE).mismatch:
            return True
    return False


def wilson(hits: int, runs: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a binomial share."""
    if runs == 0:
        return 0.0, 1.0
    p = hits / runs
    centre = (p + z * z / (2 * runs)) / (1 + z * z / runs)
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / (1 + z * z / runs)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    what: str
    runs: int
    hits: int
    median_orders: float
    detail: str

    @property
    def rate(self) -> float:
        return self.hits / self.runs

    def render(self) -> str:
        low, high = wilson(self.hits, self.runs)
        median = f"{self.median_orders:,.0f}" if not math.isnan(self.median_orders) else "-"
        return (
            f"{self.name:16} {self.rate:7.1%}  [{low:5.1%}, {high:5.1%}]  {self.runs:5,}  {median:>8}  "
            f"{self.what}{f' ({self.detail})' if self.detail else ''}"
        )

    def figures(self) -> dict[str, float]:
        low, high = wilson(self.hits, self.runs)
        return {
            f"{self.name}.rate": self.rate,
            f"{self.name}.low": low,
            f"{self.name}.high": high,
            f"{self.name}.median_orders": self.median_orders,
        }


def row_of(check: Check, runs: list[Run]) -> Row:
    hits = [r for r in runs if r.hit]
    median = float(statistics.median(r.orders for r in hits)) if hits else float("nan")
    detail = ""
    if check.kind == "aa":
        kinds = {str(v): sum(r.verdict == str(v) for r in runs) for v in Verdict if v is not Verdict.NO_DIFFERENCE_YET}
        detail = ", ".join(f"{k} {n}" for k, n in kinds.items() if n)
    return Row(check.scenario.name, check.what, len(runs), len(hits), median, detail)


def _runs(job: tuple[Callable[..., object], object, range]) -> list[object]:
    fn, arg, seeds = job
    return [fn(arg, seed) for seed in seeds]


def calibrate(runs: int, only: set[str], workers: int, progress: Callable[[Row], None]) -> list[Row]:
    rows = []
    chunks = max(workers * 4, 1)
    with ProcessPoolExecutor(workers) as pool:
        for check in CHECKS:
            if only and check.scenario.name not in only:
                continue
            seeds = [range(i, runs, chunks) for i in range(chunks)]
            results = [r for part in pool.map(_runs, [(run_check, check, s) for s in seeds]) for r in part]
            rows.append(row_of(check, [r for r in results if isinstance(r, Run)]))
            progress(rows[-1])
        for name, imbalance, what in (
            ("srm-detect", 0.10, "sample ratio: a 10% relative imbalance flagged by 100,000 units"),
            ("srm-false", 0.0, "sample ratio: false alarms over 100,000 units, a look every 1,000"),
        ):
            if only and name not in only:
                continue
            seeds = [range(i, runs, chunks) for i in range(chunks)]
            flags = [bool(f) for part in pool.map(_runs, [(srm_run, imbalance, s) for s in seeds]) for f in part]
            rows.append(Row(name, what, len(flags), sum(flags), float("nan"), ""))
            progress(rows[-1])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--only", nargs="*", default=[], help="scenario names (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    print(f"{'scenario':16} {'rate':>7}  {'95% interval':14}  {'runs':>5}  {'median':>8}  what")
    rows = calibrate(args.runs, set(args.only), args.workers, lambda row: print(row.render(), flush=True))
    if args.json is not None:
        figures = {k: v for row in rows for k, v in row.figures().items()}
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
