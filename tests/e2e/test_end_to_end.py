"""The README tour as a user runs it: `orderroute serve` on its embedded Redis,
the CLI against it, and publish -> activate -> rollback surviving restarts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.storage.local_redis import free_port
from tests.conftest import EXAMPLES
from tests.servers import Server, cli

ORDERS = EXAMPLES / "orders"
TWO_REPEATS = pb.Order(order_id="o-2", customer=pb.Customer(customer_id="c", repeat_purchases=2))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "data")
    yield running
    if running.process.poll() is None:
        running.stop()


def test_tour_publish_activate_rollback_across_restarts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Server(data)
    try:
        routed = cli("route", str(ORDERS / "03-repeat-customer.yaml"), "--server", server.address)
        assert routed.returncode == 0, routed.stderr
        assert "EXPRESS" in routed.stdout and "repeat-customer-express" in routed.stdout

        published = cli(
            "rules",
            "publish",
            str(EXAMPLES / "fulfilment-candidate.yaml"),
            "--server",
            server.address,
            "--comment",
            "express from 2 repeats",
        )
        assert published.returncode == 0, published.stderr
        assert "published fulfilment version 2" in published.stdout
        activated = cli("rules", "activate", "fulfilment", "2", "--reason", "pilot", "--server", server.address)
        assert activated.returncode == 0, activated.stderr
        assert (server.route(TWO_REPEATS).path, server.route(TWO_REPEATS).version) == ("EXPRESS", 2)
    finally:
        assert server.stop() == 0

    server = Server(data)
    try:
        assert (server.route(TWO_REPEATS).path, server.route(TWO_REPEATS).version) == ("EXPRESS", 2)
        rolled = cli("rules", "activate", "fulfilment", "1", "--reason", "rollback", "--server", server.address)
        assert rolled.returncode == 0, rolled.stderr
        assert "version 1 is active (was 2)" in rolled.stdout
    finally:
        assert server.stop() == 0

    server = Server(data)
    try:
        assert (server.route(TWO_REPEATS).path, server.route(TWO_REPEATS).version) == ("STANDARD", 1)
        listed = json.loads(cli("rules", "list", "--json", "--server", server.address).stdout)
        versions = listed["rule_sets"][0]["versions"]
        assert [(int(v["version"]), v.get("active", False)) for v in versions] == [(2, False), (1, True)]
        audit = cli("rules", "audit", "fulfilment", "--server", server.address).stdout
        assert audit.count("activate") == 3 and "rollback" in audit and "pilot" in audit
        diff = cli("rules", "diff", "fulfilment", "1", "2", "--server", server.address).stdout
        assert "modified  repeat-customer-express" in diff
        assert "customer.repeat_purchases: at least 3 -> at least 2" in diff
    finally:
        assert server.stop() == 0


def test_cli_health(server: Server) -> None:
    result = cli("health", "--server", server.address)
    assert (result.returncode, result.stdout.strip()) == (0, "SERVING")


def test_cli_route_reports_a_bad_order_file_by_name_and_field(server: Server, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("order_id: x\nlines:\n  - {sku: A, qty: 1, colour: red}\n")
    result = cli("route", str(bad), "--server", server.address)
    assert result.returncode == 1
    assert f"{bad}: order.lines[0].colour: unknown field 'colour'" in result.stderr

    negative = tmp_path / "neg.yaml"
    negative.write_text("order_id: x\nlines:\n  - {sku: A, qty: -2}\n")
    result = cli("route", str(negative), "--server", server.address)
    assert result.returncode == 1
    assert "INVALID_ARGUMENT: order.lines[0].qty: must be at least 1" in result.stderr


def test_cli_offline_validate_and_test(tmp_path: Path) -> None:
    ok = cli("rules", "test", str(EXAMPLES / "fulfilment.yaml"))
    assert ok.returncode == 0 and "14/14 tests passed" in ok.stdout

    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (EXAMPLES / "fulfilment.yaml")
        .read_text()
        .replace("customer.tier: {equals: PLUS}", "customer.tier: {equals: PLATINUM}")
    )
    result = cli("rules", "validate", str(broken))
    assert result.returncode == 1
    assert f"{broken}:" in result.stdout and "rule 'plus-forward-warehouse'" in result.stdout
    assert "PLATINUM" in result.stdout and "hint:" in result.stdout

    machine = json.loads(cli("rules", "validate", "--json", str(broken)).stdout)
    assert machine["valid"] is False
    assert machine["diagnostics"][0]["line"] > 0

    missing = cli("rules", "validate", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1 and "nope.yaml" in missing.stderr


def test_cli_talking_to_no_server_says_so() -> None:
    address = f"127.0.0.1:{free_port()}"
    result = cli("rules", "list", "--server", address, "--timeout", "2")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: no orderroute server answers at {address}") or result.stderr.startswith(
        "error: DEADLINE_EXCEEDED"
    )


def test_cli_gray_release_loop(server: Server) -> None:
    harm = cli(
        "simulate", "--scenario", "harm", "--orders", "12000", "--report-every", "1000", "--server", server.address
    )
    assert harm.returncode == 0, harm.stderr
    assert "was aborted by its guardrail" in harm.stdout
    assert "STATUS: Aborted by guardrail: exception changed by +" in harm.stdout
    listed = cli("experiments", "list", "--server", server.address)
    assert "exp-1" in listed.stdout and "aborted" in listed.stdout
    shown = cli("experiments", "show", "exp-1", "--server", server.address)
    assert "orderroute-guardrail" in shown.stdout and "guardrail breached" in shown.stdout
    results = cli("experiments", "results", "exp-1", "--json", "--server", server.address)
    assert json.loads(results.stdout)["verdict"] == "VERDICT_CANDIDATE_WORSE"

    started = cli(
        "experiments",
        "start",
        "--rule-set",
        "fulfilment",
        "--candidate",
        "2",
        "--traffic",
        "7.5",
        "--reason",
        "again",
        "--server",
        server.address,
    )
    assert started.returncode == 0, started.stderr
    assert "7.5%" in started.stdout and "running" in started.stdout
    bad = cli("experiments", "ramp", "exp-2", "--traffic", "0.001", "--server", server.address)
    assert bad.returncode == 2 and "steps of 0.01%" in bad.stderr
    aborted = cli("experiments", "abort", "exp-2", "--reason", "done", "--server", server.address)
    assert aborted.returncode == 0 and "aborted" in aborted.stdout


def test_workers_share_one_port_and_stop_together(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service.cli",
            "serve",
            "--workers",
            "2",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        prefixes: set[str] = set()
        deadline = time.monotonic() + 60
        while len(prefixes) < 2 and time.monotonic() < deadline:
            # A fresh connection per call: the kernel spreads connections over the workers.
            with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
                try:
                    decision = (
                        pb_grpc.RoutingServiceStub(ch)
                        .Route(pb.RouteRequest(order=pb.Order(order_id="w")), timeout=2)
                        .decision
                    )
                except grpc.RpcError:
                    time.sleep(0.2)
                    continue
                prefixes.add(decision.decision_id.split("-")[0])
        assert len(prefixes) == 2
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
