"""Gray releases as the service runs them: experiments stored in Redis, the
live ones held in memory for Route, results on demand, and a supervisor
that aborts a harmful candidate on its own.

Route reads `live(rule_set)`: a dict lookup. Every transition is a
compare-and-set in Redis with an audit entry carrying the results of that
moment, so two replicas cannot both act on a stale experiment.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from experiments import (
    Experiment,
    Guardrail,
    Results,
    State,
    Transition,
    Unit,
    compute_results,
    new_experiment,
    ramp,
    transition,
)
from rules import CompiledRuleSet
from service.catalog import Activated, RuleSetCatalog
from service.errors import ServiceError
from service.experiment_store import RedisExperimentStore

log = logging.getLogger(__name__)
GUARDRAIL_ACTOR = "orderroute-guardrail"


@dataclass(frozen=True, slots=True)
class LiveExperiment:
    experiment: Experiment
    candidate: CompiledRuleSet


class GrayReleases:
    def __init__(self, store: RedisExperimentStore, catalog: RuleSetCatalog, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._catalog = catalog
        self._clock = clock
        self._live: dict[str, LiveExperiment] = {}
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self.guardrail_states: dict[str, list[tuple[str, bool]]] = {}
        """Experiment id -> (metric, breached) at the last check, for the metrics endpoint."""
        catalog.experiment_of = self._experiment_of

    # ------------------------------------------------------------ hot path

    def live(self, rule_set: str) -> LiveExperiment | None:
        return self._live.get(rule_set)

    # ------------------------------------------------------------ lifecycle

    def start(
        self,
        rule_set: str,
        candidate_version: int,
        actor: str,
        reason: str,
        share_bp: int = 0,
        unit: Unit = Unit.CUSTOMER_ID,
        primary_metric: str = "",
        guardrails: Sequence[Guardrail] = (),
        min_samples: int = 0,
        min_duration: timedelta = timedelta(0),
        salt: str = "",
    ) -> Experiment:
        baseline = self._catalog.active(rule_set)
        candidate = self._catalog.compiled(rule_set, candidate_version)
        experiment_id = self._store.next_id()
        experiment = new_experiment(
            id=experiment_id,
            rule_set=rule_set,
            baseline_version=baseline.version,
            candidate_version=candidate_version,
            salt=salt or f"{experiment_id}:{secrets.token_hex(8)}",
            created_by=actor,
            now=self._clock(),
            share_bp=share_bp or 500,
            unit=unit,
            primary_metric=primary_metric,
            guardrails=guardrails,
            min_samples=min_samples,
            min_duration=min_duration,
        )
        self._store.create(experiment, actor, reason)
        with self._lock:
            self._live[rule_set] = LiveExperiment(experiment, candidate)
        log.info(
            "started %s on %s: v%d vs v%d at %d bp",
            experiment_id,
            rule_set,
            candidate_version,
            baseline.version,
            experiment.share_bp,
        )
        return experiment

    def ramp(self, experiment_id: str, share_bp: int, actor: str, reason: str) -> Experiment:
        return self._change(experiment_id, "ramp", actor, reason, lambda e: ramp(e, share_bp))

    def pause(self, experiment_id: str, actor: str, reason: str) -> Experiment:
        return self._change(experiment_id, "pause", actor, reason, lambda e: transition(e, "pause", self._clock()))

    def resume(self, experiment_id: str, actor: str, reason: str) -> Experiment:
        return self._change(experiment_id, "resume", actor, reason, lambda e: transition(e, "resume", self._clock()))

    def rollback(self, experiment_id: str, actor: str, reason: str) -> Experiment:
        return self._change(
            experiment_id, "rollback", actor, reason, lambda e: transition(e, "rollback", self._clock())
        )

    def abort(self, experiment_id: str, actor: str, reason: str) -> Experiment:
        return self._change(experiment_id, "abort", actor, reason, lambda e: transition(e, "abort", self._clock()))

    def promote(self, experiment_id: str, actor: str, reason: str) -> tuple[Experiment, Activated]:
        experiment = self._store.get(experiment_id)
        transition(experiment, "promote", self._clock())  # refuses early if not allowed
        activated = self._catalog.activate(
            experiment.rule_set,
            experiment.candidate_version,
            actor,
            f"promote {experiment_id}: {reason}",
            promoting=experiment_id,
        )
        done = self._change(experiment_id, "promote", actor, reason, lambda e: transition(e, "promote", self._clock()))
        return done, activated

    # ------------------------------------------------------------ reading

    def get(self, experiment_id: str) -> tuple[Experiment, list[Transition]]:
        return self._store.get(experiment_id), self._store.transitions(experiment_id)

    def experiments(self, rule_set: str = "") -> list[Experiment]:
        return [e for e in self._store.all() if not rule_set or e.rule_set == rule_set]

    def results(self, experiment_id: str) -> tuple[Experiment, Results]:
        experiment = self._store.get(experiment_id)
        return experiment, compute_results(experiment, self._store.arm_data(experiment), self._clock())

    def shares(self) -> list[tuple[str, str, float]]:
        """(experiment id, rule set, candidate share) of running experiments."""
        return [
            (item.experiment.id, name, item.experiment.share_bp / 10_000)
            for name, item in self._live.items()
            if item.experiment.state is State.RUNNING
        ]

    def guardrails(self) -> list[tuple[str, str, bool]]:
        return [(e, metric, breached) for e, states in self.guardrail_states.items() for metric, breached in states]

    # ------------------------------------------------------------ supervision

    def refresh(self) -> None:
        """Reloads active versions and unfinished experiments (changes made by other replicas).

        Called by the change listener and the supervisor; one at a time.
        """
        with self._refresh_lock:
            self._catalog.load_active()
            live: dict[str, LiveExperiment] = {}
            for name in self._catalog.names():
                experiment = self._store.current(name)
                if experiment is not None:
                    live[name] = LiveExperiment(experiment, self._catalog.compiled(name, experiment.candidate_version))
            with self._lock:
                self._live = live
            self._catalog.retain({(name, item.experiment.candidate_version) for name, item in live.items()})

    def enforce_guardrails(self) -> list[Experiment]:
        """Aborts every running experiment whose guardrail is breached; returns those aborted."""
        aborted = []
        for item in list(self._live.values()):
            if item.experiment.state is not State.RUNNING:
                continue
            _, results = self.results(item.experiment.id)
            self.guardrail_states[item.experiment.id] = [(g.metric, g.breached) for g in results.guardrails]
            if any(g.breached for g in results.guardrails):
                try:
                    aborted.append(self.abort(item.experiment.id, GUARDRAIL_ACTOR, results.reason))
                    log.warning("aborted %s: %s", item.experiment.id, results.reason)
                except ServiceError as exc:  # another replica got there first
                    log.info("guardrail abort of %s skipped: %s", item.experiment.id, exc.message)
        return aborted

    # ------------------------------------------------------------ helpers

    def _experiment_of(self, rule_set: str) -> str | None:
        current = self._store.current(rule_set)
        return current.id if current is not None else None

    def _change(
        self, experiment_id: str, action: str, actor: str, reason: str, change: Callable[[Experiment], Experiment]
    ) -> Experiment:
        before = self._store.get(experiment_id)
        after = change(before)
        snapshot = compute_results(before, self._store.arm_data(before), self._clock()).summary()
        self._store.save_transition(before, after, action, actor, reason, self._clock(), snapshot)
        with self._lock:
            if after.state.is_final:
                self._live.pop(after.rule_set, None)
            else:
                candidate = self._catalog.compiled(after.rule_set, after.candidate_version)
                self._live[after.rule_set] = LiveExperiment(after, candidate)
        log.info("%s %s by %s: %s", action, experiment_id, actor, reason)
        return after


class Supervisor:
    """Every interval: pick up other replicas' changes, then enforce guardrails."""

    def __init__(self, gray: GrayReleases, interval: float = 1.0) -> None:
        self._gray = gray
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._gray.refresh()
                self._gray.enforce_guardrails()
            except ServiceError as exc:
                log.warning("supervisor: %s", exc.message)
            except Exception:
                log.exception("supervisor: unexpected error")

    def close(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(5)
