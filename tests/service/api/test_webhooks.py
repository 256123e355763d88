"""Webhooks end to end: the server, on real Redis, POSTs signed events to a real HTTP receiver on loopback,
once, and keeps an undelivered event across a restart; bad settings stop `serve` with one line."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import pytest
import redis
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.server import create_server, set_serving
from service.api.settings import Settings
from service.api.wiring import App, build_app
from service.app.clock import utc_now
from service.cli import main
from service.storage.ports import WebhookItem
from service.storage.redis_webhooks import RedisWebhookQueue

SECRET = b"webhook-secret-for-tests"


@dataclass
class Receiver:
    """An HTTP endpoint that answers each POST with the next of `answers` (then 200) and keeps what came."""

    answers: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    url: str = ""
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def accepted(self) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for h, b, status in self.received if status == 200]

    def wait_for(self, test: Callable[[], bool], timeout: float = 10) -> bool:
        with self.arrived:
            return self.arrived.wait_for(test, timeout)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = got.answers.pop(0) if got.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with got.arrived:
                got.received.append((dict(self.headers.items()), body, status))
                got.arrived.notify_all()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/orderroute"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def settings(redis_client: redis.Redis, redis_url: str, tmp_path: Path, receiver: Receiver) -> Settings:
    (tmp_path / "secret").write_bytes(SECRET + b"\n")
    return Settings(
        redis_url=redis_url, data_dir=tmp_path, webhooks=(receiver.url,), webhook_secret_file=tmp_path / "secret"
    )


def verified(headers: dict[str, str], body: bytes) -> dict[str, object]:
    """What a receiver does before trusting a delivery (the README's five lines)."""
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Orderroute-Signature"], expected)
    document: dict[str, object] = json.loads(body)
    return document


def test_an_activation_is_delivered_once_signed(settings: Settings, receiver: Receiver) -> None:
    app = build_app(settings)  # seeds the example rule set: its activation is an event
    try:
        assert receiver.wait_for(lambda: len(receiver.received) >= 1)
        time.sleep(1.5)  # another round of the delivery thread: nothing more comes
        ((headers, body),) = receiver.accepted()
        assert len(receiver.received) == 1
        document = verified(headers, body)
        assert document["event"] == "activation" and headers["X-Orderroute-Event"] == "activation"
        assert headers["X-Orderroute-Delivery"] == document["id"]
        assert document["text"] == "fulfilment: version 1 activated by orderroute-seed: seeded on first start"
        assert document["data"] == {
            "rule_set": "fulfilment",
            "versions": {"active": 1, "previous": 0},
            "actor": "orderroute-seed",
            "reason": "seeded on first start",
            "experiment_id": "",
        }
        assert str(document["at"]).endswith("Z")
        (logged,) = app.webhooks.deliveries(10)
        assert (logged.event_id, logged.state, logged.status, logged.attempts, logged.url) == (
            document["id"],
            "delivered",
            200,
            1,
            receiver.url,
        )
        assert app.webhooks.depth() == 0
    finally:
        app.close()


def test_an_event_refused_before_a_restart_is_delivered_once_after_it(settings: Settings, receiver: Receiver) -> None:
    receiver.answers = [500]
    first = build_app(settings)
    try:
        assert receiver.wait_for(lambda: len(receiver.received) == 1)
    finally:
        first.close()  # before its retry (1 s later) is due: the event is only in Redis now
    assert len(receiver.received) == 1

    second = build_app(settings)  # the same Redis: nothing to seed, the queue is still there
    try:
        assert receiver.wait_for(lambda: len(receiver.accepted()) == 1)
        time.sleep(1.5)
    finally:
        second.close()
    ids = [h["X-Orderroute-Delivery"] for h, _, _ in receiver.received]
    assert len(set(ids)) == 1, "one event"
    ((headers, body),) = receiver.accepted()  # accepted once, the refused attempt aside
    assert verified(headers, body)["id"] == ids[0]
    assert [(r.state, r.status, r.attempts) for r in second.webhooks.deliveries(10)] == [
        ("delivered", 200, 2),
        ("retrying", 500, 1),
    ]


def test_an_item_claimed_by_a_process_that_died_is_delivered_when_its_lease_runs_out(
    settings: Settings, receiver: Receiver, redis_client: redis.Redis
) -> None:
    """A replica killed mid-delivery: its claim (a lease) runs out and another replica delivers the event."""
    queue = RedisWebhookQueue(redis_client)
    body = b'{"event":"activation","id":"evt-dead"}'
    item = WebhookItem("evt-dead:1", "evt-dead", "activation", receiver.url, body.decode(), utc_now())
    queue.enqueue("evt-dead", [item], utc_now(), 100)
    (claimed,) = queue.claim(utc_now(), timedelta(seconds=1), 10)  # ... and the claimer is killed here

    app = build_app(Settings(**{**_fields(settings), "seed_examples": False}))
    try:
        started = time.monotonic()
        assert receiver.wait_for(lambda: len(receiver.accepted()) == 1)
        assert time.monotonic() - started < 5
        time.sleep(1.5)
    finally:
        app.close()
    ((headers, got),) = receiver.accepted()
    assert got == body and headers["X-Orderroute-Delivery"] == "evt-dead"
    verified(headers, got)
    assert app.webhooks.deliveries(1)[0].attempts == claimed.attempt + 1


def _fields(settings: Settings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in Settings.__dataclass_fields__}


def test_an_app_without_webhooks_sends_nothing_and_reads_an_empty_log(app: App, receiver: Receiver) -> None:
    assert app.webhooks.config is None and app.webhooks.deliveries(10) == []
    time.sleep(0.2)
    assert receiver.received == []


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (["--webhook", "ftp://hooks.example/x"], {}, "error: --webhook: 'ftp://hooks.example/x' is not an http"),
        (["--webhook", "https://hooks.example/x"], {}, "error: --webhook needs a signing secret"),
        (
            ["--webhook", "https://hooks.example/x", "--webhook-events", "promotion,promoted"],
            {"ORDERROUTE_WEBHOOK_SECRET": "s"},
            "error: --webhook-events: unknown event 'promoted'; choose from activation, guardrail_abort",
        ),
        (
            ["--webhook", "https://hooks.example/x", "--webhook-secret-file", "/nonexistent/secret"],
            {},
            "error: --webhook-secret-file: cannot read /nonexistent/secret: No such file or directory",
        ),
    ],
)
def test_a_bad_webhook_setting_stops_serve_with_one_line_naming_the_flag(
    args: list[str],
    env: dict[str, str],
    said: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("ORDERROUTE_WEBHOOK_SECRET", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--data-dir", str(tmp_path), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith(said) and err.count("\n") == 1, err


def test_webhooks_are_repeatable_and_the_secret_comes_from_the_environment(tmp_path: Path) -> None:
    from service.cli import build_parser
    from service.cli.serve import settings_from_args

    args = build_parser().parse_args(
        [
            "serve",
            "--webhook",
            "https://a.example/h",
            "--webhook",
            "https://b.example/h",
            "--webhook-events",
            "rollback",
        ]
    )
    settings = settings_from_args(args, {})
    assert settings.webhooks == ("https://a.example/h", "https://b.example/h")
    config = settings.webhook_config({"ORDERROUTE_WEBHOOK_SECRET": "from-env\n"})
    assert config is not None and config.secret == b"from-env" and config.urls == settings.webhooks
    assert [str(k) for k in config.events] == ["rollback"]
    assert Settings().webhook_config({}) is None


def test_the_delivery_log_is_read_over_grpc_without_the_urls_query_strings(
    settings: Settings, receiver: Receiver
) -> None:
    secret_url = f"{receiver.url}?token=s3cret"
    settings = dataclasses.replace(settings, webhooks=(secret_url,), port=0, threads=4, grace_seconds=1)
    app = build_app(settings)
    server, port, health = create_server(settings, app)
    server.start()
    set_serving(health, True)
    try:
        assert receiver.wait_for(lambda: len(receiver.accepted()) >= 1)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.NotificationServiceStub(channel)
            reply = stub.ListWebhookDeliveries(pb.ListWebhookDeliveriesRequest())
            assert list(reply.urls) == [receiver.url] and "activation" in reply.events
            ((delivered),) = [d for d in reply.deliveries if d.event == "activation"]
            assert (delivered.url, delivered.state, delivered.status) == (receiver.url, "delivered", 200)
            assert "s3cret" not in str(reply)
            with pytest.raises(grpc.RpcError) as info:
                stub.ListWebhookDeliveries(pb.ListWebhookDeliveriesRequest(limit=5_000))
            assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT and "limit" in info.value.details()
    finally:
        server.stop(0).wait()
        app.close()
