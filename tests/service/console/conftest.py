"""A real console over a real service on a real Redis, with and without tokens."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import grpc
import pytest
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.settings import Settings
from service.api.wiring import App
from service.client.channel import ClientOptions, open_channel
from service.console import ConsoleSettings, RunningConsole, start_console
from tests.conftest import EXAMPLES
from tests.service.api.test_auth import TOKENS, serve


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
