"""The life cycle of one `orderroute serve` process: SIGTERM drains in-flight calls and flushes
buffered decision records before exiting; a caller's deadline is honoured (gRPC drops a call whose
deadline passed while it queued, before the handler runs)."""

from __future__ import annotations

import gc
import signal
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
import redis
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc
from prometheus_client.parser import text_string_to_metric_families

from loadtest.bench import adversarial_requests
from service.api.process import GC_THRESHOLD, settle_garbage_collection
from service.api.server import create_server
from service.api.settings import Settings
from service.api.wiring import App
from service.storage.keys import decision as decision_key
from service.storage.local_redis import free_port
from tests.servers import Replica

BATCHES = 4
"""Batches in flight, each on a connection and a thread of its own: they arrive together (a batch of
1,000 orders is ~300 KB, which one connection's flow control would let in one after another, so the
last would arrive as the first finished) and all run at once, so "being handled" counts every call
the server holds and they are still running when a scrape sees them all."""


def calls(metrics_port: int, rpc: str) -> tuple[float, float]:
    """(being handled, finished) calls of `rpc`, from one scrape."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    found = {"orderroute_rpc_in_flight": 0.0, "orderroute_rpc_duration_seconds_count": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in found and sample.labels.get("rpc") == rpc:
                found[sample.name] += sample.value
    return found["orderroute_rpc_in_flight"], found["orderroute_rpc_duration_seconds_count"]


def all_received_and_some_running(metrics_port: int, rpc: str, count: int) -> bool:
    running, finished = calls(metrics_port, rpc)
    return running + finished == count and running > 0


def wait_until(condition: Any, seconds: float, what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what() if callable(what) else what}"
        time.sleep(0.01)


def test_sigterm_drains_in_flight_calls_and_flushes_decision_records(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    metrics_port = free_port()
    # Every order a case of its own and no memo: each goes to the engine, so a batch takes a while (with the
    # memo, four batches could all finish within one scrape of the metrics, which waits for the GIL).
    extra = ("--metrics-port", str(metrics_port), "--threads", str(BATCHES), "--memo-size", "0")
    replica = Replica(redis_url, tmp_path, *extra)
    routing = pb_grpc.RoutingServiceStub(replica.channel)
    orders = [request.order for request in adversarial_requests(1_000)[0]]
    options = [("grpc.use_local_subchannel_pool", 1)]  # a connection of its own
    channels = [grpc.insecure_channel(replica.address, options=options) for _ in range(BATCHES)]
    try:
        in_flight = [
            pb_grpc.RoutingServiceStub(channel).RouteBatch.future(pb.RouteBatchRequest(orders=orders), timeout=60)
            for channel in channels
        ]
        wait_until(
            lambda: all_received_and_some_running(metrics_port, "RouteBatch", BATCHES),
            30,
            lambda: f"batches in flight (being handled, finished): {calls(metrics_port, 'RouteBatch')}",
        )
        replica.process.send_signal(signal.SIGTERM)
        replies = [call.result() for call in in_flight]  # drained, not cut off
        assert replica.process.wait(30) == 0
    finally:
        for channel in channels:
            channel.close()
        if replica.process.poll() is None:
            replica.process.kill()
            replica.process.wait(10)
    decision_ids = [r.decision.decision_id for reply in replies for r in reply.results]
    assert len(decision_ids) == BATCHES * len(orders)
    stored = redis_client.mget([decision_key(i) for i in decision_ids])
    assert all(value is not None for value in stored), "every decision answered was written before exit"

    # Once stopped, new calls are refused rather than left hanging.
    with pytest.raises(grpc.RpcError) as refused:
        routing.Route(pb.RouteRequest(order=orders[0]), timeout=2)
    assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
    replica.channel.close()


class GatedRouter:
    """The app's router, except that the first call it gets waits until the test opens the gate."""

    def __init__(self, router: Any) -> None:
        self._router = router
        self.entered = threading.Event()
        self.gate = threading.Event()

    def target(self, rule_set: str) -> Any:
        if not self.entered.is_set():
            self.entered.set()
            assert self.gate.wait(30), "the test never opened the gate"
        return self._router.target(rule_set)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._router, name)


def test_a_call_whose_deadline_passed_while_queued_is_not_worked_on(app: App, redis_url: str) -> None:
    gated = GatedRouter(app.router)
    app.router = gated  # type: ignore[assignment]
    server, port, _ = create_server(Settings(redis_url=redis_url, port=0, threads=1), app)
    server.start()
    order = pb.Order(order_id="o-1", customer=pb.Customer(customer_id="c-1"))
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            routing = pb_grpc.RoutingServiceStub(channel)
            busy = routing.Route.future(pb.RouteRequest(order=order))  # holds the only server thread
            assert gated.entered.wait(10)
            with pytest.raises(grpc.RpcError) as caught:
                routing.Route(pb.RouteRequest(order=order), timeout=0.2)  # queued behind it until it expires
            assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
            # The server cancels the queued call by its own deadline timer, which gRPC does not let us
            # observe; a second past the caller's deadline is far beyond it (waiting longer only helps).
            time.sleep(1.0)
            gated.gate.set()
            assert busy.result(timeout=10).decision.decision_id
            assert routing.Route(pb.RouteRequest(order=order), timeout=10).decision.decision_id
            app.decisions.flush()  # waits for a write in flight too, so `written` counts every record
            assert app.decisions.written == 2, "the expired call made no decision"
    finally:
        gated.gate.set()
        server.stop(0).wait()


def test_once_loaded_a_server_collects_young_garbage_rarely_and_leaves_what_it_loaded_alone() -> None:
    before = gc.get_threshold()
    try:
        settle_garbage_collection()
        assert gc.get_threshold() == GC_THRESHOLD and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
