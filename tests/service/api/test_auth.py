"""Who may call what: bearer tokens, roles, audit names, TLS and mutual TLS, loopback-only without auth."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.auth import AuthConfigError, Authenticator
from service.api.server import checked_authenticator, create_server, is_loopback, set_serving
from service.api.settings import ConfigError, Settings
from service.api.wiring import App
from service.client.channel import ClientOptions, open_channel
from service.errors import PermissionDenied, Unauthenticated
from tests.certificates import Pki, make_pki
from tests.conftest import EXAMPLES

CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
ROUTER, AUTHOR, REVIEWER, ADMIN = (
    f"{role}-token-0123456789abcdef" for role in ("router", "author", "reviewer", "admin")
)
TOKENS = f"""
tokens:
  - {{name: oms, roles: [router], token: {ROUTER}}}
  - {{name: alice, roles: [author], token: {AUTHOR}}}
  - {{name: rita, roles: [reviewer], sha256: {hashlib.sha256(REVIEWER.encode()).hexdigest()}}}
  - {{name: root, roles: [admin], token: {ADMIN}}}
"""
ORDER = pb.Order(order_id="o-1", customer=pb.Customer(customer_id="c-1"))

Connect = Callable[..., grpc.Channel]


def serve(app: App, settings: Settings) -> tuple[grpc.Server, str]:
    server, port, health = create_server(replace(settings, port=0, threads=4), app)
    server.start()
    set_serving(health, True)
    return server, f"127.0.0.1:{port}"


@pytest.fixture
def connect(app: App, redis_url: str) -> Iterator[Connect]:
    settings = Settings(redis_url=redis_url, tokens=TOKENS)
    app.catalog.required_approvals = settings.approvals  # as build_app would from these settings
    server, target = serve(app, settings)
    channels: list[grpc.Channel] = []

    def open_one(token: str | None = None) -> grpc.Channel:
        channels.append(open_channel(target, ClientOptions(token=token)))
        return channels[-1]

    yield open_one
    for channel in channels:
        channel.close()
    server.stop(0).wait()


def code_of(call: Callable[[], object]) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code()


def publish(channel: grpc.Channel, author: str = "") -> pb.PublishRuleSetResponse:
    stub = pb_grpc.RuleSetServiceStub(channel)
    return stub.PublishRuleSet(pb.PublishRuleSetRequest(source=CANDIDATE, author=author))


def activate(channel: grpc.Channel, version: int, actor: str = "") -> pb.ActivateRuleSetResponse:
    request = pb.ActivateRuleSetRequest(name="fulfilment", version=version, actor=actor, reason="test")
    return pb_grpc.RuleSetServiceStub(channel).ActivateRuleSet(request)


def promote(channel: grpc.Channel) -> pb.PromoteExperimentResponse:
    request = pb.PromoteExperimentRequest(id="exp-1", actor="x", reason="test")
    return pb_grpc.ExperimentServiceStub(channel).PromoteExperiment(request)


def test_calls_without_a_valid_token_are_unauthenticated(connect: Connect) -> None:
    for token in (None, "not-a-configured-token-at-all"):
        channel = connect(token)
        assert code_of(lambda c=channel: publish(c)) is grpc.StatusCode.UNAUTHENTICATED
        assert code_of(lambda c=channel: activate(c, 1)) is grpc.StatusCode.UNAUTHENTICATED
        assert code_of(lambda c=channel: promote(c)) is grpc.StatusCode.UNAUTHENTICATED
        route = pb_grpc.RoutingServiceStub(channel).Route
        assert code_of(lambda r=route: r(pb.RouteRequest(order=ORDER))) is grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as caught:  # refused at the gate, with the rich details all the same
            route(pb.RouteRequest(order=ORDER))
        status = status_pb2.Status.FromString(dict(caught.value.trailing_metadata())["grpc-status-details-bin"])
        info = error_details_pb2.ErrorInfo()
        assert status.details[0].Unpack(info) and info.reason == "UNAUTHENTICATED"
    # Health stays open for load balancers.
    reply = health_pb2_grpc.HealthStub(connect(None)).Check(health_pb2.HealthCheckRequest())
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_a_router_token_routes_but_may_not_change_rules(connect: Connect) -> None:
    channel = connect(ROUTER)
    assert pb_grpc.RoutingServiceStub(channel).Route(pb.RouteRequest(order=ORDER)).decision.path
    for call in (lambda: publish(channel), lambda: activate(channel, 1), lambda: promote(channel)):
        assert code_of(call) is grpc.StatusCode.PERMISSION_DENIED


def test_roles_split_authoring_from_reviewing(connect: Connect) -> None:
    author, reviewer = connect(AUTHOR), connect(REVIEWER)
    assert code_of(lambda: activate(author, 1)) is grpc.StatusCode.PERMISSION_DENIED
    assert code_of(lambda: publish(reviewer)) is grpc.StatusCode.PERMISSION_DENIED
    route = pb_grpc.RoutingServiceStub(author).Route
    assert code_of(lambda: route(pb.RouteRequest(order=ORDER))) is grpc.StatusCode.PERMISSION_DENIED
    assert publish(author).version.version == 2
    approve = pb.ReviewRuleSetRequest(name="fulfilment", version=2, approve=True)
    pb_grpc.RuleSetServiceStub(reviewer).ReviewRuleSet(approve)
    assert activate(reviewer, 2).activation.version == 2
    # Reading needs any valid token.
    assert pb_grpc.RuleSetServiceStub(author).ListRuleSets(pb.ListRuleSetsRequest()).rule_sets


def test_every_audit_entry_names_the_authenticated_caller(connect: Connect) -> None:
    published = publish(connect(AUTHOR), author="mallory")
    assert published.version.author == "alice (for mallory)"
    approve = pb.ReviewRuleSetRequest(name="fulfilment", version=2, approve=True)
    pb_grpc.RuleSetServiceStub(connect(REVIEWER)).ReviewRuleSet(approve)
    assert activate(connect(REVIEWER), 2).activation.actor == "rita"
    admin = connect(ADMIN)
    assert activate(admin, 1, actor="root").activation.actor == "root"
    entries = pb_grpc.RuleSetServiceStub(admin).GetAuditLog(pb.GetAuditLogRequest(name="fulfilment")).entries
    assert [(e.action, e.actor) for e in entries[:4]] == [
        ("activate", "root"),
        ("activate", "rita"),
        ("approve", "rita"),
        ("publish", "alice (for mallory)"),
    ]


def test_tokens_are_checked_against_every_entry() -> None:
    auth = Authenticator.from_text(TOKENS, "tokens.yaml")
    assert auth.authenticate([("authorization", f"Bearer {REVIEWER}")]).name == "rita"
    assert auth.authenticate([("authorization", f"bearer  {ADMIN} ")]).name == "root"
    for metadata in ([], [("authorization", ROUTER)], [("authorization", "Bearer ")], [("x", f"Bearer {ROUTER}")]):
        with pytest.raises(Unauthenticated):
            auth.authenticate(metadata)
    oms = auth.authenticate([("authorization", f"Bearer {ROUTER}")])
    auth.authorize(oms, "RecordOutcomes")
    with pytest.raises(PermissionDenied, match="needs the role admin or author"):
        auth.authorize(oms, "PublishRuleSet")
    with pytest.raises(PermissionDenied):
        auth.authorize(oms, "SomeFutureMethod")  # unknown methods are closed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tokens: [{name: a, roles: [router], token: short}]", "tokens.yaml:1: tokens[0].token: at least 16"),
        ("tokens:\n  - {name: a, roles: [root], token: 0123456789abcdef}", "tokens.yaml:2: tokens[0].roles: unknown"),
        ("tokens:\n  - {name: a, roles: [router]}", "give exactly one of sha256 or token"),
        ("tokens:\n  - {name: a, roles: [router], sha256: abc}", "tokens[0].sha256: 64 hex digits"),
        ("tokens: []", "no tokens configured"),
        ("users: []", "tokens.yaml:1: expected a mapping with a 'tokens' list"),
        ("tokens: &a [*a]", "anchors and aliases"),
        (
            "tokens:\n  - {name: oms, roles: [router], token: 0123456789abcdef}\n"
            f"  - {{name: root, roles: [admin], sha256: {hashlib.sha256(b'0123456789abcdef').hexdigest()}}}",
            "tokens.yaml:3: tokens[1]: the same token as 'oms'",
        ),
    ],
)
def test_a_bad_token_file_is_named_with_its_line(text: str, message: str) -> None:
    with pytest.raises(AuthConfigError, match=re.escape(message)):
        Authenticator.from_text(text, "tokens.yaml")


def test_without_auth_only_loopback_is_served() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")
    with pytest.raises(ConfigError, match=r"refusing to serve 0\.0\.0\.0 without authentication"):
        checked_authenticator(Settings(host="0.0.0.0"))
    assert checked_authenticator(Settings(host="0.0.0.0", insecure=True)) is None
    assert checked_authenticator(Settings(host="0.0.0.0", tokens=TOKENS)) is not None


def test_serve_refuses_an_open_address_and_says_why(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "refusing to serve 0.0.0.0 without authentication" in done.stderr and "--insecure" in done.stderr


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def route_over(target: str, options: ClientOptions) -> grpc.StatusCode | str:
    with open_channel(target, options) as channel:
        try:
            stub = pb_grpc.RoutingServiceStub(channel)
            return stub.Route(pb.RouteRequest(order=ORDER), timeout=5).decision.path
        except grpc.RpcError as error:
            return error.code()


def test_tls_serves_clients_that_trust_its_ca(app: App, redis_url: str, pki: Pki) -> None:
    settings = Settings(redis_url=redis_url, tls_cert=pki.server_cert, tls_key=pki.server_key)
    server, target = serve(app, settings)
    try:
        assert route_over(target, ClientOptions(tls_ca=pki.ca)) == "STANDARD"
        assert route_over(target, ClientOptions(tls_ca=pki.other_ca)) is grpc.StatusCode.UNAVAILABLE
        assert route_over(target, ClientOptions()) is grpc.StatusCode.UNAVAILABLE  # plaintext
    finally:
        server.stop(0).wait()


def test_mutual_tls_needs_a_client_certificate(app: App, redis_url: str, pki: Pki) -> None:
    settings = Settings(
        redis_url=redis_url, tls_cert=pki.server_cert, tls_key=pki.server_key, tls_client_ca=pki.ca, tokens=TOKENS
    )
    server, target = serve(app, settings)
    try:
        with_cert = ClientOptions(token=ROUTER, tls_ca=pki.ca, tls_cert=pki.client_cert, tls_key=pki.client_key)
        assert route_over(target, with_cert) == "STANDARD"
        assert route_over(target, ClientOptions(token=ROUTER, tls_ca=pki.ca)) is grpc.StatusCode.UNAVAILABLE
        no_token = ClientOptions(tls_ca=pki.ca, tls_cert=pki.client_cert, tls_key=pki.client_key)
        assert route_over(target, no_token) is grpc.StatusCode.UNAUTHENTICATED
    finally:
        server.stop(0).wait()


def test_tls_settings_must_be_complete(app: App, pki: Pki) -> None:
    with pytest.raises(ConfigError, match="both --tls-cert and --tls-key"):
        create_server(Settings(port=0, tls_cert=pki.server_cert), app)
    with pytest.raises(ConfigError, match="not a PEM file"):
        create_server(Settings(port=0, tls_cert=pki.server_cert, tls_key=Path(__file__)), app)


def test_the_caller_learns_its_name_and_roles(connect) -> None:
    reply = pb_grpc.AccessServiceStub(connect(AUTHOR)).GetCaller(pb.GetCallerRequest())
    assert (reply.auth_enabled, reply.name, list(reply.roles)) == (True, "alice", ["author"])
    with pytest.raises(grpc.RpcError) as info:
        pb_grpc.AccessServiceStub(connect("not-a-token")).GetCaller(pb.GetCallerRequest())
    assert info.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_without_tokens_the_caller_is_told_auth_is_off(channel) -> None:
    reply = pb_grpc.AccessServiceStub(channel).GetCaller(pb.GetCallerRequest())
    assert (reply.auth_enabled, reply.name, list(reply.roles)) == (False, "", [])
