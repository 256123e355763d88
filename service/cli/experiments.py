"""`orderroute experiments`: start, ramp, pause, resume, promote, roll back, abort, results, show, list."""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments import Action
from experiments.model import DEFAULT_MIN_SAMPLES, DEFAULT_PRIMARY, DEFAULT_SHARE_BP, MetricKind
from rules.wording import ENGLISH
from service.cli._common import (
    CliError,
    call,
    closest,
    duration_pairs,
    percent,
    print_message,
    print_table,
    remote,
    time_text,
    user,
    version_number,
)
from service.cli.limits import BUILT_IN, limit_pairs
from service.cli.limits import shown as shown_limit
from service.client.replay_summary import shadow_lines
from service.client.report import experiments_table, percent_bp, results_text, state_name

CHANGES = {
    Action.PAUSE: "send all traffic to the baseline for now",
    Action.RESUME: "resume a paused one",
    Action.PROMOTE: "make the candidate active for everyone",
    Action.ROLLBACK: "end it; everyone stays on the baseline",
    Action.ABORT: "end it because something is wrong",
}
NEEDS_REASON = {Action.PROMOTE, Action.ROLLBACK, Action.ABORT}


def register(sub: Any) -> None:
    x = sub.add_parser("experiments", help="gray releases: start, ramp, results, promote, abort").add_subparsers(
        metavar="ACTION"
    )
    c = remote(x.add_parser("start", help="put a candidate version on a share of traffic"))
    c.add_argument("--rule-set", required=True)
    c.add_argument("--candidate", type=version_number, required=True, help="the candidate version (3 or v3)")
    c.add_argument(
        "--traffic",
        type=percent,
        default=DEFAULT_SHARE_BP,
        help=f"candidate share in percent (default {percent_bp(DEFAULT_SHARE_BP)})".replace("%", "%%"),
    )
    c.add_argument("--unit", choices=["customer_id", "order_id"], default="customer_id")
    c.add_argument("--primary", default="", help=f"primary metric (default {DEFAULT_PRIMARY})")
    c.add_argument(
        "--guardrail",
        action="append",
        default=[],
        metavar="METRIC=LIMIT",
        help="how much worse the candidate may be: exception=+1pt (a rate, in points), "
        "logistics_cost_minor=+5%% (an amount, in percent of the baseline); repeatable",
    )
    c.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME:KIND:BETTER",
        help="declare an outcome metric of your own, reported by name: KIND rate, count or amount; BETTER higher "
        "or lower, e.g. inquiries:count:lower, nps:amount:higher; a --guardrail may then name it; repeatable",
    )
    c.add_argument(
        "--min-samples",
        type=int,
        default=0,
        help=f"customers (units) per arm with an outcome before a verdict (default {DEFAULT_MIN_SAMPLES})",
    )
    c.add_argument("--min-duration", type=int, default=0, help="seconds before a verdict")
    c.add_argument(
        "--maturity",
        action="append",
        default=[],
        metavar="METRIC=DURATION",
        help="how long after the decision a metric's outcome is known, e.g. on_time=72h, returned=14d, "
        "exception=0 (compare reports as they come); repeatable; a metric not named keeps its default",
    )
    c.add_argument("--reason", required=True)
    c.add_argument("--actor", default=None)
    c.add_argument("--bypass", default="", metavar="WHY", help="admins: start with a candidate not yet approved")
    c.set_defaults(run=_start)

    c = remote(x.add_parser("ramp", help="change the candidate's share"))
    c.add_argument("id")
    c.add_argument("--traffic", type=percent, required=True, help="percent, e.g. 10")
    c.add_argument("--reason", default=str(Action.RAMP))
    c.add_argument("--actor", default=None)
    c.set_defaults(run=_ramp)

    for action, text in CHANGES.items():
        c = remote(x.add_parser(str(action), help=text))
        c.add_argument("id")
        c.add_argument("--reason", required=action in NEEDS_REASON, default=str(action))
        c.add_argument("--actor", default=None)
        c.set_defaults(run=_change, action=action)

    c = remote(x.add_parser("results", help="arms, metrics with intervals, verdict, guardrails, sample ratio"))
    c.add_argument("id")
    c.set_defaults(run=_results)
    c = remote(x.add_parser("show", help="settings and history"))
    c.add_argument("id")
    c.set_defaults(run=_show)
    c = remote(x.add_parser("list", help="every experiment, newest first"))
    c.add_argument("--rule-set", default="")
    c.set_defaults(run=_list)


def _experiments_call(args: argparse.Namespace, method: str, request: Any) -> Any:
    return call(args, pb_grpc.ExperimentServiceStub, method, request)


def _start(args: argparse.Namespace) -> int:
    declared = declared_metrics(args.metric)
    kinds = {**BUILT_IN, **{d.name: KINDS[d.kind] for d in declared}}
    limits = limit_pairs(args.guardrail, kinds)
    # A declared metric's guardrail rides on its declaration, so the default guardrails stay.
    for d in declared:
        if d.name in limits:
            d.guardrail_limit = limits.pop(d.name)
    guardrails = [pb.GuardrailSpec(metric=m, limit=v) for m, v in limits.items()]
    unit = pb.ASSIGNMENT_UNIT_ORDER_ID if args.unit == "order_id" else pb.ASSIGNMENT_UNIT_CUSTOMER_ID
    reply = _experiments_call(
        args,
        "StartExperiment",
        pb.StartExperimentRequest(
            rule_set=args.rule_set,
            candidate_version=args.candidate,
            traffic_bp=args.traffic,
            unit=unit,
            primary_metric=args.primary,
            guardrails=guardrails,
            min_samples=args.min_samples,
            min_duration_seconds=args.min_duration,
            maturity_seconds=duration_pairs(args.maturity, "maturity"),
            metrics=declared,
            bypass_reason=args.bypass,
            actor=user(args.actor),
            reason=args.reason,
            request_id=str(uuid.uuid4()),
        ),
    )
    if args.json:
        return print_message(reply)
    print(experiments_table([reply.experiment]))
    return 0


KINDS = {
    pb.METRIC_KIND_RATE: MetricKind.RATE,
    pb.METRIC_KIND_COUNT: MetricKind.COUNT,
    pb.METRIC_KIND_AMOUNT: MetricKind.AMOUNT,
}
KIND_NAMES = {kind.value: proto for proto, kind in KINDS.items()}


def declared_metrics(items: list[str]) -> list[pb.MetricDefinition]:
    """--metric NAME:KIND:BETTER options -> the declarations StartExperiment takes."""
    out = []
    for item in items:
        name, kind, better = ([*(part.strip() for part in item.split(":")), "", ""])[:3]
        if kind not in KIND_NAMES or better not in ("higher", "lower") or not name:
            meant = closest(kind, KIND_NAMES) if kind and kind not in KIND_NAMES else None
            hint = f" (did you mean {meant}?)" if meant else ""
            raise CliError(
                f"metric {item!r}: write NAME:KIND:BETTER with KIND rate, count or amount{hint} and BETTER higher or "
                "lower, e.g. inquiries:count:lower"
            )
        out.append(pb.MetricDefinition(name=name, kind=KIND_NAMES[kind], higher_is_better=better == "higher"))
    return out


def declaration_text(d: pb.MetricDefinition) -> str:
    return f"{d.name} ({KINDS[d.kind]}, {'higher' if d.higher_is_better else 'lower'} is better)"


def _ramp(args: argparse.Namespace) -> int:
    reply = _experiments_call(
        args,
        "RampExperiment",
        pb.RampExperimentRequest(id=args.id, traffic_bp=args.traffic, actor=user(args.actor), reason=args.reason),
    )
    if args.json:
        return print_message(reply)
    print(experiments_table([reply.experiment]))
    return 0


def _change(args: argparse.Namespace) -> int:
    action: Action = args.action
    method = f"{action.capitalize()}Experiment"
    request = getattr(pb, f"{method}Request")(id=args.id, actor=user(args.actor), reason=args.reason)
    reply = _experiments_call(args, method, request)
    if args.json:
        return print_message(reply)
    print(experiments_table([reply.experiment]))
    if action is Action.PROMOTE:
        print(f"{reply.activation.name}: version {reply.activation.version} is active for everyone")
    return 0


def _results(args: argparse.Namespace) -> int:
    reply = _experiments_call(args, "GetResults", pb.GetResultsRequest(id=args.id))
    if args.json:
        return print_message(reply)
    history = _experiments_call(args, "GetExperiment", pb.GetExperimentRequest(id=args.id))
    print(results_text(reply, history.transitions))
    if reply.experiment.state in (pb.EXPERIMENT_STATE_RUNNING, pb.EXPERIMENT_STATE_PAUSED) or reply.HasField("shadow"):
        print("\nshadow (observational, not causal):")
        print("\n".join(f"  {line}" for line in shadow_lines(reply, ENGLISH)))
    return 0


def _show(args: argparse.Namespace) -> int:
    reply = _experiments_call(args, "GetExperiment", pb.GetExperimentRequest(id=args.id))
    if args.json:
        return print_message(reply)
    e = reply.experiment
    print(experiments_table([e]))
    kinds = {**BUILT_IN, **{d.name: KINDS[d.kind] for d in e.metrics}}
    guardrails = ", ".join(f"{g.metric} {shown_limit(g.metric, g.limit, kinds)}" for g in e.guardrails)
    declared = "".join(f", declares {declaration_text(d)}" for d in e.metrics)
    print(
        f"\nunit {pb.AssignmentUnit.Name(e.unit).removeprefix('ASSIGNMENT_UNIT_').lower()}, guardrails: "
        f"{guardrails}{declared}, min samples {e.min_samples}, min duration {e.min_duration_seconds}s\n"
    )
    rows = [
        [time_text(t.at), t.action, state_name(t.to_state), percent_bp(t.traffic_bp), t.actor, t.reason]
        for t in reply.transitions
    ]
    print_table(["AT", "ACTION", "STATE", "TRAFFIC", "ACTOR", "REASON"], rows)
    return 0


def _list(args: argparse.Namespace) -> int:
    reply = _experiments_call(args, "ListExperiments", pb.ListExperimentsRequest(rule_set=args.rule_set))
    if args.json:
        return print_message(reply)
    print(experiments_table(list(reply.experiments)))
    return 0
