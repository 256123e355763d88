"""Shared fixtures: a real redis-server, a real gRPC server on a loopback port.

Redis: TEST_REDIS_URL when set (.ci/run starts one), otherwise a redis-server
started here on a free loopback port (service.local_redis). Never a fake.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import redis
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.server import create_server, set_serving
from service.api.settings import Settings
from service.api.wiring import App, build_app
from service.storage.local_redis import free_port, start_redis

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "rules" / "examples"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    port = free_port()
    process = start_redis(tmp_path_factory.mktemp("redis"), port)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def app(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> Iterator[App]:
    # A point of a running experiment's results every second, so a test's charts have points.
    settings = Settings(redis_url=redis_url, data_dir=tmp_path, results_cadence_seconds=1.0)
    built = build_app(settings)
    yield built
    built.close()


@pytest.fixture
def channel(app: App, redis_url: str, tmp_path: Path) -> Iterator[grpc.Channel]:
    settings = Settings(redis_url=redis_url, data_dir=tmp_path, port=0, threads=4, grace_seconds=1)
    server, port, health = create_server(settings, app)
    server.start()
    set_serving(health, True)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
        yield chan
    server.stop(0).wait()


@pytest.fixture
def target(app: App, redis_url: str, tmp_path: Path) -> Iterator[str]:
    """The address of a started server on the app, for clients that dial it themselves (CLI, Node)."""
    settings = Settings(redis_url=redis_url, data_dir=tmp_path, port=0, threads=4, grace_seconds=1)
    server, port, health = create_server(settings, app)
    server.start()
    set_serving(health, True)
    yield f"127.0.0.1:{port}"
    server.stop(0).wait()


@pytest.fixture
def routing(channel: grpc.Channel) -> pb_grpc.RoutingServiceStub:
    return pb_grpc.RoutingServiceStub(channel)


@pytest.fixture
def rulesets(channel: grpc.Channel) -> pb_grpc.RuleSetServiceStub:
    return pb_grpc.RuleSetServiceStub(channel)
