"""Work classes and the gate: unauthenticated streams cannot hold anyone's slots, a class at its
limit answers RESOURCE_EXHAUSTED without slowing the others, and while Redis is frozen the
outcome and control calls that need it never starve Route."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.admission import CONTROL_SLOTS
from service.api.settings import Settings
from service.api.wiring import App, build_app
from service.client.channel import ClientOptions, open_channel
from service.storage.local_redis import free_port, start_redis
from tests.service.api.test_auth import ADMIN, ORDER, ROUTER, TOKENS, serve

ROUTE = "/orderroute.v1.RoutingService/Route"
VALIDATE = "/orderroute.v1.RuleSetService/ValidateRuleSet"


def silent_streams(target: str, method: str, count: int, token: str | None, release: threading.Event) -> list:
    """`count` calls that open a stream and never send their request (a slow or hostile client)."""

    def nothing() -> Iterator[bytes]:
        release.wait(30)
        return
        yield b""

    channels = [
        grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) for _ in range(count // 100 + 1)
    ]
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    return [
        channels[i % len(channels)].stream_unary(method).future(nothing(), metadata=metadata, timeout=30)
        for i in range(count)
    ]


def test_unauthenticated_streams_cannot_lock_anyone_out(app: App, redis_url: str) -> None:
    server, target = serve(app, Settings(redis_url=redis_url, tokens=TOKENS))
    release = threading.Event()
    try:
        streams = silent_streams(target, ROUTE, 520, None, release)
        with open_channel(target, ClientOptions(token=ROUTER)) as channel:
            routing = pb_grpc.RoutingServiceStub(channel)
            for _ in range(20):
                assert routing.Route(pb.RouteRequest(order=ORDER), timeout=5).decision.rule_set == "fulfilment"
        codes = {stream.exception(timeout=10).code() for stream in streams}
        assert codes == {grpc.StatusCode.UNAUTHENTICATED}, "each was answered without waiting for its request"
    finally:
        release.set()
        server.stop(0).wait()


def test_a_class_at_its_limit_answers_at_once_and_the_others_flow(app: App, redis_url: str) -> None:
    server, target = serve(app, Settings(redis_url=redis_url, tokens=TOKENS))
    release = threading.Event()
    try:
        held = silent_streams(target, VALIDATE, CONTROL_SLOTS + 10, ADMIN, release)
        time.sleep(0.5)  # every stream reached the server
        refused = [s for s in held if s.done() and s.exception() is not None]
        assert len(refused) >= 10 and all(s.exception().code() is grpc.StatusCode.RESOURCE_EXHAUSTED for s in refused)
        with open_channel(target, ClientOptions(token=ADMIN)) as channel:
            decision = pb_grpc.RoutingServiceStub(channel).Route(pb.RouteRequest(order=ORDER), timeout=5).decision
            outcome = pb.Outcome(decision_id=decision.decision_id, on_time=True)
            pb_grpc.OutcomeServiceStub(channel).RecordOutcome(pb.RecordOutcomeRequest(outcome=outcome), timeout=5)
            with pytest.raises(grpc.RpcError) as busy:
                pb_grpc.RuleSetServiceStub(channel).ListRuleSets(pb.ListRuleSetsRequest(), timeout=5)
            assert busy.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED and "control calls" in busy.value.details()
    finally:
        release.set()
        server.stop(0).wait()


@pytest.fixture
def frozen_redis_app(tmp_path: Path) -> Iterator[tuple[App, object]]:
    port = free_port()
    redis_process = start_redis(tmp_path / "redis", port)
    app = build_app(Settings(redis_url=f"redis://127.0.0.1:{port}/0", data_dir=tmp_path, redis_timeout=1.0))
    try:
        yield app, redis_process
    finally:
        redis_process.send_signal(18)  # SIGCONT, so it can be stopped
        app.close()
        redis_process.kill()
        redis_process.wait(10)


def test_while_redis_is_frozen_outcome_and_control_callers_do_not_starve_route(frozen_redis_app) -> None:
    app, redis_process = frozen_redis_app
    server, target = serve(app, Settings(redis_timeout=1.0))
    stop = threading.Event()
    try:
        with grpc.insecure_channel(target) as channel:
            routing = pb_grpc.RoutingServiceStub(channel)

            def route_latencies(count: int) -> list[float]:
                latencies = []
                for _ in range(count):
                    started = time.perf_counter()
                    routing.Route(pb.RouteRequest(order=ORDER), timeout=10)
                    latencies.append(time.perf_counter() - started)
                return latencies

            before = statistics.median(route_latencies(200))
            decision_id = routing.Route(pb.RouteRequest(order=ORDER)).decision.decision_id
            redis_process.send_signal(19)  # SIGSTOP: Redis keeps its connections and answers nothing

            def hammer(call: object) -> None:
                while not stop.is_set():
                    try:
                        call()
                    except grpc.RpcError as error:
                        assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)

            outcomes = pb_grpc.OutcomeServiceStub(channel)
            rulesets = pb_grpc.RuleSetServiceStub(channel)
            record = pb.RecordOutcomeRequest(outcome=pb.Outcome(decision_id=decision_id, on_time=True))
            calls = [lambda: outcomes.RecordOutcome(record, timeout=10)] * 6
            calls += [lambda: rulesets.ListRuleSets(pb.ListRuleSetsRequest(), timeout=10)] * 2
            with ThreadPoolExecutor(len(calls)) as pool:
                for call in calls:
                    pool.submit(hammer, call)
                time.sleep(0.5)
                during = statistics.median(route_latencies(200))  # every one answered: none may fail
                stop.set()
        assert during < 10 * before + 0.005, (before, during)  # starved, it was ~4 s against ~5 ms
    finally:
        stop.set()
        server.stop(0).wait()
