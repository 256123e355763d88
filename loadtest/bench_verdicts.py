"""How honest the verdict is, measured by simulation (experiments.simulation, in memory).

    python -m loadtest.bench_verdicts [--runs 200] [--orders 20000] [--json PATH]

- A/A false-positive rate: no true effect, a reviewer looks every 500 orders;
  the share of runs in which any look says "candidate better" (nominal: at
  most alpha = 5%), and the share saying anything but "no difference yet".
- Power: the share of runs that call a true on-time gain "candidate better"
  within the orders given, at 10% traffic, for gains of 2, 4 and 8 points,
  and the median orders it took.
- Guardrail: the share of runs in which a candidate with 15x the exception
  rate is stopped, and the median orders it took.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

from experiments.lifecycle import new_experiment
from experiments.model import Experiment
from experiments.results import Verdict
from experiments.simulation import OutcomeModel, simulate_in_memory
from loadtest._figures import emit

LOOK_EVERY = 500


def experiment(seed: int, share_bp: int = 1000) -> Experiment:
    return new_experiment(
        id=f"bench-{seed}",
        rule_set="fulfilment",
        baseline_version=1,
        candidate_version=2,
        salt=f"bench-salt-{seed}",
        created_by="bench",
        now=datetime(2026, 1, 1, tzinfo=UTC),
        share_bp=share_bp,
    )


def rate_of(
    verdict: Verdict, effects: dict[str, float], runs: int, orders: int, base: OutcomeModel, offset: int
) -> tuple[float, float]:
    """(share of runs reaching `verdict`, median orders when it did)."""
    hits, at = 0, []
    for run in range(runs):
        seed = offset + run
        looks, stopped = simulate_in_memory(
            experiment(seed), base, base.with_effects(effects), orders, LOOK_EVERY, seed, {verdict}
        )
        if looks and looks[-1].verdict is verdict:
            hits += 1
            at.append(stopped)
    return hits / runs, float(statistics.median(at)) if at else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    base = OutcomeModel()
    figures: dict[str, float] = {}
    better = any_difference = 0
    for run in range(args.runs):
        looks, _ = simulate_in_memory(experiment(run), base, base, args.orders, LOOK_EVERY, run)
        verdicts = {look.verdict for look in looks}
        better += Verdict.BETTER in verdicts
        any_difference += bool(verdicts & {Verdict.BETTER, Verdict.WORSE})
    figures["aa_better_rate"] = better / args.runs
    figures["aa_any_difference_rate"] = any_difference / args.runs
    for points in (2, 4, 8):
        power, median = rate_of(Verdict.BETTER, {"on_time": points / 100}, args.runs, args.orders, base, 10_000)
        figures[f"power_on_time_{points}pt"], figures[f"median_orders_{points}pt"] = power, median
    harm = OutcomeModel(exception=0.01)
    figures["guardrail_stop_rate"], figures["guardrail_median_orders"] = rate_of(
        Verdict.WORSE, {"*exception": 15}, args.runs, args.orders, harm, 20_000
    )
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
