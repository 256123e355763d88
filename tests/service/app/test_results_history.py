"""The supervisor keeps the results over time (one point a cadence across replicas, one at every
transition), and promoting against the results takes a second person."""

from __future__ import annotations

import pytest

from experiments import Action, Verdict
from service.app import Services
from service.app.gray import SECOND_PERSON
from service.errors import FailedPrecondition
from tests.service.app.conftest import prepare
from tests.service.conftest import Stores


def test_replicas_keep_one_point_a_cadence_and_each_transition_adds_one(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, b = replicas
    prepare(a)
    running = a.gray.start("fulfilment", 2, "rev", "pilot")
    b.gray.refresh()
    a.supervisor.tick()
    b.supervisor.tick()
    points, stored = a.gray.history(running.id, 500)
    assert stored in (1, 2), "one point a minute (two only if the minute turned between the ticks)"
    a.gray.change(running.id, Action.RAMP, "rev", "more", 1_000)
    a.gray.change(running.id, Action.PAUSE, "rev", "look")
    points, _ = a.gray.history(running.id, 500)
    assert [(p.action, p.share_bp) for p in points if p.action] == [("ramp", 1_000), ("pause", 1_000)]
    assert {m.metric for m in points[-1].metrics} >= {"on_time", "exception"}


def test_promoting_without_a_verdict_needs_someone_other_than_who_started_it(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, _ = replicas
    prepare(a)
    running = a.gray.start("fulfilment", 2, "rev", "pilot")
    assert a.gray.results(running.id)[1].verdict is not Verdict.BETTER
    with pytest.raises(FailedPrecondition) as refused:
        a.gray.change(running.id, Action.PROMOTE, "rev", "looks fine to me")
    assert refused.value.reason == SECOND_PERSON and "other than rev" in refused.value.message
    assert [t.action for t in stores.experiments.transitions(running.id)] == [Action.START], "nothing written"
    done = a.gray.change(running.id, Action.PROMOTE, "lead", "accepting no verdict: the campaign starts")
    assert done.activated is not None and done.activated.version == 2
