"""Locust load for orderroute: Route, RouteBatch and RecordOutcome at production mix.

    locust -f loadtest/locustfile.py --headless -u 20 -r 10 -t 60s --host 127.0.0.1:50051

Distributed: the same file with `--master` on one machine and `--worker
--master-host HOST` on the others. Orders come from a realistic generator
(experiments.simulation.synthetic_order: tiers, channels, categories,
cross-border and return shares) over a pool of repeat customers, so sticky
assignment is exercised; outcomes are reported for decisions routed earlier.
Every call is reported to Locust's statistics under its RPC name.
"""

from __future__ import annotations

import os
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import grpc
import grpc.experimental.gevent as grpc_gevent
from locust import User, between, events, task
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments.simulation import (
    OutcomeModel,
    customer_lean,
    customer_pool,
    draw_outcome,
    pick_customer,
    synthetic_order,
)
from service.client.channel import ClientOptions, open_channel
from service.client.documents import order_from_document

grpc_gevent.init_gevent()

CUSTOMERS = customer_pool(int(os.environ.get("ORDERROUTE_LOAD_CUSTOMERS", "20000")), "load")
BATCH = int(os.environ.get("ORDERROUTE_LOAD_BATCH", "100"))


class GrpcUser(User):
    """A Locust user whose calls go through a stub and are timed into Locust's stats."""

    abstract = True
    wait_time = between(0.0, 0.01)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        # ORDERROUTE_TOKEN (a router token) and ORDERROUTE_TLS_CA apply, as for the CLI.
        self._channel = open_channel(self.host or "127.0.0.1:50051", ClientOptions.from_env())
        self.routing = pb_grpc.RoutingServiceStub(self._channel)
        self.outcomes = pb_grpc.OutcomeServiceStub(self._channel)

    def call(self, name: str, fn: Callable[[], Any], size: int) -> Any:
        started = time.perf_counter()
        exception: BaseException | None = None
        reply = None
        try:
            reply = fn()
        except grpc.RpcError as error:
            exception = error
        events.request.fire(
            request_type="grpc",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=size,
            exception=exception,
            context={},
        )
        return reply

    def on_stop(self) -> None:
        self._channel.close()


class OrderManagementSystem(GrpcUser):
    """Routes orders one by one and in batches, and reports outcomes of earlier decisions."""

    def on_start(self) -> None:
        self._rng = random.Random()
        self._routed: deque[tuple[str, str, bool]] = deque(maxlen=5_000)
        self._counter = 0

    def _order(self) -> pb.Order:
        self._counter += 1
        customer = pick_customer(CUSTOMERS, self._rng)
        return order_from_document(synthetic_order(f"load-{id(self)}-{self._counter}", customer, self._rng))

    def _remember(self, decision: pb.Decision, customer: str) -> None:
        self._routed.append((decision.decision_id, customer, decision.arm == pb.ARM_CANDIDATE))

    @task(10)
    def route(self) -> None:
        order = self._order()
        reply = self.call("Route", lambda: self.routing.Route(pb.RouteRequest(order=order), timeout=10), 1)
        if reply is not None:
            self._remember(reply.decision, order.customer.customer_id)

    @task(2)
    def route_batch(self) -> None:
        orders = [self._order() for _ in range(BATCH)]
        request = pb.RouteBatchRequest(orders=orders)
        reply = self.call("RouteBatch", lambda: self.routing.RouteBatch(request, timeout=30), BATCH)
        if reply is not None:
            for order, result in zip(orders, reply.results, strict=True):
                if result.WhichOneof("result") == "decision":
                    self._remember(result.decision, order.customer.customer_id)

    @task(6)
    def record_outcome(self) -> None:
        if not self._routed:
            return
        decision_id, customer, _ = self._routed.popleft()
        values = draw_outcome(OutcomeModel(), customer_lean(customer), self._rng)
        outcome = pb.Outcome(decision_id=decision_id, **values)  # type: ignore[arg-type]
        self.call(
            "RecordOutcome",
            lambda: self.outcomes.RecordOutcome(pb.RecordOutcomeRequest(outcome=outcome), timeout=10),
            1,
        )
