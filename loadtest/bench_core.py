"""Core figures, each beside a baseline measured in the same run.

    python -m loadtest.bench_core [--quick] [--json PATH]

- engine: µs per order through durable_rules, one order per engine call
  (CompiledRuleSet.evaluate) and 100 per call (evaluate_many), beside the
  reference interpreter + the same combination step, and beside zen-engine's
  batch mode on an equivalent decision table (loadtest.zen_peer), on the
  sample orders;
- where an order's time goes: protobuf -> facts, the fact document,
  durable_rules' own calls, the whole evaluation, per order in batches of 100
  on the harness's synthetic orders;
- Route: round-trip latency at 1 call in flight over loopback gRPC, against the
  real service (on a real redis-server on loopback) beside loadtest.echo,
  which answers a prebuilt decision of the same size, same server setup.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import yaml
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

import rules
from loadtest._figures import emit
from loadtest.echo import Echo
from loadtest.zen_peer import ZenPeer, check_equivalent, zen_batch_us
from loadtest.zen_peer import available as zen_available
from rules import reference
from rules.combine import combine
from service.api.order_keys import OrderReaders
from service.api.orders import order_to_facts
from service.api.server import create_server
from service.api.settings import Settings
from service.api.wiring import build_app
from service.client.documents import order_from_document
from service.storage.local_redis import free_port, start_redis

EXAMPLES = Path(__file__).resolve().parents[1] / "rules" / "examples"


def sample_orders() -> list[pb.Order]:
    return [order_from_document(yaml.safe_load(p.read_text())) for p in sorted((EXAMPLES / "orders").glob("*.yaml"))]


def per_call_us(fn: Callable[[], Any], seconds: float) -> float:
    calls, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(100):
            fn()
        calls += 100
    return elapsed / calls * 1e6


def compiled_example() -> rules.CompiledRuleSet:
    """The example rule set, as version 1 (the caller closes it)."""
    check = rules.check((EXAMPLES / "fulfilment.yaml").read_text())
    assert check.rule_set is not None
    return rules.CompiledRuleSet(check.rule_set, 1, check.content_hash)


def bench_engine(seconds: float) -> dict[str, float]:
    compiled = compiled_example()
    facts = [order_to_facts(o) for o in sample_orders()]
    rule_set = compiled.rule_set

    def engine() -> None:
        for f in facts:
            compiled.evaluate(f)

    def interpreter() -> None:
        for f in facts:
            combine(reference.matched_rules(rule_set, f), rule_set.default, f, compiled.provenance)

    batch = facts * 10  # 100 orders, as RouteBatch sends them

    def engine_batch() -> None:
        compiled.evaluate_many(batch)

    engine_us = per_call_us(engine, seconds) / len(facts)
    batch_us = per_call_us(engine_batch, seconds) / len(batch)
    reference_us = per_call_us(interpreter, seconds) / len(facts)
    figures = {
        "engine_us": engine_us,
        "engine_batch_us": batch_us,
        "reference_us": reference_us,
        "engine_vs_reference": engine_us / reference_us,
    }
    if not zen_available():
        print(
            "zen-engine is not installed (pip install zen-engine): the comparison with it is skipped", file=sys.stderr
        )
        compiled.close()
        return figures
    # The peer: the same rules as a zen-engine decision table, proven to match the same rules first.
    peer = ZenPeer()
    check_equivalent(compiled, peer, batch)
    zen_us = zen_batch_us(peer, batch, seconds)
    compiled.close()
    return {**figures, "zen_us": zen_us, "engine_batch_vs_zen": batch_us / zen_us}


def bench_breakdown(seconds: float) -> dict[str, float]:
    """Where an order's time goes in process, on the harness's synthetic orders (batches of 100):
    reading and checking it out of protobuf into its facts, reading it as Route does (one pass that
    checks and keys it, then the warehouse candidates), its fact document, durable_rules' calls (assert,
    fired rules, retract), and the whole evaluation (document + engine + decision)."""
    from loadtest.bench import requests

    compiled = compiled_example()
    orders = [request.order for request in requests(1_000)[0]]
    facts = [order_to_facts(o) for o in orders]
    batches = [facts[i : i + 100] for i in range(0, len(facts), 100)]
    documents = [compiled._documents(batch)[0] for batch in batches]

    def convert() -> None:
        for order in orders[:100]:
            order_to_facts(order)

    readers = OrderReaders()

    def read() -> None:  # as Route reads an order: checked and keyed in one pass, then the warehouses
        for order in orders[:100]:
            facts, _ = readers.read(compiled, order, "order")
            facts.get("logistics")

    def each(work: Callable[[Any], Any], items: list[Any]) -> Callable[[], None]:
        cycle = itertools.cycle(items)
        return lambda: work(next(cycle))

    figures = {
        "convert_us": per_call_us(convert, seconds) / 100,
        "read_us": per_call_us(read, seconds) / 100,
        "document_us": per_call_us(each(compiled._documents, batches), seconds) / 100,
        "durable_rules_us": per_call_us(each(compiled._match, documents), seconds) / 100,
        "evaluate_us": per_call_us(each(compiled.evaluate_many, batches), seconds) / 100,
    }
    compiled.close()
    return figures


def latencies_ms(address: str, orders: list[pb.Order], calls: int) -> list[float]:
    with grpc.insecure_channel(address) as channel:
        stub = pb_grpc.RoutingServiceStub(channel)
        for order in orders:  # warm up
            stub.Route(pb.RouteRequest(order=order))
        out = []
        for i in range(calls):
            started = time.perf_counter()
            stub.Route(pb.RouteRequest(order=orders[i % len(orders)]))
            out.append((time.perf_counter() - started) * 1000)
        return out


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50_ms": statistics.median(ordered), "p99_ms": ordered[int(len(ordered) * 0.99) - 1]}


def bench_route(calls: int) -> dict[str, float]:
    orders = sample_orders()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        redis_process = start_redis(Path(tmp) / "redis", port)
        settings = Settings(redis_url=f"redis://127.0.0.1:{port}/0", data_dir=Path(tmp), port=0, threads=2)
        app = build_app(settings)
        server, service_port, _ = create_server(settings, app)
        server.start()
        echo = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        pb_grpc.add_RoutingServiceServicer_to_server(Echo(), echo)
        echo_port = echo.add_insecure_port("127.0.0.1:0")
        echo.start()
        try:
            # Interleave rounds so machine noise hits both alike.
            route: list[float] = []
            baseline: list[float] = []
            for _ in range(4):
                baseline += latencies_ms(f"127.0.0.1:{echo_port}", orders, calls // 4)
                route += latencies_ms(f"127.0.0.1:{service_port}", orders, calls // 4)
        finally:
            server.stop(0)
            echo.stop(0)
            app.close()
            redis_process.terminate()
            redis_process.wait(10)
    r, e = summary(route), summary(baseline)
    return {
        "route_p50_ms": r["p50_ms"],
        "route_p99_ms": r["p99_ms"],
        "echo_p50_ms": e["p50_ms"],
        "echo_p99_ms": e["p99_ms"],
        "route_vs_echo_p50": r["p50_ms"] / e["p50_ms"],
        "route_vs_echo_p99": r["p99_ms"] / e["p99_ms"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    seconds = 0.3 if args.quick else 3.0
    figures = {**bench_engine(seconds), **bench_breakdown(seconds), **bench_route(200 if args.quick else 4000)}
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
