"""The console page benchmark runs end to end in a short form (its figures come from the full run)."""

from __future__ import annotations

import json
from pathlib import Path

from loadtest import bench_console


def test_the_console_benchmark_times_every_page(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    assert (
        bench_console.main(
            ["--rules", "20", "--versions", "3", "--requests", "2", "--days", "0.05", "--json", str(out)]
        )
        == 0
    )
    figures = json.loads(out.read_text())
    pages = ("rule_sets", "versions", "version_table", "changes", "history", "experiment_results")
    assert all(figures[f"{page}_ms_median"] > 0 for page in pages)
