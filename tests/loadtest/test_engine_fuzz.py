"""The engine fuzzer: a short run of the real engine finds nothing, and each kind of defect planted in its
child (a fix of issue 12 taken back) is found, written as a reproducer that replays it, and that reproducer
runs clean on the engine as it is. `python -m loadtest.engine_fuzz --minutes 10` is the long form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest.engine_fuzz import fuzz, main, replay
from loadtest.fuzz_cases import make_case


def test_a_short_run_finds_nothing_and_reaches_the_engine_with_most_cases(tmp_path: Path) -> None:
    summary = fuzz(20261203, cases=150, out=tmp_path)
    assert summary.findings == [], summary.render()
    assert sum(summary.evaluated.values()) >= 110, summary.render()  # most rule sets pass validation...
    assert summary.refused, summary.render()  # ...and some are refused, as they must be
    assert summary.orders >= 1000 and summary.refused_orders > 0, summary.render()
    assert not any(tmp_path.iterdir())


def test_a_case_is_the_same_whenever_it_is_made() -> None:
    first, again = make_case(7, 42), make_case(7, 42)
    assert (first.source, first.orders) == (again.source, again.orders)
    assert make_case(7, 43).source != first.source


PLANTED = [
    # (plant, seed, cases, large share, kind found): the fuzz loop has to find each
    ("raw-floats", 1, 20, 5.0, "mismatch"),  # 1e-07 unreadable: orders in a batch match nothing
    ("rounded-floats", 3, 20, 5.0, "mismatch"),  # a precision loss near a threshold
    ("wide-documents", 2, 21, 100.0, "crash"),  # 255 fields in one engine object: segmentation fault
    ("one-ruleset", 1, 1, 100.0, "hang"),  # no shards: the engine loops forever compiling 300+ rules
]


@pytest.mark.parametrize(("plant", "seed", "cases", "large", "kind"), PLANTED, ids=[p[0] for p in PLANTED])
def test_a_planted_defect_is_found_with_a_reproducer_that_replays_it(
    plant: str, seed: int, cases: int, large: float, kind: str, tmp_path: Path
) -> None:
    summary = fuzz(seed, cases=cases, large_percent=large, case_seconds=5, out=tmp_path, plant=plant)
    found = [f for f in summary.findings if f["kind"] == kind]
    assert found, summary.render()
    reproducer = Path(found[0]["reproducer"])
    assert (reproducer / "rules.yaml").read_text().startswith("name: fuzz")
    assert isinstance(json.loads((reproducer / "orders.json").read_text()), list)
    assert f"--replay {reproducer} --plant {plant}" in (reproducer / "finding.txt").read_text()
    assert replay(reproducer, plant, case_seconds=5).finding == kind
    assert replay(reproducer, case_seconds=5).finding == "", "the real engine decides the reproducer right"


def test_the_command_exits_1_on_a_finding_and_0_on_a_clean_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--seed", "1", "--cases", "20", "--plant", "raw-floats", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "findings: mismatch" in out and "reproducer:" in out
    reproducer = next(tmp_path.iterdir())
    assert main(["--replay", str(reproducer)]) == 0
    assert capsys.readouterr().out.startswith("clean:")
