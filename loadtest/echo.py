"""A trivial gRPC server speaking the service's own contract: the baseline of every benchmark.

It deserialises the real request and answers a prebuilt response of the same
size as the service's (a real decision), doing nothing else: what is left is
the cost of gRPC and Python themselves. Same server arrangement as the
service (synchronous, the same number of worker threads).

    python -m loadtest.echo --port 50061 [--threads 2] [--workers N]

With --workers N it runs N processes on the port (SO_REUSEPORT), like
`orderroute serve --workers N`, so each side can be measured in its fastest
arrangement. With --burn-us it spends that much Python time per Route call:
the harness uses it to show what a handler of a given cost can reach.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2_grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc


def sample_decision() -> pb.Decision:
    """A decision as large as a real one (fields filled as the service fills them)."""
    decision = pb.Decision(
        decision_id="5b364de9e62e-1f4a2",
        path="EXPRESS",
        risk_review=pb.REVIEW_SKIP,
        credit_review=pb.REVIEW_SKIP,
        warehouse="NEAREST_WITH_STOCK",
        warehouse_node="FWD-PD",
        carrier="SF_EXPRESS",
        priority_pickup=True,
        avoid_warehouse_types=[pb.WAREHOUSE_TYPE_STORE],
        rule_set="fulfilment",
        version=2,
        content_hash="sha256:c75ad916e3561f0b6d3f1d27f2c6a2a0b5d5f6b8b1c4f7d2a9e8b7c6d5e4f3a2",
        matched_rules=["hazmat-no-store", "repeat-customer-express", "plus-forward-warehouse"],
        missing_facts=["customer.ltv_minor"],
        evaluation_micros=31,
        arm=pb.ARM_CANDIDATE,
        experiment_id="exp-1",
        decided_by={
            "path": "repeat-customer-express",
            "risk_review": "plus-forward-warehouse",
            "credit_review": "repeat-customer-express",
            "warehouse": "plus-forward-warehouse",
            "carrier": "repeat-customer-express",
            "priority_pickup": "repeat-customer-express",
            "avoid_warehouse_types": "hazmat-no-store",
        },
    )
    decision.evaluated_at.FromNanoseconds(1_764_000_000_000_000_000)
    return decision


class Echo(pb_grpc.RoutingServiceServicer):
    def __init__(self, burn_us: float = 0.0) -> None:
        self._route = pb.RouteResponse(decision=sample_decision())
        self._batches: dict[int, pb.RouteBatchResponse] = {}
        self._burn = burn_us / 1e6

    def Route(self, request: pb.RouteRequest, context: grpc.ServicerContext) -> pb.RouteResponse:
        if self._burn:  # a calibrated amount of Python work per call, holding the GIL like real work
            end = time.perf_counter() + self._burn
            while time.perf_counter() < end:
                pass
        return self._route

    def RouteBatch(self, request: pb.RouteBatchRequest, context: grpc.ServicerContext) -> pb.RouteBatchResponse:
        size = len(request.orders)
        reply = self._batches.get(size)
        if reply is None:
            reply = pb.RouteBatchResponse(results=[pb.RouteResult(decision=self._route.decision)] * size)
            self._batches[size] = reply
        return reply


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--burn-us", type=float, default=0.0, help="Python work per Route call, in µs")
    args = parser.parse_args(argv)
    command = [sys.executable, "-m", "loadtest.echo", "--port", str(args.port), "--threads", str(args.threads)]
    command += ["--burn-us", str(args.burn_us)]
    children = [subprocess.Popen(command) for _ in range(args.workers - 1)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=args.threads), options=[("grpc.so_reuseport", 1)])
    pb_grpc.add_RoutingServiceServicer_to_server(Echo(args.burn_us), server)
    health_servicer = health.HealthServicer()  # SERVING: what the harness waits for, as with the service
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    server.add_insecure_port(f"127.0.0.1:{args.port}")
    server.start()
    print(f"echo serving on 127.0.0.1:{args.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for child in children:
        child.terminate()
    server.stop(0)
    for child in children:
        child.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
