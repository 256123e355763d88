"""Changes reach every replica within a second, and a replica serves only once it has the state."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
import redis
from grpc_health.v1 import health_pb2, health_pb2_grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments import Action
from service.api.settings import Settings
from service.api.wiring import App, build_app
from service.storage import keys
from service.storage.local_redis import free_port, start_redis
from tests.conftest import EXAMPLES

CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
TWO_REPEATS = pb.Order(order_id="o-2", customer=pb.Customer(customer_id="c-9", repeat_purchases=2))


def wait_for(condition: Callable[[], bool], seconds: float) -> float:
    """Seconds until `condition` held; fails after `seconds`."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.005)
    return time.monotonic() - start


@pytest.fixture
def replicas(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> Iterator[tuple[App, App]]:
    # Reconciliation every minute: only the change feed can meet the one-second bound.
    settings = Settings(redis_url=redis_url, data_dir=tmp_path, supervise_seconds=60)
    first = build_app(settings)
    second = build_app(Settings(redis_url=redis_url, data_dir=tmp_path, supervise_seconds=60, seed_examples=False))
    yield first, second
    second.close()
    first.close()


def test_activation_promotion_ramp_and_abort_reach_the_other_replica_within_a_second(replicas) -> None:
    first, second = replicas
    published = first.catalog.publish(CANDIDATE, "candidate.yaml", "ana", "")
    first.catalog.activate("fulfilment", published.record.version, "rev", "pilot")
    wait_for(lambda: second.catalog.active("fulfilment").version == 2, 1.0)

    first.catalog.activate("fulfilment", 1, "rev", "back")
    wait_for(lambda: second.catalog.active("fulfilment").version == 1, 1.0)

    experiment = first.gray.start("fulfilment", 2, "rev", "gray", share_bp=500, min_duration=timedelta(0))
    wait_for(lambda: (live := second.gray.live("fulfilment")) is not None and live.experiment.share_bp == 500, 1.0)
    first.gray.change(experiment.id, Action.RAMP, "rev", "ramp", 1000)
    wait_for(lambda: (live := second.gray.live("fulfilment")) is not None and live.experiment.share_bp == 1000, 1.0)
    first.gray.change(experiment.id, Action.ABORT, "rev", "stop")
    wait_for(lambda: second.gray.live("fulfilment") is None, 1.0)
    assert second.changes.reloads >= 5


def test_a_replica_cut_off_from_redis_catches_up_when_it_is_back(tmp_path: Path) -> None:
    port = free_port()
    durable = ("--appendonly", "yes", "--appendfsync", "always")
    process = start_redis(tmp_path / "redis", port, *durable)
    url = f"redis://127.0.0.1:{port}/0"
    first = build_app(Settings(redis_url=url, data_dir=tmp_path, supervise_seconds=60))
    second = build_app(Settings(redis_url=url, data_dir=tmp_path, supervise_seconds=60, seed_examples=False))
    try:
        published = first.catalog.publish(CANDIDATE, "candidate.yaml", "ana", "")
        process.terminate()
        process.wait(10)
        # While the replicas cannot reach Redis, the activation is made (on the same data, through
        # another port), so no replica can hear of it: only the reload on resubscription can.
        elsewhere = free_port()
        process = start_redis(tmp_path / "redis", elsewhere, *durable)
        with redis.Redis(port=elsewhere) as direct:
            direct.hset(keys.rule_set("fulfilment", "active"), "version", published.record.version)
        process.terminate()
        process.wait(10)
        process = start_redis(tmp_path / "redis", port, *durable)
        wait_for(lambda: second.catalog.active("fulfilment").version == 2, 3.0)
    finally:
        second.close()
        first.close()
        process.kill()
        process.wait(10)


def test_a_replica_reports_serving_only_after_loading_the_state(tmp_path: Path) -> None:
    redis_port, port = free_port(), free_port()
    env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    redis_process = None
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)

            def status() -> int:
                try:
                    return int(health.Check(health_pb2.HealthCheckRequest(), timeout=1).status)
                except grpc.RpcError:
                    return -1

            wait_for(lambda: status() == health_pb2.HealthCheckResponse.NOT_SERVING, 30)
            route = pb_grpc.RoutingServiceStub(channel).Route
            with pytest.raises(grpc.RpcError) as caught:
                route(pb.RouteRequest(order=TWO_REPEATS), timeout=5)
            assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
            assert "not loaded yet" in caught.value.details()

            redis_process = start_redis(tmp_path / "redis", redis_port)
            wait_for(lambda: status() == health_pb2.HealthCheckResponse.SERVING, 15)
            assert route(pb.RouteRequest(order=TWO_REPEATS), timeout=5).decision.rule_set == "fulfilment"
    finally:
        server.terminate()
        assert server.wait(30) == 0
        if redis_process is not None:
            redis_process.kill()
            redis_process.wait(10)
