"""`orderroute serve` on its embedded Redis in a hostile environment, as real processes: killed with
SIGKILL, started twice on one data dir, on a damaged append-only file, on a data dir it cannot use,
through a Redis that cannot write or dies; and on a store where one rule set's bytes were damaged."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
import redis
from grpc_health.v1 import health_pb2, health_pb2_grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from loadtest.bench import serve_command
from service.app import RuleSetCatalog, utc_now
from service.storage import keys
from service.storage.connection import connect
from service.storage.local_redis import free_port
from service.storage.redis_rulesets import RedisRuleSetStore
from tests.conftest import EXAMPLES
from tests.servers import Server, redis_servers_in, wait_for

ORDER = pb.Order(order_id="o-1", customer=pb.Customer(customer_id="c-1"))


def serve(data: Path, *extra: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """`orderroute serve` expected to refuse to start: its exit status and output."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    command = [sys.executable, "-m", "service.cli", "serve", "--port", str(free_port()), "--data-dir", str(data)]
    return subprocess.run([*command, *extra], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def assert_refused_in_one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def health(address: str) -> int:
    with grpc.insecure_channel(address) as channel:
        return int(health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status)


def publish(address: str, comment: str) -> grpc.RpcError | None:
    """Publishes the example candidate; the error it got, or None once stored."""
    source = (EXAMPLES / "fulfilment-candidate.yaml").read_text() + f"# {comment}\n"
    with grpc.insecure_channel(address) as channel:
        try:
            pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(
                pb.PublishRuleSetRequest(source=source, author="ana", comment=comment), timeout=10
            )
        except grpc.RpcError as exc:
            return exc
    return None


def test_serve_killed_with_sigkill_takes_its_redis_along_and_frees_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Server(data)
    try:
        assert len(redis_servers_in(data)) == 1
        server.process.kill()
        server.process.wait(10)
        wait_for(lambda: redis_servers_in(data) == [], 10, "the embedded Redis gone with its serve")
    finally:
        if server.process.poll() is None:
            server.process.kill()
        server.stop()
    again = Server(data)  # the lock went with the killed process
    try:
        assert again.route(ORDER).rule_set == "fulfilment"
    finally:
        assert again.stop() == 0
    assert redis_servers_in(data) == []


def test_a_second_serve_on_the_same_data_dir_refuses_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Server(data)
    try:
        line = assert_refused_in_one_line(serve(data))
        assert str(data.resolve()) in line and f"pid {first.process.pid}" in line
        assert len(redis_servers_in(data)) == 1, "one Redis on the append-only file"
        assert first.route(ORDER).rule_set == "fulfilment", "the first one serves on"
    finally:
        assert first.stop() == 0


def test_serve_on_a_truncated_aof_refuses_and_names_the_repair(tmp_path: Path) -> None:
    data = tmp_path / "data"
    client = connect(None, data)
    client.set("a", "1")
    client.set("b", "2")
    client.close()
    last = sorted(data.rglob("*.aof"), key=lambda p: p.stat().st_mtime_ns)[-1]
    last.write_bytes(last.read_bytes()[:-4])

    line = assert_refused_in_one_line(serve(data))
    assert "append-only file" in line and "damaged" in line
    assert "`redis-check-aof --fix " in line and str(data) in line
    assert redis_servers_in(data) == []


@pytest.mark.parametrize("kind", ["not a directory", "not writable"])
def test_serve_on_a_data_dir_it_cannot_use_says_so_in_one_line(tmp_path: Path, kind: str) -> None:
    if kind == "not a directory":
        (tmp_path / "a-file").write_text("")
        data = tmp_path / "a-file" / "data"
    elif os.geteuid() != 0:
        data = tmp_path / "read-only"
        data.mkdir()
        data.chmod(0o555)
    else:
        data = Path("/sys/fs")  # root writes through permissions, but no file can be made in sysfs
    line = assert_refused_in_one_line(serve(data))
    assert line.startswith(f"error: cannot use data dir {data}: ")


def test_through_redis_refusing_writes_and_dying_health_stays_serving_and_writes_say_why(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Server(data)
    try:
        [pid] = redis_servers_in(data)
        _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, hard))  # as on a full disk: no file grows
        direct = redis.Redis(unix_socket_path=str(data / "redis.sock"))
        direct.bgsave()
        wait_for(lambda: direct.info("persistence")["rdb_last_bgsave_status"] == "err", 10, "the snapshot failing")

        refused = publish(server.address, "while the disk is full")
        assert refused is not None and refused.code() is grpc.StatusCode.UNAVAILABLE
        assert "Redis cannot write to disk (MISCONF" in str(refused.details())
        assert server.route(ORDER).rule_set == "fulfilment"
        assert health(server.address) == health_pb2.HealthCheckResponse.SERVING

        resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, hard))
        direct.bgsave()
        wait_for(lambda: direct.info("persistence")["rdb_last_bgsave_status"] == "ok", 10, "a snapshot succeeding")
        direct.close()

        os.kill(pid, signal.SIGKILL)
        assert server.route(ORDER).rule_set == "fulfilment", "routing goes on from memory"
        assert health(server.address) == health_pb2.HealthCheckResponse.SERVING
        wait_for(lambda: publish(server.address, "once Redis is back") is None, 15, "a publish stored again")
        [restarted] = redis_servers_in(data)
        assert restarted != pid
    finally:
        server.process.send_signal(signal.SIGTERM)
        output, _ = server.process.communicate(timeout=30)
    assert server.process.returncode == 0
    assert "embedded Redis exited (killed by SIGKILL); starting it again" in output


def test_serve_refuses_only_the_rule_set_whose_stored_bytes_are_damaged(redis_url: str, tmp_path: Path) -> None:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    catalog = RuleSetCatalog(RedisRuleSetStore(client), utc_now)
    catalog.seed_examples()  # fulfilment v1, active
    returns = (EXAMPLES / "fulfilment.yaml").read_text().replace("name: fulfilment", "name: returns", 1)
    catalog.activate("returns", catalog.publish(returns, "returns.yaml", "ana", "").record.version, "ana", "go")
    source_key = keys.rule_set("fulfilment", "source")
    damaged = bytearray(client.hget(source_key, "1") or b"")
    damaged[len(damaged) // 2] = 0xFF  # one byte gone bad on disk
    client.hset(source_key, "1", bytes(damaged))

    port = free_port()
    process = subprocess.Popen(
        serve_command(port, redis_url, tmp_path, "--no-seed"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    address = f"127.0.0.1:{port}"

    def serving() -> bool:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            return health(address) == health_pb2.HealthCheckResponse.SERVING
        except grpc.RpcError:
            return False

    try:
        wait_for(serving, 60, "serve SERVING")
        with grpc.insecure_channel(address) as channel:
            routing = pb_grpc.RoutingServiceStub(channel)
            assert (
                routing.Route(pb.RouteRequest(order=ORDER, rule_set="returns"), timeout=10).decision.rule_set
                == "returns"
            )
            with pytest.raises(grpc.RpcError) as refused:
                routing.Route(pb.RouteRequest(order=ORDER, rule_set="fulfilment"), timeout=10)
        assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        assert "rule set 'fulfilment' version 1 is damaged in storage" in str(refused.value.details())
    finally:
        process.terminate()
        process.wait(30)
        logged = process.stderr.read() if process.stderr else ""
        if process.stderr:
            process.stderr.close()
        client.flushdb()
        client.close()
    assert "damaged in storage" in logged and "Traceback" not in logged
