"""Serving the console: uvicorn on its own thread, beside the gRPC server or on its own."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from dataclasses import dataclass

import grpc
import uvicorn

from service.console.app import ConsoleSettings, create_app

DEFAULT_PORT = 8080


class ConsoleError(Exception):
    """The console cannot start as asked (one line: why, and what to do)."""


@dataclass
class RunningConsole:
    server: uvicorn.Server
    thread: threading.Thread
    port: int

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def start_console(channel: grpc.Channel, host: str, port: int, settings: ConsoleSettings) -> RunningConsole:
    """Starts listening (port 0: any free one) and returns once it does; ConsoleError if it cannot."""
    if not settings.auth_enabled and not is_loopback(host):
        raise ConsoleError(
            f"the console would let anyone at {host} change routing: without tokens it listens on 127.0.0.1 only "
            "(configure tokens, or drop --host)"
        )
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise ConsoleError(
            f"cannot listen on {host}:{port} for the console: {exc.strerror} (--console-port N)"
        ) from None
    config = uvicorn.Config(create_app(channel, settings), log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    started = threading.Event()

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        task = loop.create_task(server.serve(sockets=[listener]))
        loop.call_soon(started.set)
        loop.run_until_complete(task)
        loop.close()

    thread = threading.Thread(target=run, name="console", daemon=True)
    thread.start()
    started.wait(10)
    return RunningConsole(server, thread, listener.getsockname()[1])


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
