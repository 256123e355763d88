"""The gRPC server: servicers, health, reflection, security (tokens, TLS), limits.

A synchronous gRPC server; each work class (route, outcome, control) has its own
small thread pool and call slots, and callers are authenticated before they take
either (service.api.admission). Small pools: on this 2-core machine thread
hand-offs cost more than they buy (see README "Benchmarks").
"""

from __future__ import annotations

import ipaddress
import logging
import weakref
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from orderroute.v1 import orderroute_pb2 as pb

from service.api import reflection
from service.api.access_service import AccessServicer
from service.api.admission import Admission, Gate
from service.api.auth import Authenticator
from service.api.boundary import Edge, add_service
from service.api.decision_service import DecisionServicer
from service.api.experiment_service import ExperimentServicer
from service.api.health_service import OrderHealthServicer
from service.api.notification_service import NotificationServicer
from service.api.outcome_service import OutcomeServicer
from service.api.routing_service import RoutingServicer
from service.api.ruleset_service import RuleSetServicer
from service.api.settings import ConfigError, Settings
from service.api.wiring import App

log = logging.getLogger(__name__)

SERVICE_NAMES = tuple(s.full_name for s in pb.DESCRIPTOR.services_by_name.values())
MAX_SEND_BYTES = 64 * 1024 * 1024
OPEN_THREADS = 2
OPEN_SLOTS = 64


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
    admission = Admission(settings.threads, settings.max_concurrent_rpcs)
    server = grpc.server(
        # Health and reflection; the service's own calls run in their work class' pool.
        futures.ThreadPoolExecutor(max_workers=OPEN_THREADS, thread_name_prefix="grpc"),
        interceptors=[Gate(admission, security.auth, app.telemetry)],
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", MAX_SEND_BYTES),
            ("grpc.so_reuseport", 1 if settings.reuse_port else 0),
        ],
        # The classes' slots plus a budget for health, reflection and refusals; beyond it, RESOURCE_EXHAUSTED.
        maximum_concurrent_rpcs=admission.total_slots + OPEN_SLOTS,
    )
    weakref.finalize(server, admission.shutdown)  # the pools' idle threads end with the server
    edge = Edge(app.telemetry, security.auth, app.catalog.active_names)
    services = pb.DESCRIPTOR.services_by_name
    pool_of = admission.pool_of
    add_service(server, RoutingServicer(app.router, settings.max_batch, edge), services["RoutingService"], pool_of)
    add_service(server, RuleSetServicer(app.catalog, edge), services["RuleSetService"], pool_of)
    add_service(server, ExperimentServicer(app.gray, app.shadows, edge), services["ExperimentService"], pool_of)
    outcomes = OutcomeServicer(app.outcomes, settings.max_batch, edge)
    add_service(server, outcomes, services["OutcomeService"], pool_of)
    add_service(server, AccessServicer(edge), services["AccessService"], pool_of)
    add_service(server, OrderHealthServicer(app.health, edge), services["OrderHealthService"], pool_of)
    add_service(server, NotificationServicer(app.webhooks, edge), services["NotificationService"], pool_of)
    add_service(
        server, DecisionServicer(app.explainer, app.replayer, app.insights, edge), services["DecisionService"], pool_of
    )
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable(server, (*SERVICE_NAMES, health.SERVICE_NAME))
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
