"""`orderroute health-report NAME`: the order health of a rule set from a running server, as a table
and as JSON with the RPC's field names."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

import service.cli as cli
from service.api.wiring import App
from service.cli.health import HEADER, moment


def test_the_table_shows_routed_orders_per_version_arm_and_path(
    routing: pb_grpc.RoutingServiceStub, app: App, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    customers = [pb.Customer(customer_id=f"c-{i}", repeat_purchases=3) for i in range(7)]
    orders = [pb.Order(order_id=f"o-{i}", customer=c) for i, c in enumerate(customers)]
    paths = {r.decision.path for r in routing.RouteBatch(pb.RouteBatchRequest(orders=orders)).results}
    app.decisions.flush()

    assert cli.main(["health-report", "fulfilment", "--server", target, "--since", "30m", "--bucket", "10m"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("fulfilment: ") and "buckets of 10 min" in lines[0]
    assert lines[1].split() == HEADER
    overall = [line.split() for line in lines if line.startswith("overall")]
    assert len(overall) == 1
    assert overall[0][1:4] == ["v1", "none", "7"]
    assert overall[0][-1] == f"{paths.pop()}=7"

    assert cli.main(["health-report", "fulfilment", "--server", target, "--json", "--bucket", "1h"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["bucket_seconds"] == 3600
    assert reply["overall"][0]["decisions"] == "7"  # int64 as JSON text, as protobuf writes it
    assert {"latency_p50_micros", "latency_p99_micros", "paths"} <= set(reply["overall"][0])  # zeros are left out


def test_bad_arguments_come_back_as_the_servers_field(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["health-report", "fulfilment", "--server", target, "--bucket", "90s", "--json"]) == 1
    error = json.loads(capsys.readouterr().err)
    assert (error["code"], error["field"]) == ("INVALID_ARGUMENT", "bucket_seconds")


def test_since_is_a_duration_back_or_a_time() -> None:
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert moment("90m", "--since", now) == now - timedelta(minutes=90)
    assert moment("2d", "--since", now) == now - timedelta(days=2)
    assert moment("2026-12-01T08:00", "--since", now) == datetime(2026, 12, 1, 8, tzinfo=UTC)
