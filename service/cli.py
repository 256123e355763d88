"""The `orderroute` command line.

    orderroute serve [--port N] [--data-dir DIR]
    orderroute rules validate|test FILE                      (offline)
    orderroute rules publish FILE | activate NAME VERSION --reason WHY
    orderroute rules list | show NAME | diff NAME FROM TO | audit NAME
    orderroute route ORDER.json|yaml
    orderroute experiments start|ramp|pause|resume|results|promote|rollback|abort|show|list
    orderroute simulate --scenario improve|harm
    orderroute bench [--quick] [--json PATH]
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
from experiments.simulation import OutcomeModel
from rules._yaml import YamlError, load_yaml
from service.client import ClientOptions, open_channel
from service.config import DEFAULT_PORT, ConfigError, Settings
from service.convert import order_from_document
from service.report import experiments_table, results_text, state_name
from service.simulate import Simulation, simulate

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
    except (CliError, ConfigError) as exc:
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
    s.add_argument(
        "--redis-cluster",
        action="store_true",
        help="the Redis URL is a cluster node (or set ORDERROUTE_REDIS_CLUSTER=1)",
    )
    s.add_argument("--default-rule-set", help="rule set for requests that name none (default fulfilment)")
    s.add_argument("--threads", type=int, help="gRPC worker threads (default 4)")
    s.add_argument("--no-seed", action="store_true", help="do not publish the examples into an empty store")
    s.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port (path /metrics)")
    s.add_argument("--grace", type=float, help="seconds in-flight calls get to finish on SIGTERM (default 5)")
    s.add_argument("--workers", type=int, default=1, help="server processes sharing the port (default 1)")
    s.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    s.add_argument("--auth-file", type=Path, help="bearer tokens and roles (or ORDERROUTE_AUTH_FILE)")
    s.add_argument("--insecure", action="store_true", help="allow a non-loopback --host without authentication")
    s.add_argument("--tls-cert", type=Path, help="server certificate chain, PEM (with --tls-key: serve TLS)")
    s.add_argument("--tls-key", type=Path, help="server private key, PEM")
    s.add_argument("--tls-client-ca", type=Path, help="require client certificates from this CA (mutual TLS)")
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

    x = sub.add_parser("experiments", help="gray releases: start, ramp, results, promote, abort").add_subparsers(
        metavar="ACTION"
    )
    c = _remote(x.add_parser("start", help="put a candidate version on a share of traffic"))
    c.add_argument("--rule-set", required=True)
    c.add_argument("--candidate", type=int, required=True, help="the candidate version")
    c.add_argument("--traffic", type=_percent, default=500, help="candidate share in percent (default 5)")
    c.add_argument("--unit", choices=["customer_id", "order_id"], default="customer_id")
    c.add_argument("--primary", default="", help="primary metric (default on_time)")
    c.add_argument(
        "--guardrail",
        action="append",
        default=[],
        metavar="METRIC=LIMIT",
        help="e.g. exception=0.01 (absolute for rates, relative for amounts); repeatable",
    )
    c.add_argument("--min-samples", type=int, default=0, help="outcomes per arm before a verdict (default 200)")
    c.add_argument("--min-duration", type=int, default=0, help="seconds before a verdict")
    c.add_argument("--reason", required=True)
    c.add_argument("--actor", default=None)
    c.set_defaults(run=_experiment_start)
    c = _remote(x.add_parser("ramp", help="change the candidate's share"))
    c.add_argument("id")
    c.add_argument("--traffic", type=_percent, required=True, help="percent, e.g. 10")
    c.add_argument("--reason", default="ramp")
    c.add_argument("--actor", default=None)
    c.set_defaults(run=_experiment_ramp)
    for action, text in (
        ("pause", "send all traffic to the baseline for now"),
        ("resume", "resume a paused one"),
        ("promote", "make the candidate active for everyone"),
        ("rollback", "end it; everyone stays on the baseline"),
        ("abort", "end it because something is wrong"),
    ):
        c = _remote(x.add_parser(action, help=text))
        c.add_argument("id")
        c.add_argument("--reason", required=action in ("abort", "promote", "rollback"), default=action)
        c.add_argument("--actor", default=None)
        c.set_defaults(run=_experiment_change, action=action)
    c = _remote(x.add_parser("results", help="arms, metrics with intervals, verdict, guardrails, sample ratio"))
    c.add_argument("id")
    c.set_defaults(run=_experiment_results)
    c = _remote(x.add_parser("show", help="settings and history"))
    c.add_argument("id")
    c.set_defaults(run=_experiment_show)
    c = _remote(x.add_parser("list", help="every experiment, newest first"))
    c.add_argument("--rule-set", default="")
    c.set_defaults(run=_experiment_list)

    c = _remote(sub.add_parser("simulate", help="drive a running service with synthetic orders and outcomes"))
    c.add_argument(
        "--scenario",
        choices=["improve", "harm"],
        help="publish the example candidate and start an "
        "experiment: a real on-time gain (then promote), or a harmful candidate (then watch it aborted)",
    )
    c.add_argument("--experiment", default="", help="an experiment already running (instead of --scenario)")
    c.add_argument("--orders", type=int, default=20_000)
    c.add_argument("--customers", type=int, default=8_000)
    c.add_argument("--batch", type=int, default=500)
    c.add_argument(
        "--effect",
        action="append",
        default=[],
        metavar="METRIC=CHANGE",
        help="true candidate effect: on_time=0.08 (absolute for rates, relative for amounts), "
        "'*exception=15' multiplies; repeatable",
    )
    c.add_argument("--ramp-at", type=int, default=0, help="ramp after this many orders")
    c.add_argument("--ramp-to", type=_percent, default=0, help="percent")
    c.add_argument("--promote-when-better", action="store_true")
    c.add_argument("--report-every", type=int, default=2_000)
    c.add_argument("--seed", type=int, default=1)
    c.set_defaults(run=_simulate)

    c = sub.add_parser("bench", help="the benchmark harness: the service against an echo baseline")
    c.add_argument("--quick", action="store_true", help="a smoke run of well under a minute")
    c.add_argument("--json", help="also write the figures here")
    c.set_defaults(run=_bench)

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
    p.add_argument("--token", help="bearer token (default: ORDERROUTE_TOKEN)")
    p.add_argument("--tls-ca", type=Path, help="CA of the server's certificate: connect with TLS (ORDERROUTE_TLS_CA)")
    p.add_argument("--tls-cert", type=Path, help="client certificate, PEM, for mutual TLS")
    p.add_argument("--tls-key", type=Path, help="client private key, PEM, for mutual TLS")
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
        redis_cluster=args.redis_cluster or None,
        default_rule_set=args.default_rule_set,
        threads=args.threads,
        grace_seconds=args.grace,
        seed_examples=False if args.no_seed else None,
        metrics_port=args.metrics_port,
        reuse_port=args.reuse_port or None,
        auth_file=args.auth_file,
        insecure=args.insecure or None,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_client_ca=args.tls_client_ca,
    )
    if args.workers > 1:
        from service.workers import serve_workers

        return serve_workers(settings, args.workers)
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


def _channel(args: argparse.Namespace) -> grpc.Channel:
    options = ClientOptions.from_env(token=args.token, tls_ca=args.tls_ca, tls_cert=args.tls_cert, tls_key=args.tls_key)
    try:
        return open_channel(args.server, options)
    except OSError as exc:
        raise CliError(f"{exc.filename}: cannot read: {exc.strerror}") from None


def _call(args: argparse.Namespace, stub_type: Callable[[grpc.Channel], Any], method: str, request: Any) -> Any:
    with _channel(args) as channel:
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


def _percent(text: str) -> int:
    """'5', '5%' or '0.25' percent -> basis points, in 0.01% steps."""
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage") from None
    bp = round(value * 100)
    if abs(bp - value * 100) > 1e-6:
        raise argparse.ArgumentTypeError(f"{text!r}: traffic goes in steps of 0.01%")
    return bp


def _pairs(items: list[str], what: str) -> dict[str, float]:
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


def _experiments_call(args: argparse.Namespace, method: str, request: Any) -> Any:
    return _call(args, pb_grpc.ExperimentServiceStub, method, request)


def _experiment_start(args: argparse.Namespace) -> int:
    guardrails = [pb.GuardrailSpec(metric=m, limit=v) for m, v in _pairs(args.guardrail, "guardrail").items()]
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
            actor=_user(args.actor),
            reason=args.reason,
        ),
    )
    if args.json:
        return _print_message(reply)
    print(experiments_table([reply.experiment]))
    return 0


def _experiment_ramp(args: argparse.Namespace) -> int:
    reply = _experiments_call(
        args,
        "RampExperiment",
        pb.RampExperimentRequest(id=args.id, traffic_bp=args.traffic, actor=_user(args.actor), reason=args.reason),
    )
    if args.json:
        return _print_message(reply)
    print(experiments_table([reply.experiment]))
    return 0


def _experiment_change(args: argparse.Namespace) -> int:
    method = f"{args.action.capitalize()}Experiment"
    request = getattr(pb, f"{method}Request")(id=args.id, actor=_user(args.actor), reason=args.reason)
    reply = _experiments_call(args, method, request)
    if args.json:
        return _print_message(reply)
    print(experiments_table([reply.experiment]))
    if args.action == "promote":
        print(f"{reply.activation.name}: version {reply.activation.version} is active for everyone")
    return 0


def _experiment_results(args: argparse.Namespace) -> int:
    reply = _experiments_call(args, "GetResults", pb.GetResultsRequest(id=args.id))
    if args.json:
        return _print_message(reply)
    print(results_text(reply))
    return 0


def _experiment_show(args: argparse.Namespace) -> int:
    reply = _experiments_call(args, "GetExperiment", pb.GetExperimentRequest(id=args.id))
    if args.json:
        return _print_message(reply)
    e = reply.experiment
    print(experiments_table([e]))
    guardrails = ", ".join(f"{g.metric} +{g.limit:g}" for g in e.guardrails)
    print(
        f"\nunit {pb.AssignmentUnit.Name(e.unit).removeprefix('ASSIGNMENT_UNIT_').lower()}, guardrails: "
        f"{guardrails}, min samples {e.min_samples}, min duration {e.min_duration_seconds}s\n"
    )
    rows = [
        [_time(t.at), t.action, state_name(t.to_state), f"{t.traffic_bp / 100:g}%", t.actor, t.reason]
        for t in reply.transitions
    ]
    _print_table(["AT", "ACTION", "STATE", "TRAFFIC", "ACTOR", "REASON"], rows)
    return 0


def _experiment_list(args: argparse.Namespace) -> int:
    reply = _experiments_call(args, "ListExperiments", pb.ListExperimentsRequest(rule_set=args.rule_set))
    if args.json:
        return _print_message(reply)
    print(experiments_table(list(reply.experiments)))
    return 0


SCENARIOS: dict[str, dict[str, Any]] = {
    "improve": {
        "traffic": 500,
        "effects": {"on_time": 0.08},
        "ramp_at": 4_000,
        "ramp_to": 1_000,
        "promote": True,
        "baseline": OutcomeModel(),
    },
    "harm": {
        "traffic": 1_000,
        "effects": {"*exception": 15.0},
        "ramp_at": 0,
        "ramp_to": 0,
        "promote": False,
        "baseline": OutcomeModel(exception=0.01),
    },
}


def _simulate(args: argparse.Namespace) -> int:
    with _channel(args) as channel:
        baseline = OutcomeModel()
        effects = _pairs(args.effect, "effect")
        ramp_at, ramp_to, promote = args.ramp_at, args.ramp_to, args.promote_when_better
        experiment_id = args.experiment
        if args.scenario:
            scenario = SCENARIOS[args.scenario]
            experiment_id = _scenario_experiment(channel, scenario["traffic"], args.scenario)
            effects = effects or scenario["effects"]
            baseline = scenario["baseline"]
            ramp_at, ramp_to = ramp_at or scenario["ramp_at"], ramp_to or scenario["ramp_to"]
            promote = promote or scenario["promote"]
        if not experiment_id:
            raise CliError("name a running experiment with --experiment, or use --scenario improve|harm")
        try:
            simulate(
                channel,
                Simulation(
                    experiment_id,
                    orders=args.orders,
                    customers=args.customers,
                    batch=args.batch,
                    effects=effects,
                    baseline=baseline,
                    seed=args.seed,
                    report_every=args.report_every,
                    ramp_at=ramp_at,
                    ramp_to_bp=ramp_to,
                    promote_when_better=promote,
                ),
            )
        except ValueError as exc:
            raise CliError(str(exc)) from None
    return 0


def _scenario_experiment(channel: grpc.Channel, traffic_bp: int, scenario: str) -> str:
    """Publishes the example candidate (a no-op if stored already) and starts an experiment with it."""
    from importlib import resources

    rulesets = pb_grpc.RuleSetServiceStub(channel)
    examples = resources.files("rules").joinpath("examples")
    source = examples.joinpath("fulfilment-candidate.yaml").read_text()
    if rulesets.GetRuleSet(pb.GetRuleSetRequest(name="fulfilment")).version.source == source:
        source = examples.joinpath("fulfilment.yaml").read_text()  # the candidate was promoted already
    published = rulesets.PublishRuleSet(
        pb.PublishRuleSetRequest(
            source=source, file_name="scenario.yaml", author="orderroute-simulate", comment=scenario
        )
    )
    experiment = pb_grpc.ExperimentServiceStub(channel).StartExperiment(
        pb.StartExperimentRequest(
            rule_set=published.version.name,
            candidate_version=published.version.version,
            traffic_bp=traffic_bp,
            actor="orderroute-simulate",
            reason=f"simulated scenario: {scenario}",
        )
    )
    return str(experiment.experiment.id)


def _bench(args: argparse.Namespace) -> int:
    from loadtest.bench import main as bench

    return bench([*(["--quick"] if args.quick else []), *(["--json", args.json] if args.json else [])])


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
