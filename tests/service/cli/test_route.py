"""`orderroute route` against a draft rule set file (offline) and a published version (locally): the
decision the server's engine gives, shown in the table the online route prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import service.cli as cli
from tests.conftest import EXAMPLES

NOWHERE = "127.0.0.1:1"
ORDERS = EXAMPLES / "orders"
CANDIDATE = EXAMPLES / "fulfilment-candidate.yaml"


@pytest.fixture
def two_repeats(tmp_path: Path) -> Path:
    """A customer with 2 repeat purchases: express only under the candidate."""
    path = tmp_path / "two-repeats.yaml"
    path.write_text(
        (ORDERS / "03-repeat-customer.yaml").read_text().replace("repeat_purchases: 3", "repeat_purchases: 2")
    )
    return path


def routed(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    """(the table, what follows it) of a route that succeeded."""
    assert cli.main(["route", *argv]) == 0
    table, _, provenance = capsys.readouterr().out.partition("\n\n")
    return table, provenance


def field(table: str, name: str) -> list[str]:
    row = next(line for line in table.splitlines() if line.split()[0] == name)
    return row.split()[1:]


def test_a_draft_rule_set_routes_offline_without_a_server(
    two_repeats: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table, provenance = routed(capsys, str(two_repeats), "--rules", str(CANDIDATE), "--server", NOWHERE)
    assert table.splitlines()[0].split() == ["FIELD", "VALUE", "DECIDED", "BY"]
    assert field(table, "path") == ["EXPRESS", "repeat-customer-express"]
    assert provenance.startswith(f"evaluated locally against {CANDIDATE} (sha256:")
    assert "matched: repeat-customer-express" in provenance

    table, _ = routed(capsys, str(two_repeats), "--rules", str(EXAMPLES / "fulfilment.yaml"))
    assert field(table, "path") == ["STANDARD", "standard"]


def test_offline_the_warehouse_node_is_resolved_as_the_server_does(capsys: pytest.CaptureFixture[str]) -> None:
    """Nearest in-stock candidate: the store 2 km away has none, the forward node 9 km away has."""
    table, _ = routed(capsys, str(ORDERS / "06-live-stream-flash-sale.yaml"), "--rules", str(CANDIDATE))
    assert field(table, "warehouse") == ["NEAREST_WITH_STOCK", "->", "FWD-MH", "live-stream-flash-nearest-stock"]


def test_an_invalid_draft_prints_its_diagnostics_and_routes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text(
        CANDIDATE.read_text().replace(
            "customer.repeat_purchases: {at_least: 2}", "customer.repeat_purchase: {at_least: 2}"
        )
    )
    assert cli.main(["route", str(ORDERS / "03-repeat-customer.yaml"), "--rules", str(draft)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{draft}:" in err and "error[unknown-fact]" in err and "did you mean 'customer.repeat_purchases'?" in err
    assert err.endswith(f"error: {draft}: not routed: fix the errors above\n")


def test_a_published_version_is_evaluated_locally_and_shown_as_the_server_shows_its_decision(
    target: str, two_repeats: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["rules", "publish", str(CANDIDATE), "--server", target]) == 0  # version 2, not active
    capsys.readouterr()
    online, online_provenance = routed(capsys, str(two_repeats), "--server", target)
    at_v1, v1_provenance = routed(
        capsys, str(two_repeats), "--version", "1", "--rule-set", "fulfilment", "--server", target
    )
    assert at_v1 == online and online_provenance.startswith("decision ")
    assert v1_provenance.startswith("evaluated locally against fulfilment version 1 (sha256:")

    at_v2, v2_provenance = routed(capsys, str(two_repeats), "--version", "v2", "--server", target)  # the only rule set
    assert field(at_v2, "path") == ["EXPRESS", "repeat-customer-express"]
    assert v2_provenance.startswith("evaluated locally against fulfilment version 2 (sha256:")

    assert cli.main(["route", str(two_repeats), "--version", "2", "--server", target, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["evaluated_locally_against"] == "fulfilment version 2"
    assert (shown["decision"]["path"], shown["decision"]["version"]) == ("EXPRESS", 2)
