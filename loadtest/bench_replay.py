"""How fast logged orders replay, and what the decision log with inputs costs in Redis.

    python -m loadtest.bench_replay [--orders 100000] [--json PATH]

Starts a real redis-server and `orderroute serve` (keeping every order's inputs), routes `--orders`
orders of the Locust generator's mix through RouteBatch, publishes the example candidate, then times
`ReplayRuleSet` over all of them (each order decided again by its version and by the candidate) and
reads the log's size with MEMORY USAGE.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import grpc
import redis
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments.simulation import customer_pool, pick_customer, synthetic_order
from loadtest._figures import emit
from loadtest.bench import Process, serve_command
from service.client.documents import order_from_document
from service.storage import keys
from service.storage.local_redis import free_port, start_redis

EXAMPLES = Path(__file__).resolve().parents[1] / "rules" / "examples"
BATCH = 500


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    figures: dict[str, float] = {}
    rng, pool = random.Random(11), customer_pool(20_000)
    orders = [order_from_document(synthetic_order(f"b-{i}", pick_customer(pool, rng), rng)) for i in range(args.orders)]
    with tempfile.TemporaryDirectory() as tmp:
        redis_port = free_port()
        redis_process = start_redis(Path(tmp) / "redis", redis_port)
        url = f"redis://127.0.0.1:{redis_port}/0"
        grpc_port = free_port()
        command = serve_command(grpc_port, url, Path(tmp) / "s", "--input-log-kept", str(args.orders))
        server = Process(command, f"127.0.0.1:{grpc_port}")
        client = redis.Redis.from_url(url)
        try:
            with grpc.insecure_channel(server.address) as channel:
                routing = pb_grpc.RoutingServiceStub(channel)
                started = time.perf_counter()
                for start in range(0, len(orders), BATCH):
                    routing.RouteBatch(pb.RouteBatchRequest(orders=orders[start : start + BATCH]), timeout=60)
                figures["route_s"] = time.perf_counter() - started
                log = keys.inputs("fulfilment", "log")
                deadline = time.monotonic() + 120
                while client.zcard(log) < args.orders and time.monotonic() < deadline:
                    time.sleep(0.1)  # the decision log writes off the Route path
                figures["logged"] = float(client.zcard(log))
                size = client.memory_usage(log, samples=0) + client.memory_usage(
                    keys.inputs("fulfilment", "records"), samples=0
                )
                figures["bytes_per_record"] = size / figures["logged"]
                source = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
                pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(
                    pb.PublishRuleSetRequest(source=source, author="bench")
                )
                request = pb.ReplayRuleSetRequest(rule_set="fulfilment", candidate_version=2, limit=args.orders)
                started = time.perf_counter()
                *_, last = pb_grpc.DecisionServiceStub(channel).ReplayRuleSet(request, timeout=600)
                figures["replay_s"] = time.perf_counter() - started
                figures["replayed"] = float(last.report.replayed)
                figures["replay_orders_per_s"] = last.report.replayed / figures["replay_s"]
                figures["changed"] = float(last.report.changed)
                figures["not_reproduced"] = float(last.report.not_reproduced)
        finally:
            server.stop()
            redis_process.terminate()
            redis_process.wait(10)
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
