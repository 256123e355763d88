"""`serve --workers N`: several server processes sharing one port (SO_REUSEPORT).

Python serves one request at a time per process (the GIL), so on a machine
with several cores more processes route more orders. The parent owns what
must exist once (the embedded Redis, the first-start seeding), then starts
the workers as fresh interpreters (never forked after gRPC initialised),
each an ordinary `serve` with `--reuse-port`, and forwards SIGTERM/SIGINT to
them. Clients spread over workers per connection: use several channels
(with `grpc.use_local_subchannel_pool`) or a load balancer.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import subprocess
import sys
import threading
from types import FrameType

from service.api.settings import Settings
from service.api.wiring import connect_redis
from service.app import RuleSetCatalog, utc_now
from service.storage.connection import ping, reachable_url
from service.storage.redis_rulesets import RedisRuleSetStore

log = logging.getLogger(__name__)


def worker_command(settings: Settings, redis_url: str, index: int) -> list[str]:
    """The `serve` command line of worker `index`: these settings, on the parent's Redis, sharing the port."""
    worker = dataclasses.replace(
        settings,
        redis_url=redis_url,
        reuse_port=True,
        seed_examples=False,
        metrics_port=settings.metrics_port + index if settings.metrics_port else settings.metrics_port,
    )
    return [sys.executable, "-m", "service.cli", "serve", *worker.to_args()]


def serve_workers(settings: Settings, workers: int) -> int:
    """Runs `workers` server processes on settings.port until a signal; returns the worst exit code."""
    if settings.port == 0:
        raise ValueError("--workers needs a fixed --port")
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    client = connect_redis(settings)
    ping(client)
    if settings.seed_examples:
        RuleSetCatalog(RedisRuleSetStore(client), utc_now).seed_examples()
    redis_url = reachable_url(settings.redis_url, client)
    env = {**os.environ, **settings.secret_env()}
    children = [subprocess.Popen(worker_command(settings, redis_url, i), env=env) for i in range(workers)]
    print(f"orderroute serving on {settings.host}:{settings.port} with {workers} worker processes", flush=True)
    while not stop.wait(0.5):
        if any(child.poll() is not None for child in children):
            log.error("a worker exited; stopping the others")
            break
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    codes = [child.wait(settings.grace_seconds + 10) for child in children]
    client.close()
    return max(codes, default=0)
