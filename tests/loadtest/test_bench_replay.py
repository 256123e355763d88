"""The replay benchmark runs end to end in a short form (its figures come from the full run)."""

from __future__ import annotations

import json
from pathlib import Path

from loadtest import bench_replay


def test_the_replay_benchmark_replays_every_logged_order_faithfully(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    assert bench_replay.main(["--orders", "2000", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["logged"] == figures["replayed"] == 2000 and figures["not_reproduced"] == 0
    assert 0 < figures["changed"] < 2000 and figures["bytes_per_record"] > 0
