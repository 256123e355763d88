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
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from orderroute.v1 import orderroute_pb2 as pb

from service.auth import Authenticator
from service.catalog import RuleSetCatalog
from service.changes import ChangeListener
from service.config import ConfigError, Settings
from service.decision_log import DecisionLog
from service.errors import StorageUnavailable
from service.experiment_store import RedisExperimentStore
from service.gray import GrayReleases, Supervisor
from service.outcomes import OutcomeRecorder
from service.redis_conn import RedisClient, connect
from service.routing import Router
from service.servicers import Edge, ExperimentServicer, OutcomeServicer, RoutingServicer, RuleSetServicer, add_service
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

    redis: RedisClient
    catalog: RuleSetCatalog
    gray: GrayReleases
    decisions: DecisionLog
    outcomes: OutcomeRecorder
    router: Router
    supervisor: Supervisor
    changes: ChangeListener
    telemetry: Telemetry
    seed_examples: bool = False

    def load(self) -> None:
        """Reads the current state from Redis (seeding the examples into an empty store).

        Raises StorageUnavailable while Redis cannot be reached.
        """
        with translated_errors():
            self.redis.ping()
        if self.seed_examples:
            self.catalog.seed_examples()
        self.gray.refresh()

    def load_when_possible(self, stop: threading.Event) -> bool:
        """Retries `load` until it succeeds (True) or `stop` is set (False)."""
        wait = 0.1
        while not stop.is_set():
            try:
                self.load()
                return True
            except StorageUnavailable as exc:
                log.warning("cannot load state yet, retrying in %.1f s: %s", wait, exc.message)
                stop.wait(wait)
                wait = min(wait * 2, 2.0)
        return False

    def follow_changes(self) -> None:
        """Starts picking up other replicas' changes (pub/sub and periodic reconciliation)."""
        self.changes.start()
        self.supervisor.start()

    def close(self) -> None:
        self.changes.close()
        self.supervisor.close()
        self.decisions.close()
        self.telemetry.close()
        self.redis.close()


def build_app(settings: Settings, load: bool = True) -> App:
    """The service's pieces; with `load`, also reads the state and starts following changes."""
    client = connect(settings.redis_url, settings.data_dir, settings.redis_cluster, settings.redis_timeout)
    catalog = RuleSetCatalog(RedisRuleSetStore(client), utc_now)
    experiments = RedisExperimentStore(client, timedelta(days=settings.decision_ttl_days))
    gray = GrayReleases(experiments, catalog, utc_now)
    decisions = DecisionLog(experiments.write_decisions, on_error=lambda: telemetry.redis_error("write_decisions"))
    gauges = Gauges(gray.shares, gray.guardrails, lambda: decisions.depth, lambda: decisions.dropped)
    telemetry = Telemetry(settings.metrics_port, settings.host, gauges)
    router = Router(catalog, gray, decisions, settings.default_rule_set, settings.max_batch, telemetry)
    supervisor = Supervisor(gray, settings.supervise_seconds)
    changes = ChangeListener(client, gray.refresh)
    outcomes = OutcomeRecorder(experiments, decisions, telemetry)
    app = App(
        client, catalog, gray, decisions, outcomes, router, supervisor, changes, telemetry, settings.seed_examples
    )
    if load:
        app.load()
        app.follow_changes()
    return app


@dataclass(frozen=True, slots=True)
class Security:
    """Who may call (None: anyone) and the TLS credentials (None: plaintext), read and checked once."""

    auth: Authenticator | None
    credentials: grpc.ServerCredentials | None

    @staticmethod
    def of(settings: Settings) -> Security:
        """Raises ConfigError for settings that cannot work or would expose the service."""
        return Security(checked_authenticator(settings), server_credentials(settings))


def create_server(
    settings: Settings, app: App, security: Security | None = None
) -> tuple[grpc.Server, int, health.HealthServicer]:
    """A started-but-not-yet-serving gRPC server; bind port 0 to get a free port.

    Raises ConfigError for settings that cannot work or would expose the
    service: a non-loopback address without authentication needs `insecure`.
    """
    security = security or Security.of(settings)
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
    edge = Edge(app.telemetry, security.auth, app.catalog.active_names)
    services = pb.DESCRIPTOR.services_by_name
    add_service(server, RoutingServicer(app.router, edge), services["RoutingService"])
    add_service(server, RuleSetServicer(app.catalog, edge), services["RuleSetService"])
    add_service(server, ExperimentServicer(app.gray, edge), services["ExperimentService"])
    add_service(server, OutcomeServicer(app.outcomes, settings.max_batch, edge), services["OutcomeService"])
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    address = f"{settings.host}:{settings.port}"
    credentials = security.credentials
    port = (
        server.add_secure_port(address, credentials) if credentials is not None else server.add_insecure_port(address)
    )
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
