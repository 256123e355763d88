"""The life cycle of one `orderroute serve` process: SIGTERM drains in-flight calls and flushes
buffered decision records before exiting; a caller's deadline is honoured."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import grpc
import pytest
import redis
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.experiment_store import decision_key
from service.server import App
from service.servicers import Edge, RoutingServicer
from tests.servers import Replica


def test_sigterm_drains_in_flight_calls_and_flushes_decision_records(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    replica = Replica(redis_url, tmp_path)
    routing = pb_grpc.RoutingServiceStub(replica.channel)
    orders = [pb.Order(order_id=f"o-{i}", customer=pb.Customer(customer_id=f"c-{i}")) for i in range(1_000)]
    in_flight = [routing.RouteBatch.future(pb.RouteBatchRequest(orders=orders), timeout=30) for _ in range(4)]
    time.sleep(0.05)  # the calls have reached the server
    replica.process.send_signal(signal.SIGTERM)

    replies = [call.result() for call in in_flight]  # drained, not cut off
    assert replica.process.wait(30) == 0
    decision_ids = [r.decision.decision_id for reply in replies for r in reply.results]
    assert len(decision_ids) == 4_000
    stored = redis_client.mget([decision_key(i) for i in decision_ids])
    assert all(value is not None for value in stored), "every decision answered was written before exit"

    # Once stopped, new calls are refused rather than left hanging.
    try:
        routing.Route(pb.RouteRequest(order=orders[0]), timeout=2)
        raise AssertionError("the stopped server answered")
    except grpc.RpcError as error:
        assert error.code() is grpc.StatusCode.UNAVAILABLE
    replica.channel.close()


class ExpiredContext:
    """The part of grpc.ServicerContext `handled` reads, for a call whose deadline already passed."""

    def __init__(self) -> None:
        self.aborted: tuple[grpc.StatusCode, str] | None = None

    def time_remaining(self) -> float:
        return -0.5

    def set_trailing_metadata(self, _metadata: object) -> None:
        pass

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.aborted = (code, details)
        raise RuntimeError("aborted")


def test_a_call_whose_deadline_passed_while_queued_is_not_worked_on(app: App) -> None:
    servicer = RoutingServicer(app.router, Edge(app.telemetry))
    context = ExpiredContext()
    written = app.decisions.written + app.decisions.depth
    with pytest.raises(RuntimeError, match="aborted"):
        servicer.Route(pb.RouteRequest(order=pb.Order(order_id="o-1")), context)
    assert context.aborted == (grpc.StatusCode.DEADLINE_EXCEEDED, "the deadline passed before Route began")
    assert app.decisions.written + app.decisions.depth == written, "no decision was made"
