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

import logging
import signal
import subprocess
import sys
import threading
from types import FrameType

from service.catalog import RuleSetCatalog
from service.config import Settings
from service.redis_conn import connect
from service.server import utc_now
from service.storage import RedisRuleSetStore, translated_errors

log = logging.getLogger(__name__)


def serve_workers(settings: Settings, workers: int) -> int:
    """Runs `workers` server processes on settings.port until a signal; returns the worst exit code."""
    if settings.port == 0:
        raise ValueError("--workers needs a fixed --port")
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    client = connect(settings.redis_url, settings.data_dir, settings.redis_cluster, settings.redis_timeout)
    with translated_errors():
        client.ping()
    redis_url = settings.redis_url or f"unix://{getattr(client, 'socket_file', '')}"
    if settings.seed_examples:
        RuleSetCatalog(RedisRuleSetStore(client), utc_now).seed_examples()
    command = [
        sys.executable,
        "-m",
        "service.cli",
        "serve",
        "--reuse-port",
        "--no-seed",
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--redis-url",
        redis_url,
        "--threads",
        str(settings.threads),
        "--grace",
        str(settings.grace_seconds),
        "--default-rule-set",
        settings.default_rule_set,
    ]
    for flag, value in (
        ("--auth-file", settings.auth_file),
        ("--tls-cert", settings.tls_cert),
        ("--tls-key", settings.tls_key),
        ("--tls-client-ca", settings.tls_client_ca),
    ):
        command += [flag, str(value)] if value is not None else []
    command += ["--insecure"] if settings.insecure else []
    command += ["--redis-cluster"] if settings.redis_cluster else []
    children = []
    for index in range(workers):
        extra = ["--metrics-port", str(settings.metrics_port + index)] if settings.metrics_port else []
        children.append(subprocess.Popen([*command, *extra]))
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
