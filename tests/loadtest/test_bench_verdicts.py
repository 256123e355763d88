"""The verdict calibration measures the service's own code: the store state it builds with numpy equals
the service's in-memory store fed the same decisions and reports one by one; its intervals are Wilson's."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from experiments import Arm
from loadtest import bench_verdicts
from loadtest.verdict_world import START, Delays, Scenario, StoreState, World, draw
from service.storage.memory import MemoryDatabase
from service.storage.records import DecisionRecord

WORLD = Scenario(
    "check",
    orders=1_500,
    share_bp=2_000,
    ramp_to_bp=6_000,
    ramp_at=0.4,
    guests=0.1,
    guest_on_time=0.5,
    delays=Delays(exception=0.0, on_time=0.2, late=0.5),
    candidate_delays=Delays(exception=0.1, on_time=0.3, late=0.9),
    maturity={"on_time": 0.3504, "complaint": 0.7504, "exception": 0.0},
)
"""Off the grid of decision times (1/1000 h), so that no report comes in the very millisecond its decision
matures (the float hours here and the service's whole milliseconds might round it to different sides)."""


def hours(at: float) -> datetime:
    return START + timedelta(hours=at)


def replayed(world: World, looks: list[float]) -> list[dict[Arm, object]]:
    """The service's in-memory store, fed each decision when it is made and each report when it comes."""
    _, experiments, decisions = MemoryDatabase().stores()
    experiments.start(world.experiment, "test", "", None)
    events: list[tuple[float, int, int, dict[str, float]]] = []  # (time, order of kinds, order index, values)
    for i in range(len(world.at)):
        events.append((float(world.at[i]), 0, i, {}))
        by_time: dict[float, dict[str, float]] = {}
        for name, values in world.values.items():
            by_time.setdefault(float(world.reported_at[name][i]), {})[name] = float(values[i])
        for at, report in sorted(by_time.items()):
            events.append((at, 1, i, report))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    records: dict[int, DecisionRecord] = {}
    snapshots, pending = [], list(looks)

    def snapshot(look: float) -> dict[Arm, object]:
        epoch = int(world.epoch[np.searchsorted(world.at, look, "right") - 1])  # the experiment's epoch then
        return dict(experiments.arm_data(replace(world.experiment, epoch=epoch), hours(look)))

    for at, kind, i, values in events:
        while pending and at > pending[0]:
            snapshots.append(snapshot(pending.pop(0)))
        if kind == 0:
            unit = world.customer_ids[world.unit[i]] if world.unit[i] >= 0 else ""
            arm = {1: Arm.CANDIDATE, 0: Arm.BASELINE}.get(int(world.arm[i]))  # a guest: in no arm
            at_ms = round(hours(float(world.at[i])).timestamp() * 1000)
            records[i] = DecisionRecord(
                f"d{i}", "fulfilment", 1, at_ms, world.experiment.id, arm, unit, int(world.epoch[i])
            )
            decisions.write([records[i]])
        else:
            decisions.apply_outcomes([(records[i], values)], hours(at))
    snapshots += [snapshot(look) for look in pending]
    return snapshots


def test_the_calibration_sees_what_the_service_store_holds_at_every_look() -> None:
    world = draw(WORLD, 7)
    assert (world.unit < 0).any() and (world.epoch == 1).any() and set(world.arm) == {-1, 0, 1}
    looks = [0.3, 0.7, 1.2, 1.6, 2.4, 3.0]
    store = StoreState(world)
    mine = [store.at(t) for t in looks]
    theirs = replayed(world, looks)
    for at, ours, service in zip(looks, mine, theirs, strict=True):
        for arm in Arm:
            a, b = ours[arm], service[arm]
            assert (a.decisions, a.outcomes) == (b.decisions, b.outcomes), (at, arm)  # type: ignore[attr-defined]
            assert a.unassigned == b.unassigned, (at, arm)  # type: ignore[attr-defined]
            assert set(a.moments) == set(b.moments)  # type: ignore[attr-defined]
            for name, moments in a.moments.items():
                want = b.moments[name].sums()  # type: ignore[attr-defined]
                assert moments.sums() == pytest.approx(want), (at, arm, name)
            assert a.units == b.units, (at, arm)  # type: ignore[attr-defined]
            assert a.epoch_units == b.epoch_units, (at, arm)  # type: ignore[attr-defined]
            assert a.decided_hours == b.decided_hours, (at, arm)  # type: ignore[attr-defined]
            assert a.late == b.late, (at, arm)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("hits", "runs"), [(0, 1000), (3, 1000), (50, 1000), (999, 1000), (7, 20)])
def test_intervals_are_wilson_intervals(hits: int, runs: int) -> None:
    assert bench_verdicts.wilson(hits, runs) == pytest.approx(proportion_confint(hits, runs, method="wilson"))


def test_the_command_prints_each_rate_with_its_interval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "verdicts.json"
    argv = ["--runs", "4", "--workers", "1", "--only", "aa-ramp", "abort-15x", "srm-detect", "--json", str(out)]
    assert bench_verdicts.main(argv) == 0
    printed = capsys.readouterr().out
    assert "aa-ramp" in printed and "abort-15x" in printed and "srm-detect" in printed and "[" in printed
    figures = json.loads(out.read_text())
    assert {"aa-ramp.rate", "aa-ramp.low", "aa-ramp.high", "abort-15x.median_orders", "srm-detect.rate"} <= set(figures)
    assert figures["abort-15x.rate"] == 1.0 and figures["srm-detect.rate"] == 1.0
