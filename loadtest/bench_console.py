"""How fast the console's pages render for a large rule set: 200 rules and 100 versions.

    python -m loadtest.bench_console [--rules 200] [--versions 100] [--requests 20] [--days 7] [--json PATH]

Starts a real redis-server and `orderroute serve` with its console, publishes the versions through the
gRPC API, then times each page over HTTP on loopback (the median and the slowest of `--requests`
loads, after one warm-up load): the rule sets list, the version list, a version's decision table,
the changes between two versions, the history; and an experiment's results page with 10 metrics and a
week of results points kept at the one-minute cadence (written straight into Redis).
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments import METRICS, State, Verdict
from experiments.history import CADENCE, MetricPoint, ResultsPoint
from loadtest._figures import emit
from loadtest.bench import Process, serve_command
from service.storage.connection import connect
from service.storage.local_redis import free_port, start_redis
from service.storage.redis_history import RedisResultsHistory

NAME = "big"


def big_rule_set(rules: int, version: int) -> str:
    """`rules` rules on several facts (so the table has columns), the default, and a comment that makes
    each version's content its own."""
    lines = [
        f"# version {version}",
        f"name: {NAME}",
        "description: a large rule set for the console benchmark",
        "rules:",
    ]
    facts = ("total_minor", "customer.repeat_purchases", "item_count", "promised_hours")
    for i in range(rules):
        fact = facts[i % len(facts)]
        lines += [
            f"  - id: rule-{i:03d}",
            f"    priority: {i + 1}",
            f"    description: rule {i} of the benchmark",
            "    when:",
            f"      {fact}: {{at_least: {1000 + i}}}",
            "    then:",
            f"      tags: [t{i}]",
        ]
    lines += [
        "default:",
        "  id: standard",
        "  then:",
        "    path: STANDARD",
        "    risk_review: STANDARD",
        "    credit_review: STANDARD",
        "    warehouse: DC",
    ]
    return "\n".join(lines) + "\n"


def load(port: int, path: str) -> float:
    """Milliseconds to fetch the page whole (status 200 required)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": COOKIE[0]} if COOKIE else {})
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}: {body[:200]!r}")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and not COOKIE:
                COOKIE.append(value.split(";", 1)[0])
        return elapsed
    finally:
        connection.close()


DECLARED = ("inquiries", "nps")
"""Declared metrics beside the eight built-in ones: ten in all."""


def start_aged_experiment(address: str, redis_url: str, candidate: int, days: float) -> str:
    """An experiment on the last version with ten metrics, and `days` of one-minute results points."""
    with grpc.insecure_channel(address) as channel:
        declared = [
            pb.MetricDefinition(name=name, kind=pb.METRIC_KIND_COUNT if name == "inquiries" else pb.METRIC_KIND_AMOUNT)
            for name in DECLARED
        ]
        request = pb.StartExperimentRequest(
            rule_set=NAME, candidate_version=candidate, actor="bench", reason="bench", metrics=declared
        )
        experiment = pb_grpc.ExperimentServiceStub(channel).StartExperiment(request).experiment
    history = RedisResultsHistory(connect(redis_url, Path(".")))
    start = datetime.now(UTC) - timedelta(days=days)
    names = (*METRICS, *DECLARED)
    for minute in range(round(days * 24 * 60)):
        narrowing = 1 / (1 + minute / 200)
        metrics = tuple(MetricPoint(n, 0.01, 0.01 - 0.1 * narrowing, 0.01 + 0.1 * narrowing) for n in names)
        point = ResultsPoint(
            start + timedelta(minutes=minute),
            Verdict.NO_DIFFERENCE_YET,
            State.RUNNING,
            500,
            "",
            (minute * 19, minute),
            metrics,
        )
        history.add_point(experiment.id, point, CADENCE)
    return str(experiment.id)


COOKIE: list[str] = []
"""The session the first page gave (the console creates one per browser without tokens)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--days", type=float, default=7.0, help="of results points at the one-minute cadence")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        redis_port = free_port()
        redis = start_redis(Path(tmp) / "redis", redis_port)
        grpc_port, console_port = free_port(), free_port()
        command = serve_command(grpc_port, f"redis://127.0.0.1:{redis_port}/0", Path(tmp) / "s")
        server = Process([*command, "--console-port", str(console_port)], f"127.0.0.1:{grpc_port}")
        try:
            started = time.perf_counter()
            with grpc.insecure_channel(server.address) as channel:
                stub = pb_grpc.RuleSetServiceStub(channel)
                for version in range(1, args.versions + 1):
                    stub.PublishRuleSet(
                        pb.PublishRuleSetRequest(source=big_rule_set(args.rules, version), author="bench")
                    )
                request = pb.ActivateRuleSetRequest(name=NAME, version=args.versions - 1, actor="bench", reason="bench")
                stub.ActivateRuleSet(request)
            figures["publish_s"] = time.perf_counter() - started
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
            experiment_id = start_aged_experiment(server.address, redis_url, args.versions, args.days)
            last = args.versions
            pages = {
                "rule_sets": "/rule-sets",
                "versions": f"/rule-sets/{NAME}",
                "version_table": f"/rule-sets/{NAME}/versions/{last}",
                "changes": f"/rule-sets/{NAME}/changes?from={last - 1}&to={last}",
                "history": f"/rule-sets/{NAME}/history",
                "experiment_results": f"/experiments/{experiment_id}",
            }
            for key, path in pages.items():
                load(console_port, path)  # warm-up (and the session cookie)
                times = [load(console_port, path) for _ in range(args.requests)]
                figures[f"{key}_ms_median"] = statistics.median(times)
                figures[f"{key}_ms_max"] = max(times)
        finally:
            server.stop()
            redis.terminate()
            redis.wait(10)
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
