"""The `orderroute` command line, one module per command group.

    orderroute serve [--port N] [--data-dir DIR] [--workers N] ...            (serve)
    orderroute rules validate|test FILE                                         (rules, offline)
    orderroute rules publish FILE | activate NAME VERSION --reason WHY
    orderroute rules list | show NAME | diff NAME FROM TO | audit NAME
    orderroute route ORDER.json|yaml | health                                   (route)
    orderroute experiments start|ramp|pause|resume|results|promote|rollback|abort|show|list
    orderroute simulate --scenario improve|harm                                 (simulate)
    orderroute bench [--quick] [--json PATH]                                    (bench)

Commands that talk to a server take --server HOST:PORT and --json.
Exit status: 0 ok, 1 the thing checked is bad (invalid rules, failed call), 2 usage.

May import: service.client, service.api (settings, and the server for `serve`), rules,
experiments, loadtest (for `bench`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import grpc

from service.api.settings import ConfigError
from service.cli import bench, experiments, route, rules, serve, simulate
from service.cli._common import CliError


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (CliError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except grpc.RpcError as exc:
        print(f"error: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orderroute", description="Dynamic order routing with versioned rule sets.")
    sub = parser.add_subparsers(metavar="COMMAND")
    for group in (serve, rules, experiments, simulate, bench, route):
        group.register(sub)
    return parser
