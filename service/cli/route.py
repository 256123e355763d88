"""`orderroute route` (an order file through the server, the decision explained) and `orderroute health`.

With --rules FILE the order is routed offline against a draft rule set; with --version N, locally
against a published version's source. Both try the order as the server's TryRuleSet does (rules.trial,
which also resolves the warehouse node; the differential test holds it equal to the engine) and print
the table the online route prints.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

import rules
from rules.trial import try_order
from service.cli._common import CliError, call, print_json, print_message, remote, rule_set_names, version_number
from service.cli.orders import OrderFile, order_facts, order_message, read_order
from service.cli.rules import check_file, valid_rule_set
from service.client.report import table


def register(sub: Any) -> None:
    c = remote(sub.add_parser("route", help="route an order file (JSON or YAML) and print the decision"))
    c.add_argument("order", type=Path)
    c.add_argument("--rule-set", default="", help="a rule set on the server (default: the server's default)")
    against = c.add_mutually_exclusive_group()
    against.add_argument(
        "--rules", type=Path, metavar="FILE", help="route offline against this draft rule set file (no server)"
    )
    against.add_argument(
        "--version",
        type=version_number,
        default=0,
        help="evaluate locally against this published version (3 or v3) of --rule-set (default: the only one)",
    )
    c.set_defaults(run=_route)

    remote(sub.add_parser("health", help="exit 0 when the server reports SERVING")).set_defaults(run=_health)


def _route(args: argparse.Namespace) -> int:
    order = read_order(args.order)
    if args.rules is not None:
        if args.rule_set:
            raise CliError("--rules routes against the file, --rule-set against the server: give one of them")
        facts = order_facts(order)
        return _route_locally(args, facts, check_file(args.rules), 0, str(args.rules))
    if args.version:
        return _route_at_version(args, order)
    reply = call(
        args, pb_grpc.RoutingServiceStub, "Route", pb.RouteRequest(order=order_message(order), rule_set=args.rule_set)
    )
    if args.json:
        return print_message(reply)
    d = reply.decision
    print(
        decision_text(
            decision_from_proto(d),
            f"decision {d.decision_id}: {d.rule_set} v{d.version} ({d.content_hash[:19]}), "
            f"evaluated in {d.evaluation_micros} µs",
        )
    )
    return 0


def _route_at_version(args: argparse.Namespace, order: OrderFile) -> int:
    facts = order_facts(order)  # before any call: a bad order file needs no server to be told
    name = args.rule_set or _only_rule_set(args)
    found = call(args, pb_grpc.RuleSetServiceStub, "GetRuleSet", pb.GetRuleSetRequest(name=name, version=args.version))
    v = found.version
    result = rules.check(v.source, f"{v.name} v{v.version}")
    return _route_locally(args, facts, result, v.version, f"{v.name} version {v.version}")


def _only_rule_set(args: argparse.Namespace) -> str:
    """The rule set --version means when --rule-set is not given: the server's only one."""
    names = rule_set_names(args)
    if len(names) == 1:
        return names[0]
    raise CliError(f"--version needs --rule-set NAME: the server has {', '.join(names) or 'no rule sets'}")


def _route_locally(
    args: argparse.Namespace, facts: rules.OrderFacts, result: rules.CheckResult, version: int, against: str
) -> int:
    """Tries the order as the server's TryRuleSet does."""
    rule_set = valid_rule_set(result, f"{against}: not routed")
    decision = try_order(rule_set, facts, version, result.content_hash).decision
    if args.json:
        print_json({"evaluated_locally_against": against, "decision": dataclasses.asdict(decision)})
    else:
        print(decision_text(decision, f"evaluated locally against {against} ({decision.content_hash[:19]})"))
    return 0


def decision_text(d: rules.Decision, provenance: str) -> str:
    """The route table, online and offline alike: each field, its value and the rule that decided it."""
    rows = [
        ["path", d.path],
        ["risk_review", d.risk_review],
        ["credit_review", d.credit_review],
        ["warehouse", d.warehouse + (f" -> {d.warehouse_node}" if d.warehouse_node else "")],
        ["carrier", d.carrier + (" (priority pickup)" if d.priority_pickup else "")],
        ["cs_queue", d.cs_queue],
        ["holds", ", ".join(d.holds)],
        ["tags", ", ".join(d.tags)],
        ["avoid", ", ".join(d.avoid_warehouse_types)],
    ]
    lines = [
        table(["FIELD", "VALUE", "DECIDED BY"], [[k, v, d.decided_by.get(k, "")] for k, v in rows]),
        "",
        provenance,
        f"matched: {', '.join(d.matched_rules) or '(none: default rule)'}",
    ]
    if d.missing_facts:
        lines.append(f"missing facts: {', '.join(d.missing_facts)}")
    return "\n".join(lines)


def decision_from_proto(d: pb.Decision) -> rules.Decision:
    """The server's decision as the rules package has it, so one table shows both."""
    return rules.Decision(
        path=d.path,
        risk_review=rules.Review(pb.Review.Name(d.risk_review).removeprefix("REVIEW_")),
        credit_review=rules.Review(pb.Review.Name(d.credit_review).removeprefix("REVIEW_")),
        warehouse=d.warehouse,
        warehouse_node=d.warehouse_node,
        carrier=d.carrier,
        priority_pickup=d.priority_pickup,
        cs_queue=d.cs_queue,
        holds=tuple(d.holds),
        tags=tuple(d.tags),
        avoid_warehouse_types=tuple(
            pb.WarehouseType.Name(t).removeprefix("WAREHOUSE_TYPE_") for t in d.avoid_warehouse_types
        ),
        rule_set=d.rule_set,
        version=d.version,
        content_hash=d.content_hash,
        matched_rules=tuple(d.matched_rules),
        default_rule_used=d.default_rule_used,
        missing_facts=tuple(d.missing_facts),
        decided_by=dict(d.decided_by),
    )


def _health(args: argparse.Namespace) -> int:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    reply = call(args, health_pb2_grpc.HealthStub, "Check", health_pb2.HealthCheckRequest())
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(json.dumps({"status": status}) if args.json else status)
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1
