"""The core benchmark runs (smoke form) and reports every figure with its baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest import bench_core


def test_quick_run_reports_ratios(tmp_path: Path, redis_client) -> None:
    out = tmp_path / "figures.json"
    assert bench_core.main(["--quick", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert set(figures) == {
        "engine_us",
        "engine_batch_us",
        "reference_us",
        "zen_us",
        "engine_vs_reference",
        "engine_batch_vs_zen",
        "convert_us",
        "read_us",
        "document_us",
        "durable_rules_us",
        "evaluate_us",
        "route_p50_ms",
        "route_p99_ms",
        "echo_p50_ms",
        "echo_p99_ms",
        "route_vs_echo_p50",
        "route_vs_echo_p99",
    }
    assert all(value > 0 for value in figures.values())
    assert figures["route_vs_echo_p50"] == figures["route_p50_ms"] / figures["echo_p50_ms"]


def test_harness_smoke_reports_every_figure(tmp_path: Path) -> None:
    """The quick harness run starts Redis, the service and the echo server, and reports ratios."""
    from loadtest import bench

    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    for key in (
        "route_rps",
        "echo_rps",
        "route_vs_echo",
        "batch_orders_per_s",
        "echo_batch_orders_per_s",
        "batch_vs_echo",
        "route_p99_ms",
        "echo_p99_ms",
        "engine_us",
        "reference_us",
        "zen_us",
        "mem_growth_pct",
        "telemetry_overhead_pct",
    ):
        assert key in figures, key
    assert figures["batch_vs_echo"] == figures["batch_orders_per_s"] / figures["echo_batch_orders_per_s"]
    assert all(figures[k] > 0 for k in ("route_rps_1", "route_rps_16", "route_rps_64", "echo_rps_64"))


def test_without_zen_engine_the_comparison_is_skipped_with_a_note(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench_core, "zen_available", lambda: False)
    figures = bench_core.bench_engine(0.02)
    assert "zen_us" not in figures and figures["engine_us"] > 0
    assert "zen-engine is not installed" in capsys.readouterr().err
