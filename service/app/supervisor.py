"""Every interval, on every replica: pick up other replicas' changes, finish promotions a crash left
half done, and abort any running candidate whose guardrail is breached.

Every replica sees a breach in the same second; one wins the abort and the
others find the experiment changed or ended, which is a normal, quiet
outcome. Each experiment is handled on its own, so trouble with one never
skips the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from experiments import Action, ExperimentError, WrongState
from service.app.catalog import Activated
from service.app.gray import GrayReleases
from service.app.notifications import result_events
from service.errors import Conflict, NotFound, ServiceError

log = logging.getLogger(__name__)
GUARDRAIL_ACTOR = "orderroute-guardrail"

GuardrailStates = Mapping[str, tuple[tuple[str, bool], ...]]
"""Experiment id -> (metric, breached) per guardrail, as of the last check."""


@dataclass(frozen=True, slots=True)
class Tick:
    """What one round did."""

    aborted: list[str] = field(default_factory=list)
    promoted: list[Activated] = field(default_factory=list)


class Supervisor:
    def __init__(self, gray: GrayReleases, interval: float = 1.0) -> None:
        self._gray = gray
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._ticked = threading.Condition()
        self.ticks = 0
        """Rounds completed, for anyone waiting on one (wait_for_ticks)."""
        self.guardrail_states: GuardrailStates = {}
        """The running experiments' guardrails at the last check; replaced whole each round, so a
        reader (the metrics thread) never sees it change under it, and ended experiments drop out."""

    def start(self) -> None:
        self._thread.start()

    def tick(self) -> Tick:
        """One round: reload, finish promotions, enforce guardrails."""
        self._gray.refresh()
        promoted = self._gray.finish_promotions()
        for activated in promoted:
            if activated.changed:
                log.warning("finished the promotion of %s v%d left half done", activated.name, activated.version)
        return Tick(self.enforce_guardrails(), promoted)

    def enforce_guardrails(self) -> list[str]:
        """Aborts every running experiment whose guardrail is breached; returns the ids aborted."""
        states: dict[str, tuple[tuple[str, bool], ...]] = {}
        aborted = []
        for experiment in self._gray.running():
            try:
                _, results = self._gray.results(experiment.id)
                self._gray.notifier.notify(*result_events(experiment, results))
                breached = [g for g in results.guardrails if g.breached]
                if breached:
                    self._gray.change(experiment.id, Action.ABORT, GUARDRAIL_ACTOR, results.reason)
                    aborted.append(experiment.id)
                    log.warning("aborted %s: %s", experiment.id, results.reason)
                else:
                    states[experiment.id] = tuple((g.metric, g.breached) for g in results.guardrails)
                    self._gray.keep_point(experiment, results)  # the results over time, once a cadence
            except (WrongState, Conflict, NotFound) as exc:  # another replica got there first
                log.info("guardrail check of %s skipped: %s", experiment.id, exc)
            except (ServiceError, ExperimentError) as exc:
                log.warning("guardrail check of %s failed (next round retries): %s", experiment.id, exc)
        self.guardrail_states = states
        return aborted

    def wait_for_ticks(self, count: int, timeout: float) -> bool:
        """Waits until `count` more rounds have completed; False on timeout."""
        with self._ticked:
            target = self.ticks + count
            return self._ticked.wait_for(lambda: self.ticks >= target, timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.tick()
            except ServiceError as exc:
                log.warning("supervisor: %s", exc.message)
            except Exception:
                log.exception("supervisor: unexpected error")
            with self._ticked:
                self.ticks += 1
                self._ticked.notify_all()

    def close(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(5)
