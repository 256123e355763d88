"""`orderroute console`: the web console on its own, for deployments that keep routing replicas free
of UI; and the console `orderroute serve` starts beside the gRPC server."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import threading
from typing import Any

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.settings import Settings
from service.cli._common import CliError, remote
from service.client.channel import ClientOptions, open_channel
from service.console import DEFAULT_PORT, ConsoleError, ConsoleSettings, RunningConsole, start_console

LOOPBACK = "127.0.0.1"
SECURE_HELP = "mark the session cookie Secure: people reach the console over HTTPS (a TLS-terminating proxy)"


def register(sub: Any) -> None:
    c = remote(sub.add_parser("console", help="run the web console against a running server"))
    c.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT})")
    c.add_argument("--host", default=LOOPBACK, help=f"address to listen on (default {LOOPBACK})")
    c.add_argument("--secure-cookies", action="store_true", help=SECURE_HELP)
    c.set_defaults(run=_console)


def add_console_flags(parser: argparse.ArgumentParser) -> None:
    """`serve`'s console flags."""
    parser.add_argument(
        "--console-port",
        type=int,
        default=DEFAULT_PORT,
        metavar="N",
        help=f"serve the web console on this port too (default {DEFAULT_PORT}; 0 turns it off)",
    )
    parser.add_argument("--console-host", default=LOOPBACK, help=f"the console's address (default {LOOPBACK})")
    parser.add_argument("--console-secure-cookies", action="store_true", help=SECURE_HELP)


def _console(args: argparse.Namespace) -> int:
    # No token on the channel: each call carries the signed-in person's own.
    options = ClientOptions.from_env(tls_ca=args.tls_ca, tls_cert=args.tls_cert, tls_key=args.tls_key)
    try:
        grpc_channel = open_channel(args.server, dataclasses.replace(options, token=None))
    except OSError as exc:
        raise CliError(f"{exc.filename}: cannot read: {exc.strerror}") from None
    try:
        auth_enabled = _asks_for_tokens(grpc_channel)
    except grpc.RpcError as exc:
        raise CliError(
            f"no orderroute server answers at {args.server} ({exc.code().name}); start one with `orderroute serve`, "
            "or point at one with --server HOST:PORT"
        ) from None
    console = _start(grpc_channel, args.host, args.port, ConsoleSettings(auth_enabled, args.secure_cookies))
    print(f"console on http://{args.host}:{console.port} for the server at {args.server}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    console.stop()
    return 0


def start_beside(
    settings: Settings, grpc_port: int, host: str, port: int, secure_cookies: bool = False
) -> RunningConsole | None:
    """The console of `orderroute serve`, calling its own gRPC server; None (with a line saying why) when
    it cannot start, which leaves routing serving."""
    if port == 0:
        return None
    if settings.tls_client_ca is not None:
        print("console off: the server requires client certificates; run `orderroute console` with yours", flush=True)
        return None
    options = ClientOptions(tls_ca=settings.tls_cert) if settings.tls_cert else ClientOptions()
    auth_enabled = settings.auth_file is not None or bool(settings.tokens)
    try:
        console_settings = ConsoleSettings(auth_enabled, secure_cookies)
        console = _start(open_channel(f"{LOOPBACK}:{grpc_port}", options), host, port, console_settings)
    except CliError as exc:
        print(f"console off: {exc}", flush=True)
        return None
    print(f"console on http://{host}:{console.port}", flush=True)
    return console


def _start(grpc_channel: grpc.Channel, host: str, port: int, settings: ConsoleSettings) -> RunningConsole:
    try:
        return start_console(grpc_channel, host, port, settings)
    except ConsoleError as exc:
        raise CliError(str(exc)) from None


def _asks_for_tokens(grpc_channel: grpc.Channel) -> bool:
    """Whether the server checks tokens: GetCaller without one says so, or is refused."""
    try:
        reply = pb_grpc.AccessServiceStub(grpc_channel).GetCaller(pb.GetCallerRequest(), timeout=10)
    except grpc.RpcError as exc:
        if exc.code() is grpc.StatusCode.UNAUTHENTICATED:
            return True
        raise
    return bool(reply.auth_enabled)
