"""The benchmark harness: the service against an echo baseline, in one run.

    python -m loadtest.bench [--quick] [--json PATH]     (also: orderroute bench)

It starts a real redis-server, the real service (`orderroute serve`, with an
experiment running on 10% of traffic) and the echo server (loadtest/echo.py),
and drives both with the same client: RouteBatch of 100 orders at 4 in
flight, then Route at 1, 16 and 64 calls in flight. For each of the two
workloads each side runs in its fastest arrangement (one process or two
workers on the port, on 1 to 16 client connections), chosen by measuring
that workload (Route at 16 in flight for the Route figures). Rounds
alternate between the two so machine noise hits both alike. Reported: calls/s, orders/s, p50/p99 latency, server CPU per
order (from /proc, worker processes included), and the ratios service/echo;
then the cost of telemetry (the service with its metrics endpoint on against
the same service with it off, in short alternating pairs) and of the web
console beside it (on against off, likewise), the engine alone
(µs per order through durable_rules beside the reference interpreter and
zen-engine), memory growth over many evaluations, and (full runs) the share
of the echo's rate an echo reaches when it spends 50 / 100 / 150 µs of
Python per call: the ceiling for a handler of that cost.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments.simulation import customer_pool, pick_customer, synthetic_order
from loadtest._figures import emit
from rules.memo import MEMO_SIZE
from service.client.documents import order_from_document
from service.storage.local_redis import free_port, start_redis

ROOT = Path(__file__).resolve().parents[1]
CANDIDATE = ROOT / "rules" / "examples" / "fulfilment-candidate.yaml"
SERVING = health_pb2.HealthCheckResponse.SERVING


@dataclass
class Run:
    calls: int
    orders: int
    seconds: float
    latencies_ms: list[float]
    cpu_seconds: float

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.seconds

    @property
    def orders_per_s(self) -> float:
        return self.orders / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and all its descendants (worker processes included)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:  # exited meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        pending.extend(int(child) for child in children)
    return total


class Process:
    """A server (one process, or a parent with worker processes), started and waited for until its
    health check says SERVING on fresh connections (so on every worker, whichever answers)."""

    def __init__(self, command: list[str], address: str, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.address = address
        self.workers = workers
        self.connections = 1
        """How many client connections drive it (set by `fastest`)."""
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        serving_in_a_row = 0
        while serving_in_a_row < 4 * workers:
            with grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
                try:
                    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
                    serving_in_a_row = serving_in_a_row + 1 if reply.status == SERVING else 0
                except grpc.RpcError:
                    serving_in_a_row = 0
            if serving_in_a_row == 0:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{command[:4]} did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def drive(
    server: Process, requests: list[Any], method: str, in_flight: int, seconds: float, orders_per_call: int
) -> Run:
    """Keeps `in_flight` calls outstanding for `seconds`; latency from send to completion callback.

    Calls go round-robin over `server.connections` channels, each with its own
    connection: a server with worker processes sharing the port gets load on
    each only that way (the kernel gives each connection to one worker), and
    more connections than calls in flight spread the load more evenly.
    """
    options = [("grpc.use_local_subchannel_pool", 1)]
    channels = [grpc.insecure_channel(server.address, options=options) for _ in range(server.connections)]
    try:
        stubs = [getattr(pb_grpc.RoutingServiceStub(channel), method) for channel in channels]
        for index, request in enumerate(requests[:40]):  # warm up every connection
            stubs[index % len(stubs)](request)
        slots = threading.Semaphore(in_flight)
        latencies: list[float] = []
        errors: list[BaseException] = []

        def finished(started: float) -> Callable[[grpc.Future[Any]], None]:
            def done(future: grpc.Future[Any]) -> None:
                latencies.append((time.perf_counter() - started) * 1000)
                if future.exception() is not None:
                    errors.append(future.exception())  # type: ignore[arg-type]
                slots.release()

            return done

        cpu_before = cpu_seconds(server.process.pid)
        started_at = time.perf_counter()
        deadline = started_at + seconds
        sent = 0
        while time.perf_counter() < deadline:
            slots.acquire()
            started = time.perf_counter()
            stubs[sent % len(stubs)].future(requests[sent % len(requests)]).add_done_callback(finished(started))
            sent += 1
        for _ in range(in_flight):
            slots.acquire()
        elapsed = time.perf_counter() - started_at
        cpu = cpu_seconds(server.process.pid) - cpu_before
    finally:
        for channel in channels:
            channel.close()
    if errors:
        raise RuntimeError(f"{len(errors)} calls failed: {errors[0]}")
    return Run(sent, sent * orders_per_call, elapsed, latencies, cpu)


def merge(runs: list[Run]) -> Run:
    return Run(
        sum(r.calls for r in runs),
        sum(r.orders for r in runs),
        sum(r.seconds for r in runs),
        [x for r in runs for x in r.latencies_ms],
        sum(r.cpu_seconds for r in runs),
    )


def requests(count: int, seed: int = 7) -> tuple[list[pb.RouteRequest], list[pb.RouteBatchRequest]]:
    rng = random.Random(seed)
    pool = customer_pool(count, "bench")
    orders = [order_from_document(synthetic_order(f"bench-{i}", pick_customer(pool, rng), rng)) for i in range(count)]
    singles = [pb.RouteRequest(order=o) for o in orders]
    batches = [pb.RouteBatchRequest(orders=orders[i : i + 100]) for i in range(0, count - 99, 100)]
    return singles, batches


ADVERSARIAL_MEMO = 1_000
"""The memo of the service under the adversarial stream: fewer entries than the stream has cases, so a
stream that cycles through them never finds one still there."""


def adversarial_requests(count: int, seed: int = 11) -> tuple[list[pb.RouteRequest], list[pb.RouteBatchRequest]]:
    """`count` orders that are each a case of their own for the example rule set (distinct canonical keys):
    every fact its rules compare set at random on either side of, or on, the constants they name."""
    from rules.canonical import CanonicalPlan
    from service.api.orders import order_to_facts

    key = CanonicalPlan.of(example_rule_set()).key_function()
    rng, pool = random.Random(seed), customer_pool(count, "adversarial")
    seen: set[object] = set()
    orders: list[pb.Order] = []
    while len(orders) < count:
        doc: dict[str, Any] = synthetic_order(f"adv-{len(orders)}", pick_customer(pool, rng), rng)
        doc["order_type"] = rng.choice(("NORMAL", "PRESALE", "RETURN", "EXCHANGE"))
        doc["channel"] = rng.choice(("WEB", "APP", "LIVE_STREAM", "MARKETPLACE"))
        doc["is_cross_border"] = rng.random() < 0.5
        doc["tags"] = ["flash_sale"] if rng.random() < 0.5 else []
        doc["customer"].update(
            tier=rng.choice(("REGULAR", "PLUS", "VIP")),
            repeat_purchases=rng.choice((0, 1, 2, 3, 4, 9)),
            ltv_minor=rng.choice((0, 4_999_999, 5_000_000, 5_000_001, 7_000_000)),
        )
        doc["risk"] = {"fraud_score": rng.choice((0.05, 0.79, 0.8, 0.81, 0.99))}
        for line in doc["lines"]:
            line.update(
                category=rng.choice(("apparel", "shoes", "consumer_electronics", "books", "toys", "beauty")),
                hazmat=rng.random() < 0.5,
                inventory_type=rng.choice(("PHYSICAL", "VIRTUAL", "PRESALE")),
            )
        order = order_from_document(doc)
        case = key(order_to_facts(order, "order"))
        if case not in seen:
            seen.add(case)
            orders.append(order)
    singles = [pb.RouteRequest(order=o) for o in orders]
    batches = [pb.RouteBatchRequest(orders=orders[i : i + 100]) for i in range(0, count - 99, 100)]
    return singles, batches


def example_rule_set() -> Any:
    import rules

    return rules.check((ROOT / "rules" / "examples" / "fulfilment.yaml").read_text()).rule_set


def stream_hit_rate(singles: list[pb.RouteRequest], memo_size: int, passes: int = 2) -> float:
    """The memo's hit rate on a stream routed order by order `passes` times over, as the service's memo
    would see it (the example rule set; the code the service runs)."""
    from rules import CompiledRuleSet
    from service.api.orders import order_to_facts

    compiled = CompiledRuleSet(example_rule_set(), 1, memo_size=memo_size)
    try:
        facts = [order_to_facts(r.order, "order") for r in singles]
        for _ in range(passes):
            for f in facts:
                compiled.evaluate(f)
        return compiled.memo.stats().hit_rate
    finally:
        compiled.close()


def serve_command(port: int, redis_url: str, data_dir: Path, *extra: str) -> list[str]:
    """The command line of `orderroute serve` on a loopback port and a given Redis (no console unless
    `extra` asks for one)."""
    command = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--redis-url", redis_url]
    return [*command, "--data-dir", str(data_dir), "--console-port", "0", *extra]


def start_service(
    redis_url: str,
    data_dir: Path,
    metrics: bool,
    workers: int = 1,
    console: bool = False,
    inputs: bool = True,
    *extra: str,
    shadow_cadence_seconds: float | None = None,
) -> tuple[Process, int]:
    """`inputs`: the decision log with inputs on (the default) or off; `extra`: more `serve` flags."""
    port = free_port()
    command = serve_command(port, redis_url, data_dir, "--threads", "2", "--workers", str(workers), *extra)
    if shadow_cadence_seconds is not None:
        command += ["--shadow-cadence-seconds", str(shadow_cadence_seconds)]
    if not inputs:
        command += ["--input-log-sample", "0"]
    if metrics:
        command += ["--metrics-port", str(free_port())]
    if console:
        command += ["--console-port", str(free_port())]
    return Process(command, f"127.0.0.1:{port}", workers), port


def start_echo(workers: int, burn_us: float = 0.0) -> Process:
    port = free_port()
    command = [sys.executable, "-m", "loadtest.echo", "--port", str(port), "--threads", "2", "--workers", str(workers)]
    return Process([*command, "--burn-us", str(burn_us)], f"127.0.0.1:{port}", workers)


def handler_cost_curve(singles: list[Any], seconds: float, burns: tuple[float, ...]) -> dict[str, float]:
    """Route at 16 in flight against the echo server spending `burn` µs of Python per call, as a share
    of the plain echo: how much per-call work a Python gRPC server can afford for a given ratio."""
    rates = {}
    for burn in (0.0, *burns):
        server = start_echo(1, burn)
        try:
            rates[burn] = drive(server, singles, "Route", 16, seconds, 1).calls_per_s
        finally:
            server.stop()
    return {f"echo_burn_{burn:g}us_vs_echo": rate / rates[0.0] for burn, rate in rates.items() if burn}


ARRANGEMENTS = ((1, 1), (1, 8), (2, 8), (2, 16))
"""(server processes, client connections) tried for each side."""


def fastest(
    start: Callable[[int], Process], measure: Callable[[Process], Run], choices: tuple[tuple[int, int], ...]
) -> tuple[Process, dict[str, float]]:
    """Measures `measure` in each arrangement, then starts the server in the fastest.

    Each side gets its own best, so neither is hobbled by an arrangement that
    suits only the other. Returns the running server and orders/s per arrangement.
    """
    rates: dict[tuple[int, int], float] = {}
    for workers, connections in choices:
        server = start(workers)
        server.connections = connections
        try:
            rates[(workers, connections)] = measure(server).orders_per_s
        finally:
            server.stop()
    workers, connections = max(rates, key=lambda arrangement: rates[arrangement])
    server = start(workers)
    server.connections = connections
    return server, {f"{w}x{c}": rate for (w, c), rate in rates.items()}


def start_experiment(address: str) -> None:
    with grpc.insecure_channel(address) as channel:
        published = pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(
            pb.PublishRuleSetRequest(source=CANDIDATE.read_text(), author="bench")
        )
        pb_grpc.ExperimentServiceStub(channel).StartExperiment(
            pb.StartExperimentRequest(
                rule_set="fulfilment",
                candidate_version=published.version.version,
                traffic_bp=1000,
                actor="bench",
                reason="benchmark",
                salt="bench",
            )
        )


def compare_route(
    figures: dict[str, float], service: Process, echo: Process, singles: list[Any], seconds: float, rounds: int
) -> None:
    for in_flight in (1, 16, 64):
        mine: list[Run] = []
        theirs: list[Run] = []
        for _ in range(rounds):
            theirs.append(drive(echo, singles, "Route", in_flight, seconds, 1))
            mine.append(drive(service, singles, "Route", in_flight, seconds, 1))
        m, e = merge(mine), merge(theirs)
        figures[f"route_rps_{in_flight}"] = m.calls_per_s
        figures[f"echo_rps_{in_flight}"] = e.calls_per_s
        figures[f"route_vs_echo_{in_flight}"] = m.calls_per_s / e.calls_per_s
        figures[f"route_p50_ms_{in_flight}"] = m.percentile(0.5)
        figures[f"route_p99_ms_{in_flight}"] = m.percentile(0.99)
        figures[f"echo_p99_ms_{in_flight}"] = e.percentile(0.99)
        figures[f"route_cpu_us_per_order_{in_flight}"] = m.cpu_seconds / m.orders * 1e6
        figures[f"echo_cpu_us_per_order_{in_flight}"] = e.cpu_seconds / e.orders * 1e6


def compare_batch(
    figures: dict[str, float], service: Process, echo: Process, batches: list[Any], seconds: float, rounds: int
) -> None:
    mine, theirs = [], []
    for _ in range(rounds):
        theirs.append(drive(echo, batches, "RouteBatch", 4, seconds, 100))
        mine.append(drive(service, batches, "RouteBatch", 4, seconds, 100))
    m, e = merge(mine), merge(theirs)
    figures["batch_orders_per_s"] = m.orders_per_s
    figures["echo_batch_orders_per_s"] = e.orders_per_s
    figures["batch_vs_echo"] = m.orders_per_s / e.orders_per_s
    figures["batch_p99_ms"] = m.percentile(0.99)
    figures["echo_batch_p99_ms"] = e.percentile(0.99)
    figures["batch_cpu_us_per_order"] = m.cpu_seconds / m.orders * 1e6
    figures["echo_batch_cpu_us_per_order"] = e.cpu_seconds / e.orders * 1e6


@contextmanager
def arranged(
    figures: dict[str, float],
    workload: str,
    start_mine: Callable[[int], Process],
    measure: Callable[[Process], Run],
    choices: tuple[tuple[int, int], ...],
) -> Iterator[tuple[Process, Process]]:
    """(service, echo), each running in its fastest arrangement for `measure`; the figures say which
    arrangement (workers, connections) each side got and what each arrangement reached."""
    echo, echo_rates = fastest(start_echo, measure, choices)
    try:
        service, service_rates = fastest(start_mine, measure, choices)
    except BaseException:
        echo.stop()
        raise
    figures.update({f"echo_{workload}_arrangement_{k}": v for k, v in echo_rates.items()})
    figures.update({f"service_{workload}_arrangement_{k}": v for k, v in service_rates.items()})
    figures[f"echo_{workload}_workers"], figures[f"echo_{workload}_connections"] = echo.workers, echo.connections
    figures[f"service_{workload}_workers"] = service.workers
    figures[f"service_{workload}_connections"] = service.connections
    try:
        yield service, echo
    finally:
        service.stop()
        echo.stop()


def paired_rates(
    a: Process, b: Process, requests: list[Any], seconds: float, rounds: int, method: str, in_flight: int, per_call: int
) -> tuple[float, float]:
    """Orders/s of `a` and of `b` (medians of short alternating runs, as paired_overhead)."""
    rates: dict[str, list[float]] = {"a": [], "b": []}
    for index in range(3 * rounds):
        pair = [(a, "a"), (b, "b")][:: 1 if index % 2 else -1]
        for server, label in pair:
            rates[label].append(drive(server, requests, method, in_flight, seconds / 2, per_call).orders_per_s)
    return statistics.median(rates["a"]), statistics.median(rates["b"])


def adversarial_rows(
    figures: dict[str, float],
    workload: str,
    start: Callable[..., Process],
    echo_rate: float,
    requests: list[Any],
    seconds: float,
    rounds: int,
    call: tuple[str, int, int],
) -> None:
    """The adversarial stream (every order a case of its own, the memo never hits) on the service as
    configured (its memo bounded below the stream's cases) against the same service without a memo
    (every order to the engine, as before the memo): what the memo costs when it cannot help."""
    today, adversary = start("--memo-size", "0"), start("--memo-size", str(ADVERSARIAL_MEMO))
    try:
        before, now = paired_rates(today, adversary, requests, seconds, rounds, *call)
    finally:
        today.stop()
        adversary.stop()
    figures[f"adversarial_{workload}_orders_per_s"] = now
    figures[f"adversarial_{workload}_without_memo_orders_per_s"] = before
    figures[f"adversarial_{workload}_vs_without_memo"] = now / before
    figures[f"adversarial_{workload}_vs_echo"] = now / echo_rate


def paired_overhead(
    off: Process,
    on: Process,
    requests: list[Any],
    seconds: float,
    rounds: int,
    method: str = "Route",
    in_flight: int = 16,
    per_call: int = 1,
    stop: Process | None = None,
) -> float:
    """`method` at `in_flight` on the service as `off` against the same service with one thing changed
    (metrics or the console on, the input log off), in the same arrangement: short pairs, alternating
    which goes first; the median pair ratio resists the machine's bursts of noise better than one long
    run each. The percent of `off`'s rate that `on` loses (stops `stop`, by default `on`, after)."""
    on.connections = off.connections
    try:
        ratios = []
        for index in range(3 * rounds):
            pair = [(off, "off"), (on, "on")][:: 1 if index % 2 else -1]
            rate = {
                label: drive(server, requests, method, in_flight, seconds / 2, per_call).calls_per_s
                for server, label in pair
            }
            ratios.append(rate["on"] / rate["off"])
        return (1 - statistics.median(ratios)) * 100
    finally:
        (stop or on).stop()


def memory_growth(evaluations: int, memo_full: bool = False) -> float:
    """RSS growth (%) from a warmed-up engine to after `evaluations` more, in a fresh process; with
    `memo_full`, over orders that are each a case of their own with the memo at its bound (every
    evaluation a miss that lets the oldest case go)."""
    orders = (
        "[order_to_facts(r.order) for r in adversarial_requests(5_000)[0]]"
        if memo_full
        else "[order_to_facts(order_from_document(synthetic_order(f'm{i}', f'c{i}', rng))) for i in range(100)]"
    )
    memo = ADVERSARIAL_MEMO if memo_full else MEMO_SIZE
    code = f"""
import resource, gc, yaml, rules
from pathlib import Path
from service.api.orders import order_to_facts
from service.client.documents import order_from_document
from experiments.simulation import synthetic_order
import random
chk = rules.check(Path({str(ROOT / "rules/examples/fulfilment.yaml")!r}).read_text())
from loadtest.bench import adversarial_requests
c = rules.CompiledRuleSet(chk.rule_set, 1, chk.content_hash, memo_size={memo})
rng = random.Random(3)
facts = {orders}
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize()
for start in range(0, 20_000, 100): c.evaluate_many(facts[start % len(facts):][:100])
gc.collect(); before = rss()
for i in range({evaluations} // 100):
    c.evaluate_many(facts[i * 100 % len(facts):][:100])
gc.collect(); print((rss() - before) / before * 100)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run of well under a minute")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    seconds, rounds = (0.6, 1) if args.quick else (3.0, 3)
    singles, batches = requests(1_000 if args.quick else 5_000)
    adversarial_singles, adversarial_batches = adversarial_requests(2_000 if args.quick else 5_000)
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        redis_port = free_port()
        redis_process = start_redis(Path(tmp) / "redis", redis_port)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        # The experiment lives in Redis: every service process started from here on runs it.
        first, _ = start_service(redis_url, Path(tmp) / "a", metrics=False)
        start_experiment(first.address)
        first.stop()
        # Each side in its fastest arrangement for each workload: one process, or two sharing the port.
        choices = ARRANGEMENTS[:1] if args.quick else ARRANGEMENTS

        def start_mine(workers: int) -> Process:
            return start_service(redis_url, Path(tmp) / "a", False, workers)[0]

        def alongside(service: Process, folder: str) -> Callable[..., Process]:
            """Starts the service in `service`'s arrangement with more `serve` flags."""

            def start(*flags: str) -> Process:
                started = start_service(redis_url, Path(tmp) / folder, False, service.workers, False, True, *flags)[0]
                started.connections = service.connections
                return started

            return start

        def route_16(server: Process) -> Run:
            return drive(server, singles, "Route", 16, seconds, 1)

        def batch_4(server: Process) -> Run:
            return drive(server, batches, "RouteBatch", 4, seconds, 100)

        try:
            with arranged(figures, "batch", start_mine, batch_4, choices) as (service, echo):
                compare_batch(figures, service, echo, batches, seconds, rounds)
                without_inputs = start_service(redis_url, Path(tmp) / "e", False, service.workers, inputs=False)[0]
                without_inputs.connections = service.connections
                figures["input_log_batch_overhead_pct"] = paired_overhead(
                    without_inputs, service, batches, seconds, rounds, "RouteBatch", 4, 100, stop=without_inputs
                )
                adversarial_rows(
                    figures,
                    "batch",
                    alongside(service, "f"),
                    figures["echo_batch_orders_per_s"],
                    adversarial_batches,
                    seconds,
                    rounds,
                    ("RouteBatch", 4, 100),
                )
            with arranged(figures, "route", start_mine, route_16, choices) as (service, echo):
                compare_route(figures, service, echo, singles, seconds, rounds)
                figures["telemetry_overhead_pct"] = paired_overhead(
                    service,
                    start_service(redis_url, Path(tmp) / "b", True, service.workers)[0],
                    singles,
                    seconds,
                    rounds,
                )
                without_inputs = start_service(redis_url, Path(tmp) / "d", False, service.workers, inputs=False)[0]
                without_inputs.connections = service.connections
                # The input log on (the service as run) against off: what logging every order costs.
                figures["input_log_overhead_pct"] = paired_overhead(
                    without_inputs, service, singles, seconds, rounds, stop=without_inputs
                )
                adversarial_rows(
                    figures,
                    "route_16",
                    alongside(service, "g"),
                    figures["echo_rps_16"],
                    adversarial_singles,
                    seconds,
                    rounds,
                    ("Route", 16, 1),
                )
                if service.workers == 1:  # the console runs beside a lone server only
                    figures["console_overhead_pct"] = paired_overhead(
                        service,
                        start_service(redis_url, Path(tmp) / "c", False, 1, console=True)[0],
                        singles,
                        seconds,
                        rounds,
                    )
        finally:
            redis_process.terminate()
            redis_process.wait(10)
    figures["route_rps"] = figures["route_rps_16"]
    figures["echo_rps"] = figures["echo_rps_16"]
    figures["route_vs_echo"] = min(figures["route_vs_echo_16"], figures["route_vs_echo_64"])
    figures["route_p99_ms"] = figures["route_p99_ms_16"]
    figures["echo_p99_ms"] = figures["echo_p99_ms_16"]
    from loadtest.bench_core import bench_engine

    engine = bench_engine(0.3 if args.quick else 3.0)
    figures["engine_us"] = engine["engine_batch_us"]
    figures["engine_single_us"] = engine["engine_us"]
    figures["reference_us"] = engine["reference_us"]
    if "zen_us" in engine:  # zen-engine installed
        figures["zen_us"] = engine["zen_us"]
    figures["mem_growth_pct"] = memory_growth(100_000 if args.quick else 1_000_000)
    figures["mem_growth_memo_full_pct"] = memory_growth(100_000 if args.quick else 1_000_000, memo_full=True)
    figures["memo_hit_rate_realistic"] = stream_hit_rate(requests(50_000, seed=13)[0], MEMO_SIZE, passes=1)
    figures["memo_hit_rate_adversarial"] = stream_hit_rate(adversarial_singles, ADVERSARIAL_MEMO)
    if not args.quick:
        figures.update(handler_cost_curve(singles, seconds, (50.0, 100.0, 150.0)))
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
