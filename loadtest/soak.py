"""Soak: memory of a real service over many rule set versions and validations.

    python -m loadtest.soak [--cycles 1000] [--validations N] [--warmup 100] [--every 100]
                            [--bound-mb 2.0] [--json PATH]

Starts a real redis-server and `orderroute serve` on it (one process, as
deployed: every check of a source runs in its long-lived child process), then

(a) runs `--cycles` cycles: publish a new version of a rule set (checked and
    tested in the child), activate it, route a batch of 100 orders and 10
    single orders, each of which must come back decided by the new version.
    The previous version is retired as in production (the next refresh, at
    most a second later, forgets it; the engine frees it);
(b) sends `--validations` ValidateRuleSet calls (default: as many as cycles),
    each a new source: 7 in 10 valid, 1 in 10 failing its own tests, 1 in 10
    not valid, and 1 in 50 instead one over an engine limit (refused by the
    check, before the engine sees it).

It prints the resident set size (RSS, MB) of the server and of its check
process every `--every` cycles, then per phase and process: at the start,
after `--warmup` cycles, at the end, and the growth per 100 cycles after the
warm-up, (end - after warm-up) / (cycles after warm-up / 100). It exits 1
when a growth exceeds `--bound-mb` (server in (a); check process in (a) and
(b)), or when any call answers other than expected.

The check process is replaced after a number of checks or when it holds too
much (service.app.isolated_check): its figure is whichever child is serving.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments.simulation import customer_pool, pick_customer, synthetic_order
from loadtest.bench import Process, serve_command
from service.client.documents import order_from_document
from service.storage.local_redis import free_port, start_redis

RULE_SET = "soak"
EXAMPLE = Path(__file__).resolve().parent.parent / "rules" / "examples" / "fulfilment.yaml"
BATCH = 100
SINGLES = 10
DEFAULT = "default: {then: {path: STANDARD, risk_review: STANDARD, credit_review: STANDARD, warehouse: DC}}\n"
_WIDE = ", ".join(f"{{all: [{{total_minor: {{equals: {i}}}}}, {{item_count: {{equals: {i}}}}}]}}" for i in range(20))
OVER_ENGINE_LIMIT = (
    f"name: {RULE_SET}\ndescription: DESCRIPTION\nrules:\n"
    f"  - id: wide\n    priority: 1\n    when:\n      any: [{_WIDE}]\n    then: {{path: EXPRESS}}\n{DEFAULT}"
)
"""21 all / any groups in one rule, over the engine's 15 (rules.compile.MAX_RULE_GROUPS): not-expressible."""


def example_source(description: str) -> str:
    """The example rule set, as rule set `soak`, with its own description (so a new version)."""
    text = EXAMPLE.read_text()
    text = re.sub(r"(?m)^name: .*$", f"name: {RULE_SET}", text, count=1)
    return re.sub(r"(?m)^description: .*$", f"description: {description}", text, count=1)


def validation_source(index: int) -> tuple[str, str]:
    """(kind, source) of the index-th validation; every source is new."""
    description = f"soak validation {index}"
    if index % 50 == 49:
        return "over-limit", OVER_ENGINE_LIMIT.replace("DESCRIPTION", description)
    source = example_source(description)
    if index % 10 == 3:  # a test still expects the express lane from 3 repeat purchases
        return "test-failed", source.replace("repeat_purchases: {at_least: 3}", "repeat_purchases: {at_least: 2}")
    if index % 10 == 7:
        return "invalid", source.replace("risk.fraud_score:", "risk.fraud_scor:", 1)
    return "valid", source


# ---------------------------------------------------------------- memory of processes (Linux /proc)


def resident_mb(pid: int) -> float | None:
    """VmRSS of a process in MB (2**20 bytes), None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _is_check_process(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command = cmdline.read()
    except OSError:
        return False
    return b"spawn_main" in command and b"resource_tracker" not in command


class CheckProcessWatch:
    """Finds the server's check process (a `spawn` child), again when it was replaced."""

    def __init__(self, server_pid: int) -> None:
        self._server = server_pid
        self._pid: int | None = None
        self.seen: set[int] = set()
        """Every check process seen: more than one means it was replaced."""

    def resident_mb(self) -> float | None:
        if self._pid is None or _parent_of(self._pid) != self._server or not _is_check_process(self._pid):
            self._pid = next(
                (
                    pid
                    for pid in (int(entry) for entry in os.listdir("/proc") if entry.isdigit())
                    if _parent_of(pid) == self._server and _is_check_process(pid)
                ),
                None,
            )
            if self._pid is not None:
                self.seen.add(self._pid)
        return resident_mb(self._pid) if self._pid is not None else None


# ---------------------------------------------------------------- figures


@dataclass
class Series:
    """RSS samples of one process in one phase: cycle -> MB."""

    samples: dict[int, float] = field(default_factory=dict)
    peak: float = 0.0

    def add(self, cycle: int, mb: float | None, sample: bool) -> None:
        if mb is None:
            return
        self.peak = max(self.peak, mb)
        if sample:
            self.samples[cycle] = mb

    def summary(self, warmup: int) -> dict[str, float]:
        cycles = sorted(self.samples)
        start, end = cycles[0], cycles[-1]
        warm = min((c for c in cycles if c >= warmup), default=end)
        blocks = (end - warm) / 100
        growth = (self.samples[end] - self.samples[warm]) / blocks if blocks else 0.0
        return {
            "start_mb": self.samples[start],
            "after_warmup_mb": self.samples[warm],
            "end_mb": self.samples[end],
            "peak_mb": self.peak,
            "growth_mb_per_100": growth,
        }


@dataclass
class Phase:
    name: str
    server: Series = field(default_factory=Series)
    checker: Series = field(default_factory=Series)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def run_phase(
    name: str,
    count: int,
    every: int,
    step: Callable[[int], str | None],
    server_pid: int,
    watch: CheckProcessWatch,
) -> Phase:
    """Runs step(0..count-1) (a message when a call answered other than expected) and samples RSS."""
    phase = Phase(name)
    print(f"\n{name}: {count} cycles; RSS in MB", flush=True)
    print(f"{'cycles':>8} {'server':>9} {'check process':>14} {'seconds':>8}", flush=True)
    started = time.perf_counter()
    for cycle in range(count + 1):
        sample = cycle % every == 0 or cycle == count
        server, checker = resident_mb(server_pid), watch.resident_mb()
        phase.server.add(cycle, server, sample)
        phase.checker.add(cycle, checker, sample)
        if sample:
            shown = f"{checker:14.1f}" if checker is not None else f"{'-':>14}"
            print(f"{cycle:8d} {server or 0:9.1f} {shown} {time.perf_counter() - started:8.1f}", flush=True)
        if cycle < count:
            problem = step(cycle)
            if problem is not None:
                phase.failures.append(problem)
                if len(phase.failures) >= 5:
                    break
    phase.seconds = time.perf_counter() - started
    return phase


class Client:
    def __init__(self, address: str) -> None:
        self.channel = grpc.insecure_channel(address)
        self.rulesets = pb_grpc.RuleSetServiceStub(self.channel)
        self.routing = pb_grpc.RoutingServiceStub(self.channel)
        rng = random.Random(7)
        pool = customer_pool(2_000, "soak")
        self.orders = [
            order_from_document(synthetic_order(f"s-{i}", pick_customer(pool, rng), rng)) for i in range(500)
        ]

    def cycle(self, index: int) -> str | None:
        """Publish, activate, route: None when every answer is as expected."""
        source = example_source(f"soak cycle {index}")
        published = self.rulesets.PublishRuleSet(
            pb.PublishRuleSetRequest(source=source, file_name="soak.yaml", author="soak", comment=f"cycle {index}"),
            timeout=60,
        )
        version = published.version.version
        self.rulesets.ActivateRuleSet(
            pb.ActivateRuleSetRequest(name=RULE_SET, version=version, reason="soak", actor="soak"), timeout=30
        )
        start = (index * BATCH) % (len(self.orders) - BATCH)
        batch = self.routing.RouteBatch(
            pb.RouteBatchRequest(orders=self.orders[start : start + BATCH], rule_set=RULE_SET), timeout=30
        )
        versions = {r.decision.version if r.HasField("decision") else -1 for r in batch.results}
        for order in self.orders[start : start + SINGLES]:
            reply = self.routing.Route(pb.RouteRequest(order=order, rule_set=RULE_SET), timeout=30)
            versions.add(reply.decision.version)
        if not published.created or versions != {version}:
            return f"cycle {index}: published v{version} (created {published.created}), decided by {sorted(versions)}"
        return None

    def validate(self, index: int) -> str | None:
        kind, source = validation_source(index)
        reply = self.rulesets.ValidateRuleSet(
            pb.ValidateRuleSetRequest(source=source, file_name="soak.yaml"), timeout=60
        )
        codes = {d.code for d in reply.diagnostics if d.severity == pb.SEVERITY_ERROR}
        expected = {"valid": set(), "test-failed": {"test-failed"}, "over-limit": {"not-expressible"}}
        if reply.valid != (kind == "valid") or (kind in expected and codes != expected[kind]):
            return f"validation {index} ({kind}): valid {reply.valid}, errors {sorted(codes)}"
        return None

    def close(self) -> None:
        self.channel.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=1000, help="publish/activate/route cycles (default 1000)")
    parser.add_argument("--validations", type=int, help="ValidateRuleSet calls (default: as many as cycles)")
    parser.add_argument("--warmup", type=int, default=100, help="cycles before growth is measured (default 100)")
    parser.add_argument("--every", type=int, default=100, help="print RSS every this many cycles (default 100)")
    parser.add_argument("--bound-mb", type=float, default=2.0, help="most RSS growth per 100 cycles (default 2.0)")
    parser.add_argument("--metrics", action="store_true", help="serve with the Prometheus endpoint on")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    validations = args.cycles if args.validations is None else args.validations
    if not sys.platform.startswith("linux"):
        print("the soak reads RSS from /proc: Linux only", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="orderroute-soak-") as tmp:
        redis_port = free_port()
        redis = start_redis(Path(tmp) / "redis", redis_port)
        server: Process | None = None
        client: Client | None = None
        try:
            port = free_port()
            command = serve_command(port, f"redis://127.0.0.1:{redis_port}/0", Path(tmp) / "data")
            command += ["--threads", "2"] + (["--metrics-port", str(free_port())] if args.metrics else [])
            server = Process(command, f"127.0.0.1:{port}")
            client = Client(server.address)
            watch = CheckProcessWatch(server.process.pid)
            phases = [
                run_phase(
                    "(a) publish/activate/route", args.cycles, args.every, client.cycle, server.process.pid, watch
                ),
                run_phase("(b) validations", validations, args.every, client.validate, server.process.pid, watch),
            ]
        finally:
            if client is not None:
                client.close()
            if server is not None:
                server.stop()
            redis.terminate()
            redis.wait(10)
    return report(phases, args.warmup, args.bound_mb, len(watch.seen), args.json)


def report(phases: list[Phase], warmup: int, bound: float, check_processes: int, json_path: Path | None) -> int:
    """Prints (and saves) the figures; 1 when a growth exceeds the bound or a call went wrong."""
    figures: dict[str, object] = {"bound_mb_per_100": bound, "warmup_cycles": warmup}
    problems: list[str] = []
    print(f"\nRSS in MB; growth per 100 cycles after the first {warmup} (bound {bound:g} MB)")
    print(f"{'phase':28} {'process':14} {'start':>7} {'warm':>7} {'end':>7} {'peak':>7} {'per 100':>8}")
    for key, phase in zip(("cycles", "validations"), phases, strict=True):
        part: dict[str, object] = {"seconds": phase.seconds, "failures": phase.failures}
        bounded = {"check_process"} if key == "validations" else {"server", "check_process"}
        for label, series in (("server", phase.server), ("check_process", phase.checker)):
            if len(series.samples) < 2:
                continue
            summary = series.summary(warmup)
            part[label] = summary
            over = label in bounded and summary["growth_mb_per_100"] > bound
            if over:
                problems.append(f"{phase.name}: {label} grew {summary['growth_mb_per_100']:.2f} MB per 100 cycles")
            print(
                f"{phase.name:28} {label.replace('_', ' '):14} {summary['start_mb']:7.1f} "
                f"{summary['after_warmup_mb']:7.1f} {summary['end_mb']:7.1f} {summary['peak_mb']:7.1f} "
                f"{summary['growth_mb_per_100']:8.2f}" + ("  EXCEEDED" if over else "")
            )
        print(f"{phase.name:28} {phase.seconds:.1f} s" + (f"; {len(phase.failures)} failed" if phase.failures else ""))
        figures[key] = part
        problems += phase.failures
    figures["check_processes_seen"] = check_processes
    print(f"check processes seen: {check_processes} (more than one: it was replaced)")
    if json_path is not None:
        json_path.write_text(json.dumps(figures, indent=2))
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
