"""One `orderroute serve` process from start to stop: bind, load, serve, and on SIGTERM or SIGINT
turn NOT_SERVING, drain in-flight calls for the grace period, flush, close."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from types import FrameType

from service.api.server import Security, create_server, set_serving
from service.api.settings import Settings
from service.api.wiring import build_app

log = logging.getLogger(__name__)


GC_THRESHOLD = (50_000, 10, 10)
"""Objects allocated before a young collection (CPython's default is 700): a routed order allocates
dozens (its facts, record, log entry), so the default collected every few orders."""


def settle_garbage_collection() -> None:
    """Once loaded: what exists now (modules, compiled versions) is moved out of the collector's sight
    for good, and young collections run every GC_THRESHOLD[0] allocations instead of every 700."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def serve(settings: Settings, ready: threading.Event | None = None) -> None:
    """Runs until SIGTERM or SIGINT, then drains in-flight calls for the grace period."""
    security = Security.of(settings)  # refuse bad security settings before starting anything
    app = build_app(settings, load=False)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: shutting down", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # A worker sharing the port (--workers) binds only once loaded: the kernel hands it connections
    # as soon as it binds, whatever its health says. A lone server binds at once, NOT_SERVING until loaded.
    loaded = settings.reuse_port and app.load_when_possible(stop)
    server, port, health_servicer = create_server(settings, app, security)
    set_serving(health_servicer, False)
    server.start()
    if loaded or app.load_when_possible(stop):
        app.follow_changes()
        settle_garbage_collection()
        set_serving(health_servicer, True)
        log.info("orderroute serving on %s:%d (default rule set %r)", settings.host, port, settings.default_rule_set)
        print(f"orderroute serving on {settings.host}:{port}", flush=True)
    if settings.auth_file is None and not settings.tokens:
        print("no authentication configured: any caller that reaches this address may call every method", flush=True)
    if app.telemetry.metrics_port is not None:
        print(f"metrics on http://{settings.host}:{app.telemetry.metrics_port}/metrics", flush=True)
    if ready is not None:
        ready.set()
    stop.wait()
    set_serving(health_servicer, False)
    server.stop(settings.grace_seconds).wait()
    app.close()
    log.info("stopped")
