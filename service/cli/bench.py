"""`orderroute bench`: the benchmark harness (loadtest.bench), the service against an echo baseline."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    c = sub.add_parser("bench", help="the benchmark harness: the service against an echo baseline")
    c.add_argument("--quick", action="store_true", help="a smoke run of well under a minute")
    c.add_argument("--json", help="also write the figures here")
    c.set_defaults(run=_bench)


def _bench(args: argparse.Namespace) -> int:
    from loadtest.bench import main as bench

    return bench([*(["--quick"] if args.quick else []), *(["--json", args.json] if args.json else [])])
