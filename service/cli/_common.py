"""What the commands share: talking to a server, reading files, printing."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import getpass
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.settings import DEFAULT_PORT
from service.client.channel import ClientOptions, open_channel
from service.client.errors import error_details
from service.client.report import table

DEFAULT_SERVER = f"127.0.0.1:{DEFAULT_PORT}"
SERVER_VARIABLE = "ORDERROUTE_SERVER"


class CliError(Exception):
    """A message for the user; exit status 1."""


def remote(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the options every command that talks to a server takes."""
    p.add_argument(
        "--server",
        default=os.environ.get(SERVER_VARIABLE) or DEFAULT_SERVER,
        help=f"HOST:PORT (default: {SERVER_VARIABLE}, else {DEFAULT_SERVER})",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per call")
    p.add_argument("--token", help="bearer token (default: ORDERROUTE_TOKEN)")
    p.add_argument("--tls-ca", type=Path, help="CA of the server's certificate: connect with TLS (ORDERROUTE_TLS_CA)")
    p.add_argument("--tls-cert", type=Path, help="client certificate, PEM, for mutual TLS")
    p.add_argument("--tls-key", type=Path, help="client private key, PEM, for mutual TLS")
    return p


@dataclass(frozen=True, slots=True)
class RpcFailure:
    """A failed call as the user should read it: one line, and what --json prints."""

    code: str
    message: str
    reason: str = ""
    field: str = ""
    server: str = ""

    @property
    def line(self) -> str:
        if self.code == "UNAVAILABLE" and self.server:
            return (
                f"no orderroute server answers at {self.server} ({self.message}); start one with "
                f"`orderroute serve`, or point at one with --server HOST:PORT or {SERVER_VARIABLE}"
            )
        return f"{self.code}: {self.message}"

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"error": self.message, "code": self.code, "reason": self.reason}
        if self.field:
            out["field"] = self.field
        return out


def rpc_failure(exc: grpc.RpcError, server: str) -> RpcFailure:
    """What a failed call says: its code and message, and the reason and field of its rich details."""
    code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    message = exc.details() if hasattr(exc, "details") else str(exc)
    reason, field = error_details(exc)
    first_line = (message or "").splitlines()[0] if message else ""
    shown = first_line if code is grpc.StatusCode.UNAVAILABLE else message or ""
    return RpcFailure(code.name, shown, reason, field, server)


MISSING_RULE_SET_REASONS = frozenset({"RULE_SET_NOT_FOUND", "VERSION_NOT_FOUND"})
"""A version of a rule set that does not exist is not found too (`rules show NAME --version 2`)."""
SHOWN_NAMES = 10


def with_rule_set_hint(args: argparse.Namespace, failure: RpcFailure) -> RpcFailure:
    """A rule set the server does not know, said with the name that was probably meant."""
    asked = getattr(args, "rule_set", "") or getattr(args, "name", "")  # --rule-set, or `rules ... NAME`
    if failure.reason not in MISSING_RULE_SET_REASONS or not asked:
        return failure
    try:
        names = rule_set_names(args)
    except grpc.RpcError:
        return failure  # what the server said first is still true
    if asked in names:
        return failure  # it exists: its version or active version is what is missing
    meant = closest(asked, names)
    if meant:
        known = f"did you mean {meant!r}?"
    elif names:
        more = ", ..." if len(names) > SHOWN_NAMES else ""
        known = f"the server has {', '.join(names[:SHOWN_NAMES])}{more}"
    else:
        known = "the server has none yet: publish one with `orderroute rules publish FILE`"
    return dataclasses.replace(failure, message=f"rule set {asked!r} not found; {known}")


def rule_set_names(args: argparse.Namespace) -> list[str]:
    """The server's rule set names (the first 1,000: enough to find a misspelt one)."""
    reply = call(args, pb_grpc.RuleSetServiceStub, "ListRuleSets", pb.ListRuleSetsRequest(page_size=1000))
    return [s.name for s in reply.rule_sets]


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option a misspelling most likely meant, case aside (difflib, as `rules validate` does)."""
    by_upper = {option.upper(): option for option in options}
    found = difflib.get_close_matches(word.upper(), list(by_upper), n=1)
    return by_upper[found[0]] if found else None


def channel(args: argparse.Namespace) -> grpc.Channel:
    options = ClientOptions.from_env(token=args.token, tls_ca=args.tls_ca, tls_cert=args.tls_cert, tls_key=args.tls_key)
    try:
        return open_channel(args.server, options)
    except OSError as exc:
        raise CliError(f"{exc.filename}: cannot read: {exc.strerror}") from None


def call(args: argparse.Namespace, stub_type: Callable[[grpc.Channel], Any], method: str, request: Any) -> Any:
    with channel(args) as chan:
        return getattr(stub_type(chan), method)(request, timeout=args.timeout)


def user(explicit: str | None) -> str:
    return explicit or getpass.getuser()


def read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CliError(f"{path}: not UTF-8 text") from None


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def print_message(message: Any) -> int:
    print_json(json_format.MessageToDict(message, preserving_proto_field_name=True))
    return 0


def print_table(header: list[str], rows: list[list[str]]) -> None:
    print(table(header, rows))


def time_text(ts: Any) -> str:
    return str(ts.ToDatetime().strftime("%Y-%m-%d %H:%M:%S")) + "Z"


def percent(text: str) -> int:
    """'5', '5%' or '0.25' percent -> basis points, in 0.01% steps."""
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage") from None
    bp = round(value * 100)
    if abs(bp - value * 100) > 1e-6:
        raise argparse.ArgumentTypeError(f"{text!r}: traffic goes in steps of 0.01%")
    return bp


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


ORDER_KEYS = frozenset({"order_id", "lines", "customer", "order_type", "channel", "total_minor", "logistics"})


def looks_like(doc: object) -> str:
    """ "rule set", "order" or "" for a loaded YAML document: to say so when one is given for the other."""
    if not isinstance(doc, dict):
        return ""
    if "rules" in doc:
        return "rule set"
    return "order" if ORDER_KEYS & set(doc) else ""


def version_number(text: str) -> int:
    """A version as the CLI prints it (`v3`) or as a number (`3`)."""
    digits = text[1:] if text[:1] in ("v", "V") else text
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a version: write it as 3 or v3")
    return int(digits)


def duration_pairs(items: list[str], what: str) -> dict[str, int]:
    """METRIC=DURATION options (72h, 3d, 30m, 0) -> metric: seconds."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        number, unit = value.strip(), "s"
        if number and number[-1] in DURATION_UNITS:
            number, unit = number[:-1], number[-1]
        try:
            seconds = float(number) * DURATION_UNITS[unit]
        except ValueError:
            raise CliError(f"{what} {item!r}: write METRIC=DURATION, e.g. on_time=72h or returned=14d") from None
        if not sep or not name.strip():
            raise CliError(f"{what} {item!r}: write METRIC=DURATION, e.g. on_time=72h or returned=14d")
        out[name.strip()] = round(seconds)
    return out


def pairs(items: list[str], what: str) -> dict[str, float]:
    """METRIC=NUMBER options -> a mapping."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise CliError(f"{what} {item!r}: write METRIC=NUMBER") from None
        if not sep:
            raise CliError(f"{what} {item!r}: write METRIC=NUMBER")
    return out
