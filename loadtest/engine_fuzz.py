"""Engine fuzzer: random rule sets and nasty orders, durable_rules held against the reference in a child process.

    python -m loadtest.engine_fuzz [--minutes 10 | --cases N] [--seed S] [--case I]
                                   [--case-seconds 30] [--large PERCENT] [--out DIR] [--json PATH]
    python -m loadtest.engine_fuzz --replay DIR

Each case (loadtest.fuzz_cases: a pure function of seed and index) is a rule
set source and up to 30 orders. A spawned child (loadtest.fuzz_child) checks
the source as publishing does and, when it is valid, evaluates every order
alone and the orders as one batch, comparing each with rules.reference. The
parent gives each case `--case-seconds`; the child's address space is capped.

A finding is a case whose orders the engine decides differently from the
reference (mismatch), a valid rule set the engine refuses (inconsistent), a
source validation refuses only because the engine did, naming no limit
(engine-rejected), an exception on a checked order (error), a child that dies (crash, with its exit
code or signal), or one that runs out of time (hang). Each is written to
`--out` as a reproducer: rules.yaml, orders.json (cut to the orders involved
when they alone reproduce it) and finding.txt with the commands that make it
again; the child is replaced and the run goes on. The summary says how many
rule sets were evaluated and refused, how many orders compared, and the
findings; the exit status is 1 when there is any.

`--plant NAME` installs a known defect in the child (loadtest.fuzz_child.PLANTS):
the fuzzer's tests use it to show each kind of defect is found.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from loadtest import fuzz_child
from loadtest.fuzz_cases import Case, make_case
from loadtest.fuzz_child import Verdict
from service.app.child_process import start_child, stop_child

CASE_SECONDS = 30.0
"""The largest case (700 rules, 8 orders of up to 1,000 lines) takes a few seconds here; beyond this it hangs."""
MEMORY_BYTES = 2 * 1024**3
START_SECONDS = 60.0
RECYCLE_CASES = 200
"""Cases one child runs before a new one takes over: what the engine leaks on refused sources stays bounded."""


@dataclass(slots=True)
class Outcome:
    """A case's verdict from the child, or how the child failed it."""

    verdict: Verdict | None
    kind: str = ""
    step: str = ""
    problem: str = ""

    @property
    def finding(self) -> str:
        return self.kind or (self.verdict.kind if self.verdict else "")


@dataclass(slots=True)
class Summary:
    seed: int
    cases: int = 0
    seconds: float = 0.0
    evaluated: Counter[str] = field(default_factory=Counter)
    """Valid rule sets evaluated, by size."""
    refused: Counter[str] = field(default_factory=Counter)
    """Rule sets validation refused, by diagnostic code."""
    orders: int = 0
    refused_orders: int = 0
    findings: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        # (dataclasses.asdict would rebuild a Counter from its items, counting pairs)
        return {
            "seed": self.seed,
            "cases": self.cases,
            "seconds": round(self.seconds, 1),
            "evaluated": dict(self.evaluated),
            "refused": dict(self.refused),
            "orders": self.orders,
            "refused_orders": self.refused_orders,
            "findings": self.findings,
        }

    def render(self) -> str:
        evaluated = sum(self.evaluated.values())
        sizes = ", ".join(f"{size} {count:,}" for size, count in sorted(self.evaluated.items()))
        refused = ", ".join(f"{code} {count:,}" for code, count in self.refused.most_common())
        kinds = Counter(f["kind"] for f in self.findings)
        found = ", ".join(f"{kind} {count}" for kind, count in kinds.most_common()) or "none"
        return (
            f"engine fuzz, seed {self.seed}: {self.cases:,} cases in {self.seconds:.0f} s; "
            f"{evaluated:,} rule sets evaluated ({sizes}), {sum(self.refused.values()):,} refused by validation"
            f"{f' ({refused})' if refused else ''}; {self.orders:,} orders compared with the reference "
            f"({self.refused_orders:,} more refused as invalid); findings: {found}"
        )


class Child:
    """The fuzzer's child process: started on demand, replaced after a crash, a hang or RECYCLE_CASES."""

    def __init__(self, plant: str = "", memory_bytes: int = MEMORY_BYTES) -> None:
        self._plant = plant
        self._memory = memory_bytes
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._cases = 0

    def run(self, source: str, orders: list[Any], seconds: float) -> Outcome:
        connection = self._connect()
        connection.send((source, orders))
        self._cases += 1
        step, deadline = "", time.monotonic() + seconds
        try:
            while True:
                if not connection.poll(max(0.0, deadline - time.monotonic())):
                    self.stop()
                    return Outcome(None, "hang", step, f"no answer within {seconds:g} s (in step {step!r})")
                kind, value = connection.recv()
                if kind == "step":
                    step = value
                    continue
                if self._cases >= RECYCLE_CASES:
                    self.stop()
                return Outcome(value, step=step)
        except (EOFError, OSError):
            code = self.stop()
            return Outcome(None, "crash", step, f"the child died with exit code {code} (in step {step!r})")

    def _connect(self) -> Connection:
        if self._process is None or self._connection is None or not self._process.is_alive():
            self.stop()
            args = (self._memory, self._plant)
            self._process, self._connection = start_child(fuzz_child.serve, args, "engine-fuzz", START_SECONDS)
            self._cases = 0
        return self._connection

    def stop(self) -> int | None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        return stop_child(process, connection)


def fuzz(
    seed: int,
    *,
    minutes: float | None = None,
    cases: int | None = None,
    only: int | None = None,
    case_seconds: float = CASE_SECONDS,
    large_percent: float = 5.0,
    out: Path = Path("fuzz-findings"),
    plant: str = "",
    progress: bool = False,
) -> Summary:
    """Runs cases until `minutes` pass or `cases` ran (`only`: just that case); findings go to `out`."""
    summary = Summary(seed)
    child = Child(plant)
    started = time.monotonic()
    last_report = started
    indexes = [only] if only is not None else range(cases if cases is not None else sys.maxsize)
    try:
        for index in indexes:
            if minutes is not None and time.monotonic() - started >= minutes * 60:
                break
            case = make_case(seed, index, large_percent)
            outcome = child.run(case.source, case.orders, case_seconds)
            summary.cases += 1
            _count(summary, case, outcome)
            if outcome.finding:
                summary.findings.append(_record(case, outcome, child, case_seconds, out, plant))
            if progress and time.monotonic() - last_report >= 30:
                last_report = time.monotonic()
                print(f"  {summary.cases:,} cases, {len(summary.findings)} findings", flush=True)
    finally:
        child.stop()
        summary.seconds = time.monotonic() - started
    return summary


def _count(summary: Summary, case: Case, outcome: Outcome) -> None:
    verdict = outcome.verdict
    if verdict is None:
        return
    if verdict.valid:
        summary.evaluated[case.size] += 1
        summary.orders += verdict.orders
        summary.refused_orders += verdict.refused_orders
    else:
        summary.refused.update(verdict.refusals)


def _record(case: Case, outcome: Outcome, child: Child, seconds: float, out: Path, plant: str) -> dict[str, Any]:
    """Writes the reproducer of a finding, with as few orders as still reproduce it."""
    kind = outcome.finding
    problem = outcome.problem or (outcome.verdict.problem if outcome.verdict else "")
    orders = case.orders
    involved = _involved(case, outcome)
    if involved is not None and len(involved) < len(orders):
        fewer = [orders[i] for i in involved]
        if child.run(case.source, fewer, seconds).finding == kind:
            orders = fewer
    directory = out / f"{kind}-seed{case.seed}-case{case.index}"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rules.yaml").write_text(case.source)
    (directory / "orders.json").write_text(json.dumps(orders, ensure_ascii=False, indent=1))
    planted = f" --plant {plant}" if plant else ""
    (directory / "finding.txt").write_text(
        f"{kind}: {problem}\n"
        f"case {case.index} of seed {case.seed} ({case.size} rule set), {len(orders)} of {len(case.orders)} orders\n"
        f"replay:     python -m loadtest.engine_fuzz --replay {directory}{planted}\n"
        f"regenerate: python -m loadtest.engine_fuzz --seed {case.seed} --case {case.index}{planted}\n"
    )
    return {"kind": kind, "problem": problem, "step": outcome.step, "reproducer": str(directory)}


def _involved(case: Case, outcome: Outcome) -> list[int] | None:
    """The orders a finding needs, when it can say (an order's own step, or a mismatch's orders)."""
    if outcome.verdict is not None and outcome.verdict.orders_involved:
        return outcome.verdict.orders_involved
    if outcome.step.startswith("order "):
        return [int(outcome.step.removeprefix("order "))]
    if outcome.step in ("check", "compile"):
        return []
    return None


def replay(directory: Path, plant: str = "", case_seconds: float = CASE_SECONDS) -> Outcome:
    """Runs a reproducer's rule set and orders once in a new child."""
    source = (directory / "rules.yaml").read_text()
    orders = json.loads((directory / "orders.json").read_text())
    child = Child(plant)
    try:
        return child.run(source, orders, case_seconds)
    finally:
        child.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, help="run this long (default: 10, unless --cases or --case)")
    parser.add_argument("--cases", type=int, help="run this many cases")
    parser.add_argument("--case", type=int, help="run only this case of the seed")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--case-seconds", type=float, default=CASE_SECONDS)
    parser.add_argument("--large", type=float, default=5.0, help="percent of cases with 300-700 rules")
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"))
    parser.add_argument("--plant", default="", choices=["", *fuzz_child.PLANTS])
    parser.add_argument("--json", type=Path, help="write the summary as JSON here too")
    parser.add_argument("--replay", type=Path, help="run one reproducer directory")
    args = parser.parse_args(argv)
    if args.replay is not None:
        outcome = replay(args.replay, args.plant, args.case_seconds)
        verdict = outcome.verdict
        text = outcome.problem or (verdict.problem if verdict else "") or "the engine agrees with the reference"
        print(f"{outcome.finding or 'clean'}: {text}")
        return 1 if outcome.finding else 0
    minutes = args.minutes if args.minutes is not None or args.cases or args.case is not None else 10.0
    summary = fuzz(
        args.seed,
        minutes=minutes,
        cases=args.cases,
        only=args.case,
        case_seconds=args.case_seconds,
        large_percent=args.large,
        out=args.out,
        plant=args.plant,
        progress=True,
    )
    print(summary.render())
    for finding in summary.findings:
        print(f"  {finding['kind']}: {finding['problem']}\n    reproducer: {finding['reproducer']}")
    if args.json is not None:
        args.json.write_text(json.dumps(summary.as_json(), indent=2))
    return 1 if summary.findings else 0


if __name__ == "__main__":
    sys.exit(main())
