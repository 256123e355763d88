"""The service driven from another language: Node's @grpc/grpc-js with @grpc/proto-loader, loading the
contract from proto/ as an integrator would, reading errors from the standard rich details.

Node and npm come from the OS packages (.ci/run installs them as it installs redis-server); the
client's packages are pinned in tests/interop/node/package-lock.json and installed with `npm ci`
into tests/interop/node/node_modules the first time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import google.rpc
import pytest
from google.protobuf import json_format

from tests.service.api.test_routing_service import load_order

ROOT = Path(__file__).resolve().parents[2]
CLIENT = Path(__file__).parent / "node"
GOOGLEAPIS = Path(next(iter(google.rpc.__path__))).parents[1]
"""Where googleapis-common-protos keeps google/rpc/*.proto."""


def node() -> str:
    found = shutil.which("node")
    if found is None or shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail("node and npm are not installed: .ci/run installs them from the OS packages")
        pytest.skip("node and npm are not installed")
    if not (CLIENT / "node_modules" / "@grpc" / "grpc-js").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=CLIENT, check=True, timeout=300
        )
    return found


def test_a_node_client_routes_reads_rich_errors_reports_outcomes_and_checks_health(target: str, tmp_path: Path) -> None:
    executable = node()
    good, bad = load_order("10-default.yaml"), load_order("02-vip-customer.yaml")
    bad.lines[0].qty = -3
    orders = tmp_path / "orders.json"
    as_json = {"preserving_proto_field_name": True}
    orders.write_text(
        json.dumps(
            {"good": json_format.MessageToDict(good, **as_json), "bad": json_format.MessageToDict(bad, **as_json)}
        )
    )
    run = subprocess.run(
        [executable, str(CLIENT / "client.js"), target, str(ROOT / "proto"), str(GOOGLEAPIS), str(orders)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["route"]["path"] and seen["route"]["version"] == 1
    assert seen["batch"][0] == {"kind": "decision"}
    assert seen["batch"][1]["field"] == "orders[1].lines[0].qty" and seen["batch"][1]["reason"] == "INVALID_ORDER"
    error = seen["route_error"]
    assert (error["grpc_code"], error["code"]) == (3, 3)  # INVALID_ARGUMENT
    assert error["field"] == "order.lines[0].qty" and error["reason"] == "INVALID_ORDER"
    assert error["message"].startswith("order.lines[0].qty:")
    assert seen["outcome"] == {"decision_id": seen["route"]["decision_id"]}
    assert seen["health"] == "SERVING"
