"""`orderroute decisions show ORDER_ID|DECISION_ID`: why an order went where it did (DecisionService)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.cli._common import call, print_message, remote, time_text

TRUTH_WORDS = {pb.TRUTH_TRUE: "yes", pb.TRUTH_FALSE: "no", pb.TRUTH_UNKNOWN: "unknown"}
MATCH_WORDS = {pb.TRUTH_TRUE: "matched", pb.TRUTH_FALSE: "did not match", pb.TRUTH_UNKNOWN: "could not tell"}


def register(sub: Any) -> None:
    decisions = sub.add_parser("decisions", help="decisions as they were made, with the order's inputs")
    commands = decisions.add_subparsers(dest="decisions_command", required=True)
    show = remote(commands.add_parser("show", help="why an order went where it did"))
    show.add_argument("id", help="an order id (its latest decision under each rule set) or a decision id")
    show.add_argument("--rule-set", default="", help="only the order's decision under this rule set")
    show.set_defaults(run=_show)


def _show(args: argparse.Namespace) -> int:
    as_order = pb.ExplainDecisionRequest(order_id=args.id, rule_set=args.rule_set)
    try:
        reply = call(args, pb_grpc.DecisionServiceStub, "ExplainDecision", as_order)
    except grpc.RpcError as exc:
        if exc.code() is not grpc.StatusCode.NOT_FOUND:
            raise
        try:  # not an order id the service knows: perhaps a decision id
            reply = call(
                args, pb_grpc.DecisionServiceStub, "ExplainDecision", pb.ExplainDecisionRequest(decision_id=args.id)
            )
        except grpc.RpcError as again:
            if again.code() is not grpc.StatusCode.NOT_FOUND:
                raise
            raise exc from None
    if args.json:
        return print_message(reply)
    print("\n\n".join(explained_text(d) for d in reply.decisions))
    return 0


def explained_text(d: pb.ExplainedDecision) -> str:
    arm = pb.Arm.Name(d.arm).removeprefix("ARM_").lower().replace("unspecified", "none")
    decided = json.loads(d.decided_json)
    lines = [
        f"order {d.order_id or '-'}: decision {d.decision_id}, {time_text(d.decided_at)}",
        f"  {d.rule_set} v{d.version} ({d.content_hash}), arm {arm}"
        + (f" of {d.experiment_id}" if d.experiment_id else ""),
        "  decided: " + ", ".join(f"{k} {v}" for k, v in decided.items() if v not in ("", [], None, False)),
        "  matched: "
        + (", ".join(d.matched_rules) or "none")
        + (" (the default decided the rest)" if d.default_rule_used else ""),
    ]
    if d.missing_facts:
        lines.append("  unknown facts: " + ", ".join(d.missing_facts))
    if d.masked:
        lines.append("  masked before logging: " + ", ".join(d.masked))
    lines.append(
        "  reproduced: yes"
        if not d.disagreements
        else "  reproduced: NO, the re-evaluation differs: " + "; ".join(d.disagreements)
    )
    lines.append("  rules:")
    for r in d.rules:
        decided_by = f", decided {', '.join(r.decided)}" if r.decided else ""
        lines.append(f"    {r.rule_id} (priority {r.priority}): {MATCH_WORDS.get(r.matched, '?')}{decided_by}")
        for t in r.tests:
            where = f" on {t.scope.replace('_', ' ')}" if t.scope else ""
            negated = "not " if t.negated else ""
            held = TRUTH_WORDS.get(t.held, "?")
            lines.append(f"      {negated}{t.fact}{where} {t.test}: the order has {t.value_json} -> {held}")
    lines.append("  inputs: " + d.inputs_json)
    return "\n".join(lines)
