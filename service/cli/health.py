"""`orderroute health-report NAME`: order health of a rule set over time (OrderHealthService), as a table."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.cli._common import DURATION_UNITS, CliError, call, print_message, print_table, remote, time_text

KPIS = ("exception", "manual_intervention", "on_time", "complaint", "fulfilment_hours")
"""The outcome KPIs shown as columns (--json has every metric reported)."""
HEADER = [
    "start",
    "version",
    "arm",
    "decisions",
    "decisions_per_minute",
    "default_rule_bp",
    "latency_p50_micros",
    "latency_p99_micros",
    *KPIS,
    "paths",
]


def register(sub: Any) -> None:
    c = remote(sub.add_parser("health-report", help="order health of a rule set: decisions, latency, outcome KPIs"))
    c.add_argument("name", help="rule set")
    c.add_argument("--since", default="1h", help="a duration back from now (30m, 1h, 2d) or a UTC time (default 1h)")
    c.add_argument("--until", default="", help="a UTC time, e.g. 2026-12-02T10:00 (default: now)")
    c.add_argument("--bucket", default="5m", help="bucket width, whole minutes (1m, 5m, 1h; default 5m)")
    c.set_defaults(run=_report)


def duration(text: str, what: str) -> timedelta:
    number, unit = text.strip(), "s"
    if number and number[-1] in DURATION_UNITS:
        number, unit = number[:-1], number[-1]
    try:
        return timedelta(seconds=float(number) * DURATION_UNITS[unit])
    except ValueError:
        raise CliError(f"{what} {text!r}: write a duration such as 30m, 1h or 2d") from None


def moment(text: str, what: str, now: datetime) -> datetime:
    """A duration back from `now` (1h), or an ISO time (UTC when it names no zone)."""
    text = text.strip()
    try:
        float(text[:-1] if text[-1:] in DURATION_UNITS else text)
    except ValueError:
        pass
    else:
        return now - duration(text, what)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"{what} {text!r}: write a duration back from now (1h) or a time (2026-12-02T10:00)") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _stamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


def _report(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    until = moment(args.until, "--until", now) if args.until else None
    since = moment(args.since, "--since", until or now)
    request = pb.GetOrderHealthRequest(
        rule_set=args.name,
        since=_stamp(since),
        until=_stamp(until) if until else None,
        bucket_seconds=int(duration(args.bucket, "--bucket").total_seconds()),
    )
    reply = call(args, pb_grpc.OrderHealthServiceStub, "GetOrderHealth", request)
    if args.json:
        return print_message(reply)
    print(
        f"{reply.rule_set}: {time_text(reply.since)} to {time_text(reply.until)} in buckets of "
        f"{reply.bucket_seconds // 60} min (kept {reply.retention_seconds // 86400:g} days)"
    )
    print_table(HEADER, health_rows(reply))
    return 0


def health_rows(reply: pb.GetOrderHealthResponse) -> list[list[str]]:
    rows: list[list[str]] = []
    for bucket in reply.buckets:
        start = time_text(bucket.start)
        if not bucket.series:
            rows.append([start, "-", "-", "0", "0", *["-"] * (len(HEADER) - 5)])
        rows += [_row(start, s) for s in bucket.series]
    rows += [_row("overall", s) for s in reply.overall]
    return rows


def _row(start: str, s: pb.HealthSeries) -> list[str]:
    means = {o.metric: o for o in s.outcomes}
    kpis = [_kpi(means[m]) if m in means else "-" for m in KPIS]
    return [
        start,
        f"v{s.version}",
        pb.Arm.Name(s.arm).removeprefix("ARM_").lower().replace("unspecified", "none"),
        f"{s.decisions:,}",
        f"{s.decisions_per_minute:,.1f}",
        f"{s.default_rule_bp / 100:g}%",
        _micros(s, "latency_p50_micros"),
        _micros(s, "latency_p99_micros"),
        *kpis,
        " ".join(f"{p.path}={p.decisions:,}" for p in s.paths),
    ]


def _micros(s: pb.HealthSeries, name: str) -> str:
    return f"{getattr(s, name):,.1f} µs" if s.HasField(name) else "-"


def _kpi(o: pb.OutcomeKpi) -> str:
    value = f"{o.mean:,.2f} h" if o.metric == "fulfilment_hours" else f"{o.mean:.2%}"
    return f"{value} (n={o.reports:,})"
