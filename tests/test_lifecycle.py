"""The life cycle of one `orderroute serve` process: SIGTERM drains in-flight calls and flushes
buffered decision records before exiting; a caller's deadline is honoured (gRPC drops a call whose
deadline passed while it queued, before the handler runs)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import grpc
import pytest
import redis
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from loadtest.bench import requests
from service.config import Settings
from service.experiment_store import decision_key
from service.server import App, create_server
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


def test_a_call_whose_deadline_passed_while_queued_is_not_worked_on(app: App, redis_url: str) -> None:
    # One server thread, busy with two batches of 1,000 realistic orders (~100 ms each here): a Route
    # with a 50 ms deadline sent 30 ms later waits behind them until its caller has given up.
    server, port, _ = create_server(Settings(redis_url=redis_url, port=0, threads=1), app)
    server.start()
    orders = [request.order for request in requests(1_000)[0]]
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            routing = pb_grpc.RoutingServiceStub(channel)
            routing.Route(pb.RouteRequest(order=orders[0]))
            app.decisions.flush()  # waits for a write in flight too, so `written` counts every record
            made = app.decisions.written
            busy = [routing.RouteBatch.future(pb.RouteBatchRequest(orders=orders)) for _ in range(2)]
            time.sleep(0.03)
            with pytest.raises(grpc.RpcError) as caught:
                routing.Route(pb.RouteRequest(order=orders[1]), timeout=0.05)
            assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
            assert [len(call.result().results) for call in busy] == [1_000, 1_000]
            app.decisions.flush()
            assert app.decisions.written - made == 2_000, "the expired call made no decision"
    finally:
        server.stop(0).wait()
