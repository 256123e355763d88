"""Events where they happen (needs the hook lines in gray.py and supervisor.py): a guardrail's abort from
the supervisor, a promotion with its candidate's activation, a rollback."""

from __future__ import annotations

from experiments import Action
from service.app import Services
from service.app.notifications import Event, EventKind
from tests.service.app.conftest import breach_exception_guardrail, prepare
from tests.service.conftest import Stores


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def notify(self, *events: Event) -> None:
        self.events.extend(events)


def recording(app: Services) -> Recorder:
    recorder = Recorder()
    app.catalog.notifier = recorder
    return recorder


def test_the_supervisor_aborting_on_a_guardrail_is_one_event(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, b = replicas
    prepare(a)
    experiment = a.gray.start("fulfilment", 2, "rev", "pilot")
    breach_exception_guardrail(stores, experiment.id)
    got = recording(b)
    b.gray.refresh()
    assert b.supervisor.enforce_guardrails() == [experiment.id]
    assert [e.kind for e in got.events] == [EventKind.GUARDRAIL_ABORT]
    assert "aborted by its guardrail: exception worse by" in got.events[0].text


def test_promotion_and_rollback_are_events(stores: Stores, replicas: tuple[Services, Services]) -> None:
    a, _ = replicas
    got = recording(a)
    prepare(a)
    first = a.gray.start("fulfilment", 2, "rev", "pilot")
    a.gray.change(first.id, Action.ROLLBACK, "rev", "not now")
    second = a.gray.start("fulfilment", 2, "rev", "again")
    a.gray.change(second.id, Action.RAMP, "rev", "more", share_bp=1000)
    a.gray.change(second.id, Action.PROMOTE, "lead", "on-time +6.8pt")
    assert [e.kind for e in got.events] == [
        EventKind.ACTIVATION,  # prepare's v1
        EventKind.ROLLBACK,
        EventKind.PROMOTION,
        EventKind.ACTIVATION,
    ]
    assert got.events[-1].data["experiment_id"] == second.id
