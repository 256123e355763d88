"""Server wiring: storage, catalog, router, gRPC servicers, health, reflection.

A synchronous gRPC server with a small thread pool: on this 2-core machine
thread hand-offs cost more than they buy (see README "Benchmarks").
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import threading
from concurrent import futures
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

import grpc
import redis
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.auth import Authenticator
from service.catalog import RuleSetCatalog
from service.config import ConfigError, Settings
from service.decision_log import DecisionLog
from service.experiment_store import RedisExperimentStore
from service.gray import GrayReleases, Supervisor
from service.outcomes import OutcomeRecorder
from service.redis_conn import connect
from service.routing import Router
from service.servicers import Edge, ExperimentServicer, OutcomeServicer, RoutingServicer, RuleSetServicer
from service.storage import RedisRuleSetStore, translated_errors
from service.telemetry import Gauges, Telemetry

log = logging.getLogger(__name__)

SERVICE_NAMES = tuple(s.full_name for s in pb.DESCRIPTOR.services_by_name.values())
MAX_SEND_BYTES = 64 * 1024 * 1024


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    """The running pieces of one service process."""

    redis: redis.Redis
    catalog: RuleSetCatalog
    gray: GrayReleases
    decisions: DecisionLog
    outcomes: OutcomeRecorder
    router: Router
    supervisor: Supervisor
    telemetry: Telemetry

    def close(self) -> None:
        self.supervisor.close()
        self.decisions.close()
        self.telemetry.close()
        self.redis.close()


def build_app(settings: Settings) -> App:
    client = connect(settings.redis_url, settings.data_dir)
    with translated_errors():
        client.ping()
    catalog = RuleSetCatalog(RedisRuleSetStore(client), utc_now)
    if settings.seed_examples:
        catalog.seed_examples()
    catalog.load_active()
    experiments = RedisExperimentStore(client, timedelta(days=settings.decision_ttl_days))
    gray = GrayReleases(experiments, catalog, utc_now)
    gray.refresh()
    decisions = DecisionLog(experiments.write_decisions, on_error=lambda: telemetry.redis_error("write_decisions"))
    gauges = Gauges(gray.shares, gray.guardrails, lambda: decisions.depth, lambda: decisions.dropped)
    telemetry = Telemetry(settings.metrics_port, settings.host, gauges)
    router = Router(catalog, gray, decisions, settings.default_rule_set, settings.max_batch, telemetry)
    supervisor = Supervisor(gray, settings.supervise_seconds)
    supervisor.start()
    outcomes = OutcomeRecorder(experiments, decisions, telemetry)
    return App(client, catalog, gray, decisions, outcomes, router, supervisor, telemetry)


def create_server(settings: Settings, app: App) -> tuple[grpc.Server, int, health.HealthServicer]:
    """A started-but-not-yet-serving gRPC server; bind port 0 to get a free port.

    Raises ConfigError for settings that cannot work or would expose the
    service: a non-loopback address without authentication needs `insecure`.
    """
    auth = checked_authenticator(settings)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="grpc"),
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", MAX_SEND_BYTES),
            ("grpc.so_reuseport", 1 if settings.reuse_port else 0),
        ],
        # Beyond this many calls in progress gRPC answers RESOURCE_EXHAUSTED: no unbounded queue.
        maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
    )
    edge = Edge(app.telemetry, auth)
    pb_grpc.add_RoutingServiceServicer_to_server(RoutingServicer(app.router, edge), server)
    pb_grpc.add_RuleSetServiceServicer_to_server(RuleSetServicer(app.catalog, edge), server)
    pb_grpc.add_ExperimentServiceServicer_to_server(ExperimentServicer(app.gray, edge), server)
    pb_grpc.add_OutcomeServiceServicer_to_server(OutcomeServicer(app.outcomes, settings.max_batch, edge), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    address = f"{settings.host}:{settings.port}"
    credentials = server_credentials(settings)
    port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot bind {address}")
    return server, port, health_servicer


def checked_authenticator(settings: Settings) -> Authenticator | None:
    """The configured tokens; refuses a non-loopback address without them unless `insecure`."""
    auth = None
    if settings.auth_file is not None:
        auth = Authenticator.from_file(settings.auth_file)
    elif settings.tokens:
        auth = Authenticator.from_text(settings.tokens, "ORDERROUTE_TOKENS")
    if auth is None and not is_loopback(settings.host) and not settings.insecure:
        raise ConfigError(
            f"refusing to serve {settings.host} without authentication: configure tokens "
            "(--auth-file or ORDERROUTE_TOKENS), or pass --insecure to accept any caller"
        )
    return auth


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """TLS when a certificate is configured; mutual TLS when a client CA is too."""
    if settings.tls_cert is None and settings.tls_key is None:
        if settings.tls_client_ca is not None:
            raise ConfigError("a client CA (mutual TLS) needs the server's own --tls-cert and --tls-key")
        return None
    if settings.tls_cert is None or settings.tls_key is None:
        raise ConfigError("TLS needs both --tls-cert and --tls-key")
    key, cert = _read_pem(settings.tls_key), _read_pem(settings.tls_cert)
    client_ca = _read_pem(settings.tls_client_ca) if settings.tls_client_ca else None
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=client_ca, require_client_auth=bool(client_ca))


def _read_pem(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if b"-----BEGIN" not in data:
        raise ConfigError(f"{path}: not a PEM file")
    return data


def set_serving(health_servicer: health.HealthServicer, serving: bool) -> None:
    status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
    for name in ("", *SERVICE_NAMES):
        health_servicer.set(name, status)


def serve(settings: Settings, ready: threading.Event | None = None) -> None:
    """Runs until SIGTERM or SIGINT, then drains in-flight calls for the grace period."""
    checked_authenticator(settings)  # refuse bad security settings before starting anything
    server_credentials(settings)
    app = build_app(settings)
    server, port, health_servicer = create_server(settings, app)
    server.start()
    set_serving(health_servicer, True)
    log.info("orderroute serving on %s:%d (default rule set %r)", settings.host, port, settings.default_rule_set)
    print(f"orderroute serving on {settings.host}:{port}", flush=True)
    if settings.auth_file is None and not settings.tokens:
        print("no authentication configured: any caller that reaches this address may call every method", flush=True)
    if app.telemetry.metrics_port is not None:
        print(f"metrics on http://{settings.host}:{app.telemetry.metrics_port}/metrics", flush=True)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: shutting down", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if ready is not None:
        ready.set()
    stop.wait()
    set_serving(health_servicer, False)
    server.stop(settings.grace_seconds).wait()
    app.close()
    log.info("stopped")
