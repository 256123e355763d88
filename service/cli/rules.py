"""`orderroute rules`: validate and test offline; publish, activate, list, show, diff, audit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

import rules
from rules._yaml import YamlError, load_yaml
from rules.diff import column_name
from rules.wording import ENGLISH
from service.cli import insights, replay
from service.cli._common import (
    CliError,
    call,
    channel,
    looks_like,
    print_json,
    print_message,
    print_table,
    read,
    remote,
    time_text,
    user,
    version_number,
)
from service.client.replay_summary import BLAST_ORDERS, fidelity_line, field_changes


def register(sub: Any) -> None:
    r = sub.add_parser("rules", help="validate, test, publish and activate rule sets").add_subparsers(metavar="ACTION")
    for name, fn, text in (("validate", _validate, "check a rule set file"), ("test", _test, "run its test cases")):
        c = r.add_parser(name, help=f"{text} (offline)")
        c.add_argument("file", type=Path)
        c.add_argument("--json", action="store_true")
        c.set_defaults(run=fn)

    c = remote(r.add_parser("publish", help="publish a new version"))
    c.add_argument("file", type=Path)
    c.add_argument("--comment", default="")
    c.add_argument("--author", default=None, help="default: your user name")
    c.add_argument(
        "--blast-orders",
        type=int,
        default=BLAST_ORDERS,
        help=f"what the new version changes on this many of the latest logged orders (0: skip; {BLAST_ORDERS:,})",
    )
    c.set_defaults(run=_publish)

    c = remote(r.add_parser("activate", help="make a version active (also rollback)"))
    c.add_argument("name")
    c.add_argument("version", type=version_number, help="3 or v3")
    c.add_argument("--reason", required=True)
    c.add_argument("--actor", default=None, help="default: your user name")
    c.add_argument("--bypass", default="", metavar="WHY", help="admins: activate without the approvals required")
    c.set_defaults(run=_activate)

    c = remote(r.add_parser("review", help="approve or reject a version (not your own)"))
    c.add_argument("name")
    c.add_argument("version", type=version_number, help="3 or v3")
    verdict = c.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--approve", action="store_true")
    verdict.add_argument("--reject", action="store_true")
    c.add_argument("--comment", default="", help="required with --reject: what the author should change")
    c.add_argument("--actor", default=None, help="default: your user name")
    c.set_defaults(run=_review)

    remote(r.add_parser("list", help="rule sets and versions")).set_defaults(run=_list)

    c = remote(r.add_parser("show", help="one version (default: the active one)"))
    c.add_argument("name")
    c.add_argument("--version", type=version_number, default=0, help="3 or v3 (default: the active one)")
    c.add_argument("--source", action="store_true", help="print the YAML source only")
    c.set_defaults(run=_show)

    c = remote(r.add_parser("diff", help="what changed between two versions"))
    c.add_argument("name")
    c.add_argument("from_version", type=version_number)
    c.add_argument("to_version", type=version_number)
    c.add_argument("--source", action="store_true", help="also the unified diff of the two YAML sources")
    c.set_defaults(run=_diff)

    c = remote(r.add_parser("audit", help="publish and activation history"))
    c.add_argument("name")
    c.add_argument("--limit", type=int, default=50)
    c.set_defaults(run=_audit)

    replay.register(r)
    insights.register(r)


# ---------------------------------------------------------------- offline


def check_file(path: Path) -> rules.CheckResult:
    """rules.check() of a rule set file, refusing an order given in its place."""
    source = read(path)
    try:
        kind = looks_like(load_yaml(source))
    except YamlError:
        kind = ""  # the check says where the YAML is wrong
    if kind == "order":
        raise CliError(f"{path}: this is an order, not a rule set: route it with `orderroute route {path}`")
    return rules.check(source, str(path))


def valid_rule_set(result: rules.CheckResult, refused: str) -> rules.RuleSet:
    """The checked rule set; when invalid, its diagnostics on stderr and `REFUSED: fix the errors above`."""
    if not result.valid or result.rule_set is None:
        for d in result.diagnostics:
            print(d.render(), file=sys.stderr)
        raise CliError(f"{refused}: fix the errors above")
    return result.rule_set


def _validate(args: argparse.Namespace) -> int:
    result = check_file(args.file)
    if args.json:
        print_json(_check_json(result))
    else:
        for d in result.diagnostics:
            print(d.render())
        status = "valid" if result.valid else "INVALID"
        passed = sum(t.passed for t in result.tests)
        print(
            f"{args.file}: {status} ({len(result.errors)} errors, "
            f"{len(result.diagnostics) - len(result.errors)} warnings, {passed}/{len(result.tests)} tests passed)"
        )
    return 0 if result.valid else 1


def _test(args: argparse.Namespace) -> int:
    result = check_file(args.file)
    if args.json:
        print_json(_check_json(result))
        return 0 if result.valid else 1
    for d in result.errors:
        if d.code != "test-failed":
            print(d.render())
    for t in result.tests:
        print(f"{'PASS' if t.passed else 'FAIL'}  {args.file}:{t.line}  {t.name}")
        for failure in t.failures:
            print(f"      {failure}")
    passed = sum(t.passed for t in result.tests)
    print(f"{passed}/{len(result.tests)} tests passed")
    return 0 if result.valid else 1


def _check_json(result: rules.CheckResult) -> dict[str, Any]:
    return {
        "valid": result.valid,
        "name": result.rule_set.name if result.rule_set else None,
        "content_hash": result.content_hash,
        "diagnostics": [
            {
                "severity": str(d.severity),
                "file": d.file,
                "line": d.line,
                "rule_id": d.rule_id,
                "code": d.code,
                "message": d.message,
                "hint": d.hint,
            }
            for d in result.diagnostics
        ],
        "tests": [
            {"name": t.name, "passed": t.passed, "failures": list(t.failures), "line": t.line} for t in result.tests
        ],
    }


# ---------------------------------------------------------------- remote


def _rules_call(args: argparse.Namespace, method: str, request: Any) -> Any:
    return call(args, pb_grpc.RuleSetServiceStub, method, request)


def _publish(args: argparse.Namespace) -> int:
    source = read(args.file)
    valid_rule_set(rules.check(source, str(args.file)), f"{args.file}: not published")
    reply = _rules_call(
        args,
        "PublishRuleSet",
        pb.PublishRuleSetRequest(
            source=source, file_name=str(args.file), author=user(args.author), comment=args.comment
        ),
    )
    if args.json:
        return print_message(reply)
    for d in reply.diagnostics:
        print(f"{d.file}:{d.line}: warning[{d.code}] rule '{d.rule_id}': {d.message}")
    v = reply.version
    state = "published" if reply.created else "unchanged: same content as"
    print(f"{state} {v.name} version {v.version} ({v.content_hash[:19]}, {len(reply.tests)} tests passed)")
    if reply.created:
        if args.blast_orders > 0:
            print("\n".join(_blast_radius(args, v)))
        print(f"activate it with: orderroute rules activate {v.name} {v.version} --reason '...'")
    return 0


def _blast_radius(args: argparse.Namespace, v: pb.RuleSetVersion) -> list[str]:
    """What the new version changes on the latest logged orders; a publish that cannot measure it has
    still published."""
    request = pb.ReplayRuleSetRequest(
        rule_set=v.name, candidate_version=v.version, limit=args.blast_orders, latest=True
    )
    try:
        with channel(args) as chan:
            steps = list(pb_grpc.DecisionServiceStub(chan).ReplayRuleSet(request, timeout=args.timeout))
    except grpc.RpcError as exc:
        return [f"blast radius not measured: {exc.details() or exc.code().name}"]
    report = steps[-1].report
    lines = [f"blast radius: {line}" for line in field_changes(report, ENGLISH)]
    fidelity = fidelity_line(report, ENGLISH)
    return lines + ([f"blast radius: {fidelity}"] if fidelity else [])


def _activate(args: argparse.Namespace) -> int:
    reply = _rules_call(
        args,
        "ActivateRuleSet",
        pb.ActivateRuleSetRequest(
            name=args.name, version=args.version, reason=args.reason, actor=user(args.actor), bypass_reason=args.bypass
        ),
    )
    if args.json:
        return print_message(reply)
    a = reply.activation
    print(f"{a.name}: version {a.version} is active (was {a.previous_version or 'none'}), by {a.actor}: {a.reason}")
    return 0


def _review(args: argparse.Namespace) -> int:
    request = pb.ReviewRuleSetRequest(
        name=args.name, version=args.version, approve=args.approve, comment=args.comment, actor=user(args.actor)
    )
    reply = _rules_call(args, "ReviewRuleSet", request)
    if args.json:
        return print_message(reply)
    v = reply.version
    print(f"{v.name} version {v.version}: {review_text(v)}")
    return 0


REVIEW_STATES = {
    pb.REVIEW_STATE_PENDING: "pending",
    pb.REVIEW_STATE_APPROVED: "approved",
    pb.REVIEW_STATE_REJECTED: "rejected",
    pb.REVIEW_STATE_NOT_REQUIRED: "no review required",
}


def review_text(v: pb.RuleSetVersion) -> str:
    """ "approved (1 of 1: rita)", "pending (0 of 1)", "rejected by rita: threshold too low"."""
    state = REVIEW_STATES.get(v.review_state, "-")
    latest = {r.reviewer: r for r in v.reviews}
    if v.review_state == pb.REVIEW_STATE_REJECTED:
        return "rejected by " + ", ".join(f"{r.reviewer}: {r.comment}" for r in latest.values() if not r.approved)
    approvers = [r.reviewer for r in latest.values() if r.approved]
    if not v.approvals_required:
        return state + (f" (approved by {', '.join(approvers)})" if approvers else "")
    return f"{state} ({len(approvers)} of {v.approvals_required}{': ' + ', '.join(approvers) if approvers else ''})"


def _list(args: argparse.Namespace) -> int:
    reply = _rules_call(args, "ListRuleSets", pb.ListRuleSetsRequest())
    if args.json:
        return print_message(reply)
    rows = [
        [
            s.name,
            str(v.version),
            "*" if v.active else "",
            v.author,
            time_text(v.published_at),
            str(v.rule_count),
            review_text(v),
            v.comment,
        ]
        for s in reply.rule_sets
        for v in s.versions
    ]
    print_table(["RULE SET", "VERSION", "ACTIVE", "AUTHOR", "PUBLISHED", "RULES", "REVIEW", "COMMENT"], rows)
    return 0


def _show(args: argparse.Namespace) -> int:
    reply = _rules_call(args, "GetRuleSet", pb.GetRuleSetRequest(name=args.name, version=args.version))
    if args.json:
        return print_message(reply)
    v = reply.version
    if not args.source:
        print(f"# {v.name} version {v.version}{' (active)' if v.active else ''}, {v.content_hash}")
        print(f"# published {time_text(v.published_at)} by {v.author}: {v.comment}")
        print(f"# review: {review_text(v)}")
    print(v.source, end="" if v.source.endswith("\n") else "\n")
    return 0


def _diff(args: argparse.Namespace) -> int:
    reply = _rules_call(
        args,
        "DiffRuleSets",
        pb.DiffRuleSetsRequest(name=args.name, from_version=args.from_version, to_version=args.to_version),
    )
    if args.json:
        return print_message(reply)
    for change in reply.changes:
        print(f"{change.kind:9} {change.rule_id}")
        for cell in change.cells:
            print(f"          {column_name(cell.column)}: {cell.before or '-'} -> {cell.after or '-'}")
    if not reply.changes:
        print("no rule changed")
    if args.source:
        print(reply.source_diff, end="")
    return 0


def _audit(args: argparse.Namespace) -> int:
    reply = _rules_call(args, "GetAuditLog", pb.GetAuditLogRequest(name=args.name, page_size=args.limit))
    if args.json:
        return print_message(reply)
    rows = [
        [time_text(e.at), e.action, str(e.version), str(e.previous_version or ""), e.actor, e.reason]
        for e in reply.entries
    ]
    print_table(["AT", "ACTION", "VERSION", "PREVIOUS", "ACTOR", "REASON"], rows)
    return 0
