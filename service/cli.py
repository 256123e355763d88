"""The `orderroute` command line.

    orderroute serve [--port N] [--data-dir DIR]
    orderroute rules validate|test FILE                      (offline)
    orderroute rules publish FILE | activate NAME VERSION --reason WHY
    orderroute rules list | show NAME | diff NAME FROM TO | audit NAME
    orderroute route ORDER.json|yaml
    orderroute health

Commands that talk to a server take --server HOST:PORT and --json.
Exit status: 0 ok, 1 the thing checked is bad (invalid rules, failed call), 2 usage.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

import rules
from rules._yaml import YamlError, load_yaml
from service.config import DEFAULT_PORT, Settings
from service.convert import order_from_document

DEFAULT_SERVER = f"127.0.0.1:{DEFAULT_PORT}"


class CliError(Exception):
    """A message for the user; exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except grpc.RpcError as exc:
        print(f"error: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="orderroute", description="Dynamic order routing with versioned rule sets.")
    sub = p.add_subparsers(metavar="COMMAND")

    s = sub.add_parser("serve", help="run the gRPC service")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=DEFAULT_PORT)
    s.add_argument("--data-dir", type=Path, help="embedded Redis data (default ./data; ignored with REDIS_URL)")
    s.add_argument("--redis-url", help="use this Redis instead of the embedded one (or set REDIS_URL)")
    s.add_argument("--default-rule-set", help="rule set for requests that name none (default fulfilment)")
    s.add_argument("--threads", type=int, help="gRPC worker threads (default 4)")
    s.add_argument("--no-seed", action="store_true", help="do not publish the examples into an empty store")
    s.set_defaults(run=_serve)

    r = sub.add_parser("rules", help="validate, test, publish and activate rule sets").add_subparsers(metavar="ACTION")
    for name, fn, text in (("validate", _validate, "check a rule set file"), ("test", _test, "run its test cases")):
        c = r.add_parser(name, help=f"{text} (offline)")
        c.add_argument("file", type=Path)
        c.add_argument("--json", action="store_true")
        c.set_defaults(run=fn)

    c = _remote(r.add_parser("publish", help="publish a new version"))
    c.add_argument("file", type=Path)
    c.add_argument("--comment", default="")
    c.add_argument("--author", default=None, help="default: your user name")
    c.set_defaults(run=_publish)

    c = _remote(r.add_parser("activate", help="make a version active (also rollback)"))
    c.add_argument("name")
    c.add_argument("version", type=int)
    c.add_argument("--reason", required=True)
    c.add_argument("--actor", default=None, help="default: your user name")
    c.set_defaults(run=_activate)

    _remote(r.add_parser("list", help="rule sets and versions")).set_defaults(run=_list)

    c = _remote(r.add_parser("show", help="one version (default: the active one)"))
    c.add_argument("name")
    c.add_argument("--version", type=int, default=0)
    c.add_argument("--source", action="store_true", help="print the YAML source only")
    c.set_defaults(run=_show)

    c = _remote(r.add_parser("diff", help="what changed between two versions"))
    c.add_argument("name")
    c.add_argument("from_version", type=int)
    c.add_argument("to_version", type=int)
    c.set_defaults(run=_diff)

    c = _remote(r.add_parser("audit", help="publish and activation history"))
    c.add_argument("name")
    c.add_argument("--limit", type=int, default=50)
    c.set_defaults(run=_audit)

    c = _remote(sub.add_parser("health", help="exit 0 when the server reports SERVING"))
    c.set_defaults(run=_health)

    c = _remote(sub.add_parser("route", help="route an order file (JSON or YAML) and print the decision"))
    c.add_argument("order", type=Path)
    c.add_argument("--rule-set", default="")
    c.set_defaults(run=_route)
    return p


def _remote(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--server", default=DEFAULT_SERVER, help=f"HOST:PORT (default {DEFAULT_SERVER})")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per call")
    return p


# ---------------------------------------------------------------- serve


def _serve(args: argparse.Namespace) -> int:
    from service.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        redis_url=args.redis_url,
        default_rule_set=args.default_rule_set,
        threads=args.threads,
        seed_examples=False if args.no_seed else None,
    )
    serve(settings)
    return 0


# ---------------------------------------------------------------- offline


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CliError(f"{path}: not UTF-8 text") from None


def _check(path: Path) -> rules.CheckResult:
    return rules.check(_read(path), str(path))


def _validate(args: argparse.Namespace) -> int:
    result = _check(args.file)
    if args.json:
        _print_json(_check_json(result))
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
    result = _check(args.file)
    if args.json:
        _print_json(_check_json(result))
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


def _call(args: argparse.Namespace, stub_type: Callable[[grpc.Channel], Any], method: str, request: Any) -> Any:
    with grpc.insecure_channel(args.server) as channel:
        return getattr(stub_type(channel), method)(request, timeout=args.timeout)


def _rules_call(args: argparse.Namespace, method: str, request: Any) -> Any:
    return _call(args, pb_grpc.RuleSetServiceStub, method, request)


def _user(explicit: str | None) -> str:
    return explicit or getpass.getuser()


def _publish(args: argparse.Namespace) -> int:
    source = _read(args.file)
    local = rules.check(source, str(args.file))
    if not local.valid:
        for d in local.diagnostics:
            print(d.render(), file=sys.stderr)
        raise CliError(f"{args.file}: not published: fix the errors above")
    reply = _rules_call(
        args,
        "PublishRuleSet",
        pb.PublishRuleSetRequest(
            source=source, file_name=str(args.file), author=_user(args.author), comment=args.comment
        ),
    )
    if args.json:
        return _print_message(reply)
    for d in reply.diagnostics:
        print(f"{d.file}:{d.line}: warning[{d.code}] rule '{d.rule_id}': {d.message}")
    v = reply.version
    state = "published" if reply.created else "unchanged: same content as"
    print(f"{state} {v.name} version {v.version} ({v.content_hash[:19]}, {len(reply.tests)} tests passed)")
    if reply.created:
        print(f"activate it with: orderroute rules activate {v.name} {v.version} --reason '...'")
    return 0


def _activate(args: argparse.Namespace) -> int:
    reply = _rules_call(
        args,
        "ActivateRuleSet",
        pb.ActivateRuleSetRequest(name=args.name, version=args.version, reason=args.reason, actor=_user(args.actor)),
    )
    if args.json:
        return _print_message(reply)
    a = reply.activation
    print(f"{a.name}: version {a.version} is active (was {a.previous_version or 'none'}), by {a.actor}: {a.reason}")
    return 0


def _list(args: argparse.Namespace) -> int:
    reply = _rules_call(args, "ListRuleSets", pb.ListRuleSetsRequest())
    if args.json:
        return _print_message(reply)
    rows = [
        [s.name, str(v.version), "*" if v.active else "", v.author, _time(v.published_at), str(v.rule_count), v.comment]
        for s in reply.rule_sets
        for v in s.versions
    ]
    _print_table(["RULE SET", "VERSION", "ACTIVE", "AUTHOR", "PUBLISHED", "RULES", "COMMENT"], rows)
    return 0


def _show(args: argparse.Namespace) -> int:
    reply = _rules_call(args, "GetRuleSet", pb.GetRuleSetRequest(name=args.name, version=args.version))
    if args.json:
        return _print_message(reply)
    v = reply.version
    if not args.source:
        print(f"# {v.name} version {v.version}{' (active)' if v.active else ''}, {v.content_hash}")
        print(f"# published {_time(v.published_at)} by {v.author}: {v.comment}")
    print(v.source, end="" if v.source.endswith("\n") else "\n")
    return 0


def _diff(args: argparse.Namespace) -> int:
    reply = _rules_call(
        args,
        "DiffRuleSets",
        pb.DiffRuleSetsRequest(name=args.name, from_version=args.from_version, to_version=args.to_version),
    )
    if args.json:
        return _print_message(reply)
    for label, ids in (
        ("added", reply.added_rules),
        ("removed", reply.removed_rules),
        ("changed", reply.changed_rules),
    ):
        print(f"{label:8} {', '.join(ids) if ids else '-'}")
    print(reply.source_diff, end="")
    return 0


def _audit(args: argparse.Namespace) -> int:
    reply = _rules_call(args, "GetAuditLog", pb.GetAuditLogRequest(name=args.name, limit=args.limit))
    if args.json:
        return _print_message(reply)
    rows = [
        [_time(e.at), e.action, str(e.version), str(e.previous_version or ""), e.actor, e.reason] for e in reply.entries
    ]
    _print_table(["AT", "ACTION", "VERSION", "PREVIOUS", "ACTOR", "REASON"], rows)
    return 0


def _health(args: argparse.Namespace) -> int:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    reply = _call(args, health_pb2_grpc.HealthStub, "Check", health_pb2.HealthCheckRequest())
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(json.dumps({"status": status}) if args.json else status)
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


def _route(args: argparse.Namespace) -> int:
    text = _read(args.order)
    try:
        doc = load_yaml(text)  # JSON is YAML too
    except YamlError as exc:
        raise CliError(f"{args.order}:{exc.line}: {exc.message}") from None
    if not isinstance(doc, dict):
        raise CliError(f"{args.order}:1: an order is a mapping of order facts")
    try:
        order = order_from_document(doc)
    except rules.InvalidOrder as exc:
        raise CliError(f"{args.order}: {exc.message}") from None
    reply = _call(args, pb_grpc.RoutingServiceStub, "Route", pb.RouteRequest(order=order, rule_set=args.rule_set))
    if args.json:
        return _print_message(reply)
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
    _print_table(["FIELD", "VALUE", "DECIDED BY"], [[k, v, d.decided_by.get(k, "")] for k, v in rows])
    print()
    print(
        f"decision {d.decision_id}: {d.rule_set} v{d.version} ({d.content_hash[:19]}), "
        f"evaluated in {d.evaluation_micros} µs"
    )
    print(f"matched: {', '.join(d.matched_rules) or '(none: default rule)'}")
    if d.missing_facts:
        print(f"missing facts: {', '.join(d.missing_facts)}")
    return 0


# ---------------------------------------------------------------- output


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _print_message(message: Any) -> int:
    _print_json(json_format.MessageToDict(message, preserving_proto_field_name=True))
    return 0


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())


def _time(ts: Any) -> str:
    return str(ts.ToDatetime().strftime("%Y-%m-%d %H:%M:%S")) + "Z"


if __name__ == "__main__":
    sys.exit(main())
