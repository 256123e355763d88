"""`orderroute serve`: its flags come from the settings table (service.api.settings.FLAGS)."""

from __future__ import annotations

import argparse
import logging
import socket
import threading
from collections.abc import Mapping
from typing import Any

from service.api.settings import DEFAULTS, FLAGS, Settings
from service.cli._common import CliError
from service.cli.console import add_console_flags, start_beside


def register(sub: Any) -> None:
    s = sub.add_parser("serve", help="run the gRPC service")
    add_settings_flags(s)
    s.add_argument("--workers", type=int, default=1, help="server processes sharing the port (default 1)")
    add_console_flags(s)
    s.set_defaults(run=_serve)


def add_settings_flags(parser: argparse.ArgumentParser) -> None:
    for flag in FLAGS:
        if not flag.name:
            continue
        default = DEFAULTS[flag.field]
        described = f"{flag.help} (default {default})" if default not in (None, False, True, ()) else flag.help
        if flag.env:
            described += f"; or {flag.env}"
        help_text = argparse.SUPPRESS if flag.hidden else described
        if isinstance(default, bool):
            # The flag sets the value that is not the default (--no-seed turns seeding off).
            parser.add_argument(flag.name, dest=flag.field, action="store_const", const=not default, help=help_text)
        elif flag.many:
            metavar = flag.name.removeprefix("--").upper().replace("-", "_")
            parser.add_argument(
                flag.name, dest=flag.field, action="extend", type=flag.parse, metavar=metavar, help=help_text
            )
        else:
            metavar = flag.name.removeprefix("--").upper().replace("-", "_")
            parser.add_argument(flag.name, dest=flag.field, type=flag.parse, metavar=metavar, help=help_text)


def settings_from_args(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the environment, then the flags given."""
    return Settings.from_env(env, **{f.field: getattr(args, f.field, None) for f in FLAGS if f.name})


def _check_free(host: str, port: int) -> None:
    """One line, before anything starts, when the address cannot be listened on (gRPC would say it in
    a log line and a traceback)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise CliError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; is another orderroute serve running? "
            "choose another port with --port N"
        ) from None


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from_args(args)
    settings.webhook_config()  # a webhook setting that cannot work stops here, naming its flag
    if args.workers <= 1 and settings.port and not settings.reuse_port:
        _check_free(settings.host, settings.port)
    if args.workers > 1:
        from service.api.workers import serve_workers

        if args.console_port:
            print("console off with --workers: run `orderroute console --server HOST:PORT` beside them", flush=True)
        return serve_workers(settings, args.workers)
    from service.api.process import serve

    ready = threading.Event()
    threading.Thread(target=_console_when, args=(ready, settings, args), name="console-start", daemon=True).start()
    serve(settings, ready)
    return 0


def _console_when(ready: threading.Event, settings: Settings, args: argparse.Namespace) -> None:
    """Starts the console once the gRPC server serves (it is the console's only way in); it stops with
    the process."""
    ready.wait()
    if settings.port == 0:
        print("console off: the gRPC port is chosen at start (give --port N)", flush=True)
        return
    start_beside(settings, settings.port, args.console_host, args.console_port, args.console_secure_cookies)
