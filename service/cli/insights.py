"""`orderroute rules insights NAME`: per rule, the logged orders it matched and decided, and the outcomes
reported for the orders it decided beside the rest's, the worst first (GetRuleInsights)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.cli._common import call, print_message, remote
from service.cli.health import moment
from service.cli.replay import stamp

RATES = ("exception", "on_time", "complaint")


def register(rules: Any) -> None:
    c = remote(rules.add_parser("insights", help="per rule: orders matched and decided, and how they fared"))
    c.add_argument("name", help="rule set")
    c.add_argument("--since", default="", help="a duration back from now (7d) or a UTC time (default: all kept)")
    c.add_argument("--until", default="", help="a UTC time (default: now)")
    c.add_argument("--limit", type=int, default=100_000, help="at most this many orders, the latest")
    c.add_argument("--version", type=int, default=0, help="only orders this version decided (default: the active)")
    c.set_defaults(run=_insights, timeout=600.0)


def _insights(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    request = pb.GetRuleInsightsRequest(rule_set=args.name, limit=args.limit, version=args.version)
    if args.since:
        request.since.CopyFrom(stamp(moment(args.since, "--since", now)))
    if args.until:
        request.until.CopyFrom(stamp(moment(args.until, "--until", now)))
    reply = call(args, pb_grpc.DecisionServiceStub, "GetRuleInsights", request)
    if args.json:
        return print_message(reply)
    print(insights_text(reply))
    return 0


def insights_text(r: pb.GetRuleInsightsResponse) -> str:
    lines = [
        f"{r.rule_set} v{r.version}: {r.orders:,} logged orders, {r.reported:,} with a reported outcome",
        "outcomes of the orders each rule decided beside every other order's (observational, not causal),"
        " the worst first:",
    ]
    if r.not_reproduced:
        lines.append(f"note: {r.not_reproduced:,} logged decisions are no longer reproduced by v{r.version}")
    for rule in r.rules:
        fields = ", ".join(f"{f.field} {f.orders:,}" for f in rule.fields) or "none"
        priority = "the default" if rule.default_rule else f"priority {rule.priority}"
        lines.append(
            f"\n{rule.rule_id} ({priority}): matched {rule.matched:,}, decided {rule.decided:,} (fields: {fields})"
        )
        lines += [f"  {kpi_text(k)}" for k in rule.kpis if k.decided.reports]
    return "\n".join(lines)


def kpi_text(k: pb.KpiComparison) -> str:
    """exception 12.0% [9.1%, 15.6%] (n=400) vs rest 2.0% [1.7%, 2.4%] (n=9,600): +10.0 points [+7.0, +13.6]"""
    if not (k.decided.reports and k.rest.reports):
        change = "no comparison"
    elif k.metric in RATES:
        change = f"{k.difference * 100:+.1f} points [{k.difference_low * 100:+.1f}, {k.difference_high * 100:+.1f}]"
    else:
        change = f"{k.difference:+,.1f} [{k.difference_low:+,.1f}, {k.difference_high:+,.1f}]"
    return f"{k.metric} {_side(k.metric, k.decided)} vs rest {_side(k.metric, k.rest)}: {change}"


def _side(metric: str, e: pb.KpiEstimate) -> str:
    if not e.reports:
        return "none reported"
    if metric in RATES:
        return f"{e.mean:.1%} [{e.low:.1%}, {e.high:.1%}] (n={e.reports:,})"
    return f"{e.mean:,.1f} [{e.low:,.1f}, {e.high:,.1f}] (n={e.reports:,})"
