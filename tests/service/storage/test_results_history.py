"""The results over time in both adapters: one point a cadence bucket however many replicas offer one,
every transition kept, the oldest going first past the bound, unbounded intervals kept as written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from experiments import State, Verdict
from experiments.history import CADENCE, MetricPoint, ResultsPoint
from service.storage import memory, redis_history
from tests.service.conftest import Stores
from tests.service.storage.test_contract import T0, experiment


def point(seconds: float, action: str = "", low: float | None = -0.02) -> ResultsPoint:
    metrics = (MetricPoint("on_time", 0.01, low, 0.04), MetricPoint("exception", None, None, None))
    at = T0.replace(second=0, microsecond=0) + timedelta(seconds=seconds)
    return ResultsPoint(at, Verdict.NO_DIFFERENCE_YET, State.RUNNING, 500, action, (95, 5), metrics)


def test_one_point_a_cadence_and_every_transition(stores: Stores) -> None:
    e = experiment(stores)
    stores.experiments.start(e, "rev", "pilot", replacing=None)
    assert stores.experiments.add_point(e.id, point(1), CADENCE)
    assert not stores.experiments.add_point(e.id, point(30), CADENCE), "another replica, the same minute"
    assert stores.experiments.add_point(e.id, point(45, "ramp"), CADENCE), "a transition is always kept"
    assert stores.experiments.add_point(e.id, point(61, low=float("-inf")), CADENCE)
    kept, stored = stores.experiments.points(e.id, 500)
    assert stored == 3 and [p.at for p in kept] == [point(1).at, point(45).at, point(61).at]
    assert kept[0] == point(1)
    assert kept[1].action == "ramp"
    assert kept[2].metrics[0].low == float("-inf") and kept[2].metrics[1] == MetricPoint("exception", None, None, None)


def test_past_the_bound_the_oldest_go(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_history, "KEPT_POINTS", 3)
    monkeypatch.setattr(memory, "KEPT_POINTS", 3)
    e = experiment(stores)
    stores.experiments.start(e, "rev", "pilot", replacing=None)
    for minute in range(5):
        stores.experiments.add_point(e.id, point(60 * minute), CADENCE)
    stores.experiments.add_point(e.id, point(30, "pause"), CADENCE)
    kept, stored = stores.experiments.points(e.id, 500)
    assert stored == 4 and [p.at for p in kept] == [point(30).at, *(point(60 * m).at for m in (2, 3, 4))]
    thinned, _ = stores.experiments.points(e.id, 2)
    assert [p.at for p in thinned] == [point(30).at, point(120).at, point(240).at], "the first, the last, every mark"
