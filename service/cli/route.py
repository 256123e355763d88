"""`orderroute route` (an order file through the server, the decision explained) and `orderroute health`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

import rules
from rules._yaml import YamlError, load_yaml
from service.cli._common import CliError, call, looks_like, print_message, print_table, read, remote
from service.client.documents import order_from_document


def register(sub: Any) -> None:
    c = remote(sub.add_parser("route", help="route an order file (JSON or YAML) and print the decision"))
    c.add_argument("order", type=Path)
    c.add_argument("--rule-set", default="")
    c.set_defaults(run=_route)

    remote(sub.add_parser("health", help="exit 0 when the server reports SERVING")).set_defaults(run=_health)


def _route(args: argparse.Namespace) -> int:
    text = read(args.order)
    try:
        doc = load_yaml(text)  # JSON is YAML too
    except YamlError as exc:
        raise CliError(f"{args.order}:{exc.line}: {exc.message}") from None
    if looks_like(doc) == "rule set":
        raise CliError(
            f"{args.order}: this is a rule set, not an order: check it with `orderroute rules validate {args.order}`, "
            "publish it with `orderroute rules publish`, then route an order file"
        )
    if not isinstance(doc, dict):
        raise CliError(f"{args.order}:1: an order is a mapping of order facts")
    try:
        order = order_from_document(doc)
    except rules.InvalidOrder as exc:
        raise CliError(f"{args.order}: {exc.message}") from None
    reply = call(args, pb_grpc.RoutingServiceStub, "Route", pb.RouteRequest(order=order, rule_set=args.rule_set))
    if args.json:
        return print_message(reply)
    d = reply.decision
    rows = [
        ["path", d.path],
        ["risk_review", pb.Review.Name(d.risk_review).removeprefix("REVIEW_")],
        ["credit_review", pb.Review.Name(d.credit_review).removeprefix("REVIEW_")],
        ["warehouse", d.warehouse + (f" -> {d.warehouse_node}" if d.warehouse_node else "")],
        ["carrier", d.carrier + (" (priority pickup)" if d.priority_pickup else "")],
        ["cs_queue", d.cs_queue],
        ["holds", ", ".join(d.holds)],
        ["tags", ", ".join(d.tags)],
        ["avoid", ", ".join(pb.WarehouseType.Name(t).removeprefix("WAREHOUSE_TYPE_") for t in d.avoid_warehouse_types)],
    ]
    print_table(["FIELD", "VALUE", "DECIDED BY"], [[k, v, d.decided_by.get(k, "")] for k, v in rows])
    print()
    print(
        f"decision {d.decision_id}: {d.rule_set} v{d.version} ({d.content_hash[:19]}), "
        f"evaluated in {d.evaluation_micros} µs"
    )
    print(f"matched: {', '.join(d.matched_rules) or '(none: default rule)'}")
    if d.missing_facts:
        print(f"missing facts: {', '.join(d.missing_facts)}")
    return 0


def _health(args: argparse.Namespace) -> int:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    reply = call(args, health_pb2_grpc.HealthStub, "Check", health_pb2.HealthCheckRequest())
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(json.dumps({"status": status}) if args.json else status)
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1
