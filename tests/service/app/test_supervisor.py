"""The supervisor on several replicas: guardrail aborts race quietly, each experiment on its own,
and the guardrail gauges show live experiments only."""

from __future__ import annotations

import logging

import pytest

from experiments import Action, Experiment, State
from service.app import GUARDRAIL_ACTOR, Services
from tests.service.app.conftest import breach_exception_guardrail, prepare
from tests.service.conftest import Stores


def two_harmful_experiments_both_replicas_route(stores: Stores, a: Services, b: Services) -> list[Experiment]:
    for name in ("first", "second"):
        prepare(a, name)
    started = [a.gray.start(name, 2, "rev", "pilot") for name in ("first", "second")]
    b.gray.refresh()
    for experiment in started:
        breach_exception_guardrail(stores, experiment.id)
    return started


def test_guardrail_aborts_lost_to_another_replica_are_quiet(
    stores: Stores, replicas: tuple[Services, Services], caplog: pytest.LogCaptureFixture
) -> None:
    a, b = replicas
    first, second = two_harmful_experiments_both_replicas_route(stores, a, b)

    assert a.supervisor.enforce_guardrails() == [first.id, second.id]
    # B still believes both run (its next reload has not come): it loses both races, quietly.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="service.app.supervisor"):
        assert b.supervisor.enforce_guardrails() == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert {stores.experiments.get(e.id).state for e in (first, second)} == {State.ABORTED}


def test_losing_one_race_does_not_skip_the_experiments_after_it(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, b = replicas
    first, second = two_harmful_experiments_both_replicas_route(stores, a, b)
    a.gray.change(first.id, Action.ABORT, GUARDRAIL_ACTOR, "replica A saw it first")

    assert b.supervisor.enforce_guardrails() == [second.id]
    last = stores.experiments.transitions(second.id)[-1]
    assert (last.action, last.actor) == (Action.ABORT, GUARDRAIL_ACTOR)
    assert "exception" in last.reason


def test_guardrail_gauges_hold_the_live_experiments_of_the_last_check_only(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, _ = replicas
    for name in ("healthy", "harmful"):
        prepare(a, name)
    healthy = a.gray.start("healthy", 2, "rev", "pilot")
    harmful = a.gray.start("harmful", 2, "rev", "pilot")
    a.supervisor.tick()
    before = a.supervisor.guardrail_states
    assert set(before) == {healthy.id, harmful.id}
    assert all(not breached for _, breached in before[harmful.id])

    breach_exception_guardrail(stores, harmful.id)
    assert a.supervisor.tick().aborted == [harmful.id]
    after = a.supervisor.guardrail_states
    assert set(after) == {healthy.id}, "an aborted experiment exports nothing, not breached=1 forever"
    assert set(before) == {healthy.id, harmful.id}, "a reader holding the last mapping sees it unchanged"

    a.gray.change(healthy.id, Action.ROLLBACK, "rev", "done")
    a.supervisor.tick()
    assert a.supervisor.guardrail_states == {}
