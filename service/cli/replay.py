"""`orderroute rules replay NAME --candidate VERSION|FILE`: logged orders decided again by the version that
decided them and by a candidate; what would change, for whom, because of which rules (ReplayRuleSet)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.cli._common import CliError, channel, print_message, read, remote
from service.cli.health import moment
from service.client.report import table

BAR = 30


def register(rules: Any) -> None:
    c = remote(rules.add_parser("replay", help="what a candidate would change on logged orders"))
    c.add_argument("name", help="rule set")
    c.add_argument("--candidate", required=True, help="a published version (3 or v3) or a rule set file")
    c.add_argument("--since", default="", help="a duration back from now (1d) or a UTC time (default: all kept)")
    c.add_argument("--until", default="", help="a UTC time (default: now)")
    c.add_argument("--limit", type=int, default=100_000, help="at most this many orders, oldest first")
    c.add_argument("--by", default="", help="fact paths to break the report down by: channel,customer.tier,...")
    c.set_defaults(run=_replay, timeout=600.0)


def _replay(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    request = pb.ReplayRuleSetRequest(
        rule_set=args.name, limit=args.limit, by=[p.strip() for p in args.by.split(",") if p.strip()]
    )
    candidate = args.candidate.strip()
    if candidate.lower().removeprefix("v").isdigit():
        request.candidate_version = int(candidate.lower().removeprefix("v"))
    else:
        request.candidate_source = read(Path(candidate))
    if args.since:
        request.since.CopyFrom(stamp(moment(args.since, "--since", now)))
    if args.until:
        request.until.CopyFrom(stamp(moment(args.until, "--until", now)))
    report = None
    with channel(args) as chan:
        for step in pb_grpc.DecisionServiceStub(chan).ReplayRuleSet(request, timeout=args.timeout):
            if step.HasField("report"):
                report = step.report
            elif not args.json:
                _bar(step.replayed, step.total)
    if not args.json:
        print(file=sys.stderr)
    if report is None:
        raise CliError("the replay ended without its report")
    if args.json:
        return print_message(report)
    print(report_text(report))
    return 0


def stamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


def _bar(done: int, total: int) -> None:
    filled = BAR * done // total if total else BAR
    print(f"\rreplaying [{'#' * filled}{'.' * (BAR - filled)}] {done:,}/{total:,} orders", end="", file=sys.stderr)


def _kpi(k: pb.OutcomeKpi) -> str:
    if k.metric in ("logistics_cost_minor", "fulfilment_hours"):
        return f"{k.metric} {k.mean:,.1f} (n={k.reports:,})"
    return f"{k.metric} {k.mean:.1%} (n={k.reports:,})"


def report_text(r: pb.ReplayReport) -> str:
    share = r.changed / r.replayed if r.replayed else 0.0
    lines = [
        f"{r.replayed:,} orders replayed; the candidate changes {r.changed:,} "
        f"({share:.2%}, 95% interval {r.changed_low:.2%} to {r.changed_high:.2%})",
        (
            "fidelity: every logged decision reproduced by the version that made it"
            if not r.not_reproduced
            else f"fidelity: {r.not_reproduced:,} logged decisions NOT reproduced"
            + ("" if r.trusted else ": this replay cannot be trusted")
        ),
    ]
    lines += [f"  {example}" for example in r.not_reproduced_examples]
    for f in r.fields:
        lines.append(f"\n{f.field}: {f.changed:,} orders change")
        lines += [f"  {t.from_value} -> {t.to_value}: {t.orders:,}" for t in f.transitions]
    if r.segments:
        lines.append("")
        rows = [
            [s.fact, s.value, f"{s.replayed:,}", f"{s.changed:,}", f"{s.changed / s.replayed:.1%}"] for s in r.segments
        ]
        lines.append(table(["BY", "VALUE", "REPLAYED", "CHANGED", "SHARE"], rows))
    if r.causes:
        lines.append("\nrules behind the changes:")
        lines += [f"  {c.rule_id}: {c.orders:,} orders" for c in r.causes]
    if r.outcomes:
        lines.append("\noutcomes reported for these orders, as they were routed (observational, not causal):")
        for g in r.outcomes:
            who = {"changed": "orders the candidate changes", "unchanged": "orders it leaves as they are"}.get(
                g.group, f"orders already decided with {g.field} {g.value}"
            )
            figures = ", ".join(_kpi(k) for k in g.kpis)
            lines.append(f"  {who}: {figures}")
    if r.examples:
        lines.append("\nexamples (before -> after):")
        for e in r.examples[:10]:
            lines.append(f"  {e.order_id} ({e.decision_id}) {e.field}: {e.from_value} -> {e.to_value}")
    return "\n".join(lines)
