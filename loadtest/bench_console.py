"""How fast the console's pages render for a large rule set: 200 rules and 100 versions.

    python -m loadtest.bench_console [--rules 200] [--versions 100] [--requests 20] [--json PATH]

Starts a real redis-server and `orderroute serve` with its console, publishes the versions through the
gRPC API, then times each page over HTTP on loopback (the median and the slowest of `--requests`
loads, after one warm-up load): the rule sets list, the version list, a version's decision table,
the changes between two versions, the history, and a person's draft.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from loadtest._figures import emit
from loadtest.bench import Process, serve_command
from service.storage.local_redis import free_port, start_redis

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


COOKIE: list[str] = []
"""The session the first page gave (the console creates one per browser without tokens)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--requests", type=int, default=20)
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
            last = args.versions
            pages = {
                "rule_sets": "/rule-sets",
                "versions": f"/rule-sets/{NAME}",
                "version_table": f"/rule-sets/{NAME}/versions/{last}",
                "changes": f"/rule-sets/{NAME}/changes?from={last - 1}&to={last}",
                "history": f"/rule-sets/{NAME}/history",
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
