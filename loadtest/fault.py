"""Fault drills under load.

Outage: steady Route + RecordOutcome load on two replicas sharing one Redis, while Redis
is stopped and restarted and then one replica is killed with SIGKILL.

    python -m loadtest.fault [--outage 10] [--steady 3] [--clients 4] [--json PATH]

Freeze (`--freeze SECONDS`): one replica under mixed Route + RecordOutcome + control-plane load
(listing rule sets, reading results, validating a source) while Redis is frozen with SIGSTOP:
connections stay open and nothing answers, the worst case for a caller. Route latency before
and during the freeze is compared (p50, p99); no Route may fail and p99 must stay within 2x.

    python -m loadtest.fault --freeze 30 [--steady 5] [--clients 4] [--json PATH]

The clients behave as an OMS should: one channel over both replicas
(round robin, retrying UNAVAILABLE on the other), and an outcome the
service refused is kept and reported again later. At the end every
acknowledged outcome is looked up in Redis. Figures:

- routes served and failed, by phase and status code (no Route may fail while Redis is down);
- outcomes acknowledged, and how many of them Redis holds (must be all);
- refusals by code (UNAVAILABLE while Redis was down: not acknowledged, retried later);
- outcomes given up as NOT_FOUND: decisions whose record was still in the killed replica's buffer.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments.simulation import customer_pool, pick_customer, synthetic_order
from loadtest.bench import CANDIDATE, Process, serve_command, start_experiment
from service.client.documents import order_from_document
from service.storage.connection import connect
from service.storage.local_redis import free_port, start_redis
from service.storage.redis_decisions import RedisDecisionStore
from service.storage.redis_experiments import RedisExperimentStore

# Route and outcomes are safe to repeat (an outcome replaces the same metric of the same decision),
# so a call that found a replica gone is retried on the other one.
SERVICE_CONFIG = json.dumps(
    {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [
            {
                "name": [{"service": "orderroute.v1.RoutingService"}, {"service": "orderroute.v1.OutcomeService"}],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.02s",
                    "maxBackoff": "0.2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ],
    }
)
REDIS_DURABLE = ("--appendonly", "yes", "--appendfsync", "always")
BATCH = 100
STATUS_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}
NOT_FOUND_PATIENCE = 2.0
"""Seconds an outcome keeps being retried on NOT_FOUND (records are written every few ms)."""


@dataclass
class Report:
    phases: dict[str, float] = field(default_factory=dict)
    """Phase -> seconds it lasted."""
    routes_ok: dict[str, int] = field(default_factory=dict)
    route_errors: dict[str, dict[str, int]] = field(default_factory=dict)
    """Phase -> status code -> count."""
    outcomes_acknowledged: int = 0
    outcomes_stored: int = 0
    outcomes_missing: int = 0
    outcome_refusals: dict[str, int] = field(default_factory=dict)
    """Status codes of refused attempts (each later retried)."""
    outcomes_not_found: int = 0
    """Given up: the decision record never reached Redis (lost with the killed replica)."""
    outcomes_unresolved: int = 0
    experiment_outcomes_counted: int = 0
    experiment_outcomes_acknowledged: int = 0


@dataclass
class _Pending:
    outcome: pb.Outcome
    first_not_found: float = 0.0
    not_before: float = 0.0


class Load:
    """Client threads routing orders; reporter threads sending each order's outcome from an outbox,
    as an OMS would, so a refused outcome waits and is sent again without holding up routing."""

    def __init__(self, target: str, clients: int, seed: int = 11, control: int = 0) -> None:
        self._channel = grpc.insecure_channel(target, options=[("grpc.service_config", SERVICE_CONFIG)])
        self._routing = pb_grpc.RoutingServiceStub(self._channel)
        self._outcomes = pb_grpc.OutcomeServiceStub(self._channel)
        rng = random.Random(seed)
        pool = customer_pool(3_000, "drill")
        self._orders = [
            order_from_document(synthetic_order(f"d-{i}", pick_customer(pool, rng), rng)) for i in range(3_000)
        ]
        self.phase = "warm"
        self._lock = threading.Lock()
        self.routes_ok: Counter[str] = Counter()
        self.route_errors: Counter[tuple[str, str]] = Counter()
        self.route_seconds: dict[str, list[float]] = {}
        self.control_calls: Counter[tuple[str, str]] = Counter()
        """(phase, status code name) of control-plane calls."""
        self.refusals: Counter[str] = Counter()
        self.acknowledged: dict[str, tuple[str, dict[str, float]]] = {}
        self.not_found: set[str] = set()
        self._outbox: deque[_Pending] = deque()
        self._sending = 0
        """Outcomes a reporter has taken from the outbox and not settled yet."""
        self._stop_routing = threading.Event()
        self._stop_reporting = threading.Event()
        self._routers = [threading.Thread(target=self._route, args=(i,), daemon=True) for i in range(clients)]
        self._reporters = [threading.Thread(target=self._report, daemon=True) for _ in range(2)]
        self._controllers = [threading.Thread(target=self._control, args=(i,), daemon=True) for i in range(control)]

    def start(self) -> None:
        for thread in (*self._routers, *self._reporters, *self._controllers):
            thread.start()

    def stop_routing(self) -> None:
        self._stop_routing.set()
        for thread in (*self._routers, *self._controllers):
            thread.join(30)

    def drain(self, seconds: float) -> int:
        """Lets the reporters settle every outcome; returns how many are still unsettled."""
        deadline = time.monotonic() + seconds
        while self.unsettled and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop_reporting.set()
        for thread in self._reporters:
            thread.join(30)
        return self.unsettled

    @property
    def unsettled(self) -> int:
        """Outcomes in the outbox and in flight. An empty outbox alone is not done: the last refused
        outcomes (those of decisions lost with a killed replica) spend part of every retry in flight,
        and ending the drain then left them neither acknowledged nor given up. One that a reporter
        never settled (the thread died) stays counted here instead of vanishing."""
        with self._lock:
            return len(self._outbox) + self._sending

    def _route(self, index: int) -> None:
        rng = random.Random(index)
        while not self._stop_routing.is_set():
            order = self._orders[rng.randrange(len(self._orders))]
            phase = self.phase
            started = time.perf_counter()
            try:
                decision = self._routing.Route(pb.RouteRequest(order=order), timeout=5).decision
            except grpc.RpcError as error:
                with self._lock:
                    self.route_errors[(phase, error.code().name)] += 1
                continue
            elapsed = time.perf_counter() - started
            with self._lock:
                self.route_seconds.setdefault(phase, []).append(elapsed)
            outcome = pb.Outcome(
                decision_id=decision.decision_id, on_time=rng.random() < 0.9, exception=rng.random() < 0.02
            )
            with self._lock:
                self.routes_ok[phase] += 1
                self._outbox.append(_Pending(outcome))

    def _report(self) -> None:
        """Sends outcomes one by one, or 100 per RecordOutcomes call while there is a backlog."""
        while not self._stop_reporting.is_set():
            now = time.monotonic()
            with self._lock:
                size = BATCH if len(self._outbox) > BATCH else 1
                items = [self._outbox.popleft() for _ in range(min(size, len(self._outbox)))]
                waiting = [i for i in items if i.not_before > now]
                self._outbox.extend(waiting)
                ready = [i for i in items if i.not_before <= now]
                self._sending += len(ready)
            if not ready:
                time.sleep(0.005)
                continue
            try:
                if len(ready) == 1:
                    reply = self._outcomes.RecordOutcome(pb.RecordOutcomeRequest(outcome=ready[0].outcome), timeout=5)
                    self._settle(ready[0], reply, None)
                else:
                    request = pb.RecordOutcomesRequest(outcomes=[i.outcome for i in ready])
                    for item, result in zip(
                        ready, self._outcomes.RecordOutcomes(request, timeout=10).results, strict=True
                    ):
                        if result.WhichOneof("result") == "recorded":
                            self._settle(item, result.recorded, None)
                        else:
                            self._settle(item, None, STATUS_BY_NUMBER.get(result.error.code))
            except grpc.RpcError as error:
                for item in ready:
                    self._settle(item, None, error.code())

    def _control(self, index: int) -> None:
        """What a console or a CI job does meanwhile: list, read results, validate; a refused call
        is retried after a pause, as a client should."""
        rulesets = pb_grpc.RuleSetServiceStub(self._channel)
        experiments = pb_grpc.ExperimentServiceStub(self._channel)
        source = CANDIDATE.read_text()
        calls = [
            lambda: rulesets.ListRuleSets(pb.ListRuleSetsRequest(), timeout=5),
            lambda: experiments.ListExperiments(pb.ListExperimentsRequest(), timeout=5),
            lambda: rulesets.ValidateRuleSet(pb.ValidateRuleSetRequest(source=source), timeout=10),
        ]
        turn = index
        while not self._stop_routing.is_set():
            phase = self.phase
            try:
                calls[turn % len(calls)]()
                code = "OK"
            except grpc.RpcError as error:
                code = error.code().name
            turn += 1
            with self._lock:
                self.control_calls[(phase, code)] += 1
            time.sleep(0.02 if code == "OK" else 0.2)

    def _settle(self, item: _Pending, reply: pb.RecordOutcomeResponse | None, refused: grpc.StatusCode | None) -> None:
        """Records an acknowledgement, or puts a refused outcome back to be sent again a little later."""
        now = time.monotonic()
        with self._lock:
            self._sending -= 1
            if reply is not None:
                values = {"on_time": float(item.outcome.on_time), "exception": float(item.outcome.exception)}
                self.acknowledged[reply.decision_id] = (reply.experiment_id, values)
                return
            code = refused or grpc.StatusCode.UNKNOWN
            self.refusals[code.name] += 1
            item.not_before = now + 0.1
            if code is grpc.StatusCode.NOT_FOUND:
                # Patience runs from the first NOT_FOUND, not the first refusal: an outcome refused UNAVAILABLE
                # while Redis was down may meet NOT_FOUND just after it is back, until the replica holding its
                # decision has written its backlog, and that decision is not lost.
                item.first_not_found = item.first_not_found or now
                if now - item.first_not_found > NOT_FOUND_PATIENCE:
                    self.not_found.add(item.outcome.decision_id)
                    return
            self._outbox.append(item)

    def close(self) -> None:
        self._channel.close()


def start_replica(redis_url: str, data_dir: Path, seed: bool) -> Process:
    port = free_port()
    command = serve_command(port, redis_url, data_dir, "--threads", "4", *([] if seed else ["--no-seed"]))
    return Process(command, f"127.0.0.1:{port}")


def run_drill(work_dir: Path, outage: float = 10.0, steady: float = 3.0, clients: int = 4) -> Report:
    redis_port = free_port()
    redis_dir = work_dir / "redis"
    redis_process = start_redis(redis_dir, redis_port, *REDIS_DURABLE)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    first = start_replica(redis_url, work_dir / "a", seed=True)
    second = start_replica(redis_url, work_dir / "b", seed=False)
    start_experiment(first.address)
    load = Load(f"ipv4:{first.address},{second.address}", clients)
    report = Report()
    marks: list[tuple[str, float]] = []

    def enter(phase: str) -> None:
        load.phase = phase
        marks.append((phase, time.monotonic()))

    try:
        enter("steady")
        load.start()
        time.sleep(steady)
        enter("redis-down")
        redis_process.terminate()
        redis_process.wait(30)
        time.sleep(outage)
        enter("redis-back")
        redis_process = start_redis(redis_dir, redis_port, *REDIS_DURABLE)
        time.sleep(steady)
        enter("replica-killed")
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(10)
        time.sleep(steady)
        enter("end")
        load.stop_routing()
        report.outcomes_unresolved = load.drain(20.0)
        _fill(report, load, marks)
        _verify(report, load, redis_url)
    finally:
        load.close()
        for replica in (second, first):
            if replica.process.poll() is None:
                replica.stop()
        redis_process.terminate()
        redis_process.wait(30)
    return report


@dataclass
class FreezeReport:
    frozen_seconds: float = 0.0
    routes_ok: dict[str, int] = field(default_factory=dict)
    route_errors: dict[str, dict[str, int]] = field(default_factory=dict)
    route_p50_ms: dict[str, float] = field(default_factory=dict)
    route_p99_ms: dict[str, float] = field(default_factory=dict)
    p99_ratio: float = 0.0
    """Route p99 while Redis was frozen over p99 before (at most 2)."""
    outcome_refusals: dict[str, int] = field(default_factory=dict)
    control_calls: dict[str, dict[str, int]] = field(default_factory=dict)
    outcomes_acknowledged: int = 0
    outcomes_stored: int = 0
    outcomes_missing: int = 0
    outcomes_unresolved: int = 0

    @property
    def passed(self) -> bool:
        return not self.route_errors and self.p99_ratio <= 2.0 and self.outcomes_missing == 0


def run_freeze_drill(work_dir: Path, frozen: float = 30.0, steady: float = 5.0, clients: int = 4) -> FreezeReport:
    """Mixed load on one replica; Redis frozen (SIGSTOP) for `frozen` seconds between two steady phases."""
    redis_port = free_port()
    redis_process = start_redis(work_dir / "redis", redis_port, *REDIS_DURABLE)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    replica = start_replica(redis_url, work_dir / "a", seed=True)
    start_experiment(replica.address)
    load = Load(replica.address, clients, control=2)
    report = FreezeReport(frozen_seconds=frozen)
    try:
        load.start()
        time.sleep(1.0)  # warm: connections, compiled versions, the decision writer
        load.phase = "steady"
        time.sleep(steady)
        load.phase = "redis-frozen"
        redis_process.send_signal(signal.SIGSTOP)
        time.sleep(frozen)
        redis_process.send_signal(signal.SIGCONT)
        load.phase = "redis-back"
        time.sleep(steady)
        load.stop_routing()
        report.outcomes_unresolved = load.drain(30.0)
        for phase in ("steady", "redis-frozen", "redis-back"):
            seconds = sorted(load.route_seconds.get(phase, [0.0]))
            report.route_p50_ms[phase] = round(1000 * seconds[len(seconds) // 2], 2)
            report.route_p99_ms[phase] = round(1000 * seconds[int(len(seconds) * 0.99)], 2)
        report.p99_ratio = round(report.route_p99_ms["redis-frozen"] / max(report.route_p99_ms["steady"], 1e-6), 2)
        report.routes_ok = {k: v for k, v in load.routes_ok.items() if k != "warm"}
        for (phase, code), count in load.route_errors.items():
            report.route_errors.setdefault(phase, {})[code] = count
        for (phase, code), count in load.control_calls.items():
            if phase != "warm":
                report.control_calls.setdefault(phase, {})[code] = count
        report.outcome_refusals = dict(load.refusals)
        outage = Report()
        outage.outcomes_acknowledged = len(load.acknowledged)
        _verify(outage, load, redis_url)
        report.outcomes_acknowledged, report.outcomes_stored = outage.outcomes_acknowledged, outage.outcomes_stored
        report.outcomes_missing = outage.outcomes_missing
    finally:
        redis_process.send_signal(signal.SIGCONT)
        load.close()
        if replica.process.poll() is None:
            replica.stop()
        redis_process.terminate()
        redis_process.wait(30)
    return report


def _fill(report: Report, load: Load, marks: list[tuple[str, float]]) -> None:
    report.phases = {name: round(marks[i + 1][1] - at, 2) for i, (name, at) in enumerate(marks[:-1])}
    report.routes_ok = dict(load.routes_ok)
    for (phase, code), count in load.route_errors.items():
        report.route_errors.setdefault(phase, {})[code] = count
    report.outcome_refusals = dict(load.refusals)
    report.outcomes_not_found = len(load.not_found)
    report.outcomes_acknowledged = len(load.acknowledged)


def _verify(report: Report, load: Load, redis_url: str) -> None:
    """Every acknowledged outcome is in Redis with its values; experiment sums count each once."""
    client = connect(redis_url, Path("."))
    try:
        store, decisions = RedisExperimentStore(client), RedisDecisionStore(client)
        experiments: Counter[str] = Counter()
        for decision_id, (experiment_id, values) in load.acknowledged.items():
            stored = decisions.stored_outcome(decision_id, experiment_id)
            if all(stored.get(metric) == value for metric, value in values.items()):
                report.outcomes_stored += 1
            if experiment_id:
                experiments[experiment_id] += 1
        report.outcomes_missing = report.outcomes_acknowledged - report.outcomes_stored
        for experiment_id, acknowledged in experiments.items():
            experiment = store.get(experiment_id)
            report.experiment_outcomes_acknowledged += acknowledged
            report.experiment_outcomes_counted += sum(
                d.outcomes for d in store.arm_data(experiment, datetime.now(UTC)).values()
            )
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage", type=float, default=10.0, help="seconds Redis stays down")
    parser.add_argument("--steady", type=float, default=3.0, help="seconds of load between faults")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--freeze", type=float, default=0.0, help="run the freeze drill: seconds Redis is frozen")
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="orderroute-fault-") as work:
        if args.freeze:
            frozen = run_freeze_drill(Path(work), args.freeze, args.steady, args.clients)
            passed, figures = frozen.passed, asdict(frozen)
        else:
            report = run_drill(Path(work), args.outage, args.steady, args.clients)
            passed = report.outcomes_missing == 0 and "redis-down" not in report.route_errors
            figures = asdict(report)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
