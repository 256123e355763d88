"""The `orderroute` command line, one module per command group.

    orderroute serve [--port N] [--data-dir DIR] [--workers N] [--console-port N] ...  (serve)
    orderroute console --server HOST:PORT [--port N]                           (console)
    orderroute rules validate|test FILE                                         (rules, offline)
    orderroute rules publish FILE | activate NAME VERSION --reason WHY
    orderroute rules list | show NAME | diff NAME FROM TO | audit NAME
    orderroute route ORDER.json|yaml | health                                   (route)
    orderroute experiments start|ramp|pause|resume|results|promote|rollback|abort|show|list
    orderroute simulate --scenario improve|harm                                 (simulate)
    orderroute bench [--quick] [--json PATH]                                    (bench)
    orderroute health-report NAME [--since 1h] [--bucket 5m]                    (health)

Commands that talk to a server take --server HOST:PORT and --json.
Exit status: 0 ok, 1 the thing checked is bad (invalid rules, failed call), 2 usage.

May import: service.client, service.api (settings, and the server for `serve`), service.console, rules,
experiments, loadtest (for `bench`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from importlib import metadata

import grpc

from service.api.settings import ConfigError
from service.cli import bench, console, decisions, examples, experiments, health, route, rules, serve, simulate
from service.cli._common import CliError, rpc_failure, with_rule_set_hint


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.json = bool(getattr(args, "json", False) or args.json_first)  # --json before or after the command
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (CliError, ConfigError) as exc:
        return _failed(args, {"error": str(exc)}, f"error: {exc}")
    except grpc.RpcError as exc:
        failure = with_rule_set_hint(args, rpc_failure(exc, getattr(args, "server", "")))
        return _failed(args, failure.as_json(), f"error: {failure.line}")
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
        with contextlib.suppress(OSError, ValueError):  # and nothing at exit either, when stdout is flushed
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _failed(args: argparse.Namespace, as_json: dict[str, object], line: str) -> int:
    print(json.dumps(as_json) if args.json else line, file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orderroute", description="Dynamic order routing with versioned rule sets.")
    parser.add_argument("--version", action="version", version=f"orderroute {metadata.version('orderroute')}")
    parser.add_argument("--json", dest="json_first", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(metavar="COMMAND")
    for group in (serve, console, rules, experiments, simulate, bench, route, health, decisions):
        group.register(sub)
    examples.attach(parser)
    return parser
