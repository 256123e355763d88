"""A real console over a real service on a real Redis, with and without tokens."""

from __future__ import annotations

import http.client
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import grpc
import pytest
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.server import create_server, set_serving
from service.api.settings import Settings
from service.api.wiring import App, build_app
from service.client.channel import ClientOptions, open_channel
from service.console import ConsoleSettings, RunningConsole, start_console
from tests.conftest import EXAMPLES
from tests.service.api import test_webhooks
from tests.service.api.test_auth import TOKENS, serve
from tests.service.api.test_webhooks import SECRET, Receiver


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Browser:
    """An HTTP client with a cookie jar, as a person's browser would keep one."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    language: str = "en-US"

    def get(self, path: str) -> Reply:
        return self._send("GET", path, None)

    def post(self, path: str, form: dict[str, str], headers: dict[str, str] | None = None) -> Reply:
        return self._send("POST", path, urlencode(form), headers)

    def csrf(self, path: str = "/rule-sets") -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.get(path).body)
        assert match, "the page has no CSRF token"
        return match.group(1)

    def _send(self, method: str, path: str, body: str | None, extra: dict[str, str] | None = None) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Accept-Language": self.language, **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode())
        for raw in response.headers.get_all("set-cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        connection.close()
        return reply


@pytest.fixture
def open_console(target: str) -> Iterator[RunningConsole]:
    """The console of a service that checks no tokens."""
    with grpc.insecure_channel(target) as channel:
        console = start_console(channel, "127.0.0.1", 0, ConsoleSettings(auth_enabled=False))
        yield console
        console.stop()


@dataclass
class Guarded:
    """A console of a service with tokens (tests.service.api.test_auth.TOKENS), and the service's address."""

    console: RunningConsole
    address: str

    def publish_candidate(self, token: str) -> None:
        """The example candidate as version 2, published with `token` (the console does not edit yet)."""
        source = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
        with open_channel(self.address, ClientOptions(token=token)) as channel:
            pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(pb.PublishRuleSetRequest(source=source))


@pytest.fixture
def guarded(app: App, redis_url: str) -> Iterator[Guarded]:
    settings = Settings(redis_url=redis_url, tokens=TOKENS)
    app.catalog.required_approvals = settings.approvals  # as build_app would from these settings
    server, address = serve(app, settings)
    with grpc.insecure_channel(address) as channel:
        console = start_console(channel, "127.0.0.1", 0, ConsoleSettings(auth_enabled=True))
        yield Guarded(console, address)
        console.stop()
    server.stop(0).wait()


@pytest.fixture
def guarded_console(guarded: Guarded) -> RunningConsole:
    return guarded.console


receiver = test_webhooks.receiver
"""The webhook tests' real local HTTP receiver, as a fixture of the console's tests too."""


@dataclass
class Hooked:
    """A console of a service (without tokens) that sends its events to a real local webhook receiver."""

    console: RunningConsole
    target: str
    receiver: Receiver


@pytest.fixture
def hooked(redis_client: object, redis_url: str, tmp_path: Path, receiver: Receiver) -> Iterator[Hooked]:
    (tmp_path / "secret").write_bytes(SECRET)
    settings = Settings(
        redis_url=redis_url,
        data_dir=tmp_path,
        port=0,
        threads=4,
        grace_seconds=1,
        webhooks=(receiver.url,),
        webhook_secret_file=tmp_path / "secret",
        results_cadence_seconds=1.0,
    )
    app = build_app(settings)
    server, port, health = create_server(settings, app)
    server.start()
    set_serving(health, True)
    target = f"127.0.0.1:{port}"
    with grpc.insecure_channel(target) as channel:
        console = start_console(channel, "127.0.0.1", 0, ConsoleSettings(auth_enabled=False))
        yield Hooked(console, target, receiver)
        console.stop()
    server.stop(0).wait()
    app.close()


# ---------------------------------------------------------------- a real browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI installs chromium (.ci/run); it is missing")
        pytest.skip("no chromium here: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
