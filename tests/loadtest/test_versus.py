"""The short form of `python -m loadtest.versus`: this checkout against a commit, both served and driven."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest import versus


@pytest.mark.slow
def test_this_checkout_is_measured_beside_a_commit_of_its_own(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    assert versus.main(["HEAD", "--seconds", "0.6", "--rounds", "1", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    for name, _, _, _ in versus.WORKLOADS:
        assert figures[f"{name}_orders_per_s"] > 0 and figures[f"{name}_rev_orders_per_s"] > 0
        assert figures[f"{name}_vs_rev"] == figures[f"{name}_orders_per_s"] / figures[f"{name}_rev_orders_per_s"]
