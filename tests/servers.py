"""A real `orderroute serve` process on its embedded Redis, and the CLI, as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from loadtest.bench import serve_command
from service.storage.local_redis import free_port


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, timeout=60, check=False
    )


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.port, self.console_port = free_port(), free_port()
        self.address = f"127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        command = [
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(data_dir),
            "--console-port",
            str(self.console_port),
        ]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *command],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._wait_serving()

    def _wait_serving(self) -> None:
        deadline = time.monotonic() + 60
        with grpc.insecure_channel(self.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                assert self.process.poll() is None, self.process.stdout.read() if self.process.stdout else ""
                try:
                    if health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                        return
                except grpc.RpcError:
                    time.sleep(0.1)
        raise TimeoutError("server did not become SERVING")

    def route(self, order: pb.Order) -> pb.Decision:
        with grpc.insecure_channel(self.address) as channel:
            return pb_grpc.RoutingServiceStub(channel).Route(pb.RouteRequest(order=order), timeout=10).decision

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(30)
        if self.process.stdout:
            self.process.stdout.close()
        return code


class Replica:
    """`orderroute serve` on a shared Redis, as one of several replicas; `extra` adds serve flags."""

    def __init__(self, redis_url: str, data_dir: Path, *extra: str) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        command = serve_command(self.port, redis_url, data_dir, *extra)
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        )
        self.channel = grpc.insecure_channel(self.address)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status = health_pb2_grpc.HealthStub(self.channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
                if status.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                time.sleep(0.1)
        raise TimeoutError("replica did not start")

    def arms(self, customers: list[str], n: int) -> dict[str, tuple[int, str]]:
        routing = pb_grpc.RoutingServiceStub(self.channel)
        out = {}
        for i in range(0, len(customers), 1000):
            chunk = customers[i : i + 1000]
            orders = [pb.Order(order_id=f"{c}-{n}", customer=pb.Customer(customer_id=c)) for c in chunk]
            reply = routing.RouteBatch(pb.RouteBatchRequest(orders=orders))
            out.update(
                {c: (r.decision.arm, r.decision.experiment_id) for c, r in zip(chunk, reply.results, strict=True)}
            )
        return out

    def stop(self) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(30)


def redis_servers_in(data_dir: Path) -> list[int]:
    """Pids of the live redis-server processes working in data_dir (found in /proc, however they were started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            working_in = Path(os.readlink(entry / "cwd")) == data_dir.resolve()
            is_redis = (entry / "comm").read_text().strip() == "redis-server"
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if working_in and is_redis and state != "Z":
            found.append(int(entry.name))
    return found


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.05)
