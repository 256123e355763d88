"""Gray releases as the service runs them: experiments in an ExperimentStore, the live ones held in
memory for Route, results on demand.

Route reads `live(rule_set)`: a dict lookup. Every change is a compare-and-set
in the store with an audit entry carrying the results of that moment, so two
replicas can never both act on a stale experiment. Promotion is two steps, in
this order: the experiment is recorded PROMOTED (it keeps its rule set), then
the candidate is activated, which releases the rule set; if the second step
does not happen (Redis went away, the process died), any replica finishes it
(`finish_promotions`, run by the supervisor every tick, and by a retried promote).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from experiments import (
    Action,
    Experiment,
    Guardrail,
    Results,
    State,
    Transition,
    Unit,
    Verdict,
    change,
    compute_results,
    new_experiment,
)
from experiments.history import CADENCE, ResultsPoint, point_of
from experiments.model import DEFAULT_MIN_DURATION, DEFAULT_SHARE_BP, MetricSpec
from rules import CompiledRuleSet
from service.app.catalog import Activated, RuleSetCatalog, VersionRefused
from service.app.clock import Clock
from service.app.notifications import Notifier, transition_events
from service.errors import Conflict, FailedPrecondition, NotFound, shown
from service.storage import ExperimentStore, RuleSetHeld

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LiveExperiment:
    experiment: Experiment
    candidate: CompiledRuleSet


@dataclass(frozen=True, slots=True)
class Changed:
    experiment: Experiment
    activated: Activated | None = None
    """The candidate's activation, for a promotion."""


class GrayReleases:
    def __init__(
        self, store: ExperimentStore, catalog: RuleSetCatalog, clock: Clock, cadence: timedelta = CADENCE
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._clock = clock
        self._cadence = cadence
        """How often a running experiment's results are kept (experiments.history)."""
        self._live: dict[str, LiveExperiment] = {}
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._shown = 0
        """Changes this replica made visible at once (_show): a refresh that read the store before one
        of them must not put back what it replaced."""
        self._not_routed: set[str] = set()
        """Experiments whose candidate is refused (damaged in storage), reported once."""

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
        share_bp: int = DEFAULT_SHARE_BP,
        unit: Unit = Unit.CUSTOMER_ID,
        primary_metric: str = "",
        guardrails: Sequence[Guardrail] = (),
        min_samples: int = 0,
        min_duration: timedelta = DEFAULT_MIN_DURATION,
        maturity: Mapping[str, timedelta] | None = None,
        salt: str = "",
        request_id: str = "",
        declared: Sequence[MetricSpec] = (),
        declared_limits: Mapping[str, float] | None = None,
        bypass: str = "",
    ) -> Experiment:
        """A new running experiment; the same `request_id` again returns the one it created. The candidate
        needs the approvals required, unless an admin gives a reason to `bypass` them (audited)."""
        holder = self._settled_holder(rule_set)
        baseline = self._catalog.active(rule_set)
        self._catalog.compiled(rule_set, candidate_version)  # NotFound, or a version that cannot run, first
        if bypass:
            reason = f"{reason} (approvals bypassed: {bypass})"
        else:
            self._catalog.require_approved(rule_set, candidate_version)
        experiment_id = self._store.next_id()
        experiment = new_experiment(
            id=experiment_id,
            rule_set=rule_set,
            baseline_version=baseline.version,
            candidate_version=candidate_version,
            salt=salt or f"{experiment_id}:{secrets.token_hex(8)}",
            created_by=actor,
            now=self._clock(),
            share_bp=share_bp,
            unit=unit,
            primary_metric=primary_metric,
            guardrails=guardrails,
            min_samples=min_samples,
            min_duration=min_duration,
            maturity=maturity,
            declared=declared,
            declared_limits=declared_limits,
        )
        claim = self._store.start(experiment, actor, reason, replacing=holder, request_id=request_id)
        if not claim.claimed and not claim.retried:
            raise RuleSetHeld(rule_set, claim.holder, self._held_message(rule_set, claim.holder))
        experiment = self._store.get(claim.holder)  # as stored, the same for a first call and a retry
        self._show(experiment)
        log.info(
            "started %s on %s: v%d vs v%d at %d bp",
            experiment.id,
            rule_set,
            experiment.candidate_version,
            experiment.baseline_version,
            experiment.share_bp,
        )
        return experiment

    def change(
        self,
        experiment_id: str,
        action: Action,
        actor: str,
        reason: str,
        share_bp: int = 0,
        request_id: str = "",
        etag: str = "",
    ) -> Changed:
        """Ramps (to `share_bp`), pauses, resumes, promotes, rolls back or aborts; audited with the results.

        Raises WrongState when the action is not allowed now, Conflict when
        another replica changed the experiment meanwhile (nothing was written).
        Promoting an experiment that is promoted already finishes its promotion.
        The same `request_id` again (within a day) returns what the first call did. With an `etag`
        (Experiment.etag as the caller read it), Conflict if the experiment changed since.
        """
        before = self._store.get(experiment_id)
        done = self._store.requested_change(before, action, request_id) if request_id else None
        if done is not None:
            after = done
        elif etag and etag != before.etag:
            raise Conflict(
                f"experiment {experiment_id} changed since it was read (etag {etag}, now {before.etag}): "
                "read it again and decide again"
            )
        elif action is Action.PROMOTE and before.state is State.PROMOTED:
            after = before
        else:
            now = self._clock()
            after = change(before, action, now, share_bp)
            results = self._results(before, now)
            if action is Action.PROMOTE:
                check_second_person(before, results, actor)
            snapshot = results.summary()
            after = self._store.save_transition(before, after, action, actor, reason, now, snapshot, request_id)
            self._catalog.notifier.notify(*transition_events(after, action, actor, reason, now, snapshot))
            self._store.add_point(after.id, point_of(after, results, str(action)), self._cadence)
            log.info("%s %s by %s: %s", action, experiment_id, actor, reason)
        self._show(after)
        activated = self._activate_candidate(after, actor, reason) if after.state is State.PROMOTED else None
        return Changed(after, activated)

    def finish_promotions(self) -> list[Activated]:
        """Activates the candidate of every promoted experiment that still holds its rule set."""
        done = []
        for name in self._catalog.names():
            holder = self._store.holder(name)
            experiment = self._experiment_or_none(holder) if holder else None
            if experiment is not None and experiment.state is State.PROMOTED:
                transitions = self._store.transitions(experiment.id)
                promoted = next(t for t in reversed(transitions) if t.action is Action.PROMOTE)
                done.append(self._activate_candidate(experiment, promoted.actor, promoted.reason))
        return done

    @property
    def notifier(self) -> Notifier:
        """Where events go (the catalog's: webhooks)."""
        return self._catalog.notifier

    # ------------------------------------------------------------ reading

    def get(self, experiment_id: str) -> tuple[Experiment, list[Transition]]:
        return self._store.get(experiment_id), self._store.transitions(experiment_id)

    def experiments(self, rule_set: str = "") -> list[Experiment]:
        return [e for e in self._store.all() if not rule_set or e.rule_set == rule_set]

    def results(self, experiment_id: str) -> tuple[Experiment, Results]:
        experiment = self._store.get(experiment_id)
        return experiment, self._results(experiment, self._clock())

    def _results(self, experiment: Experiment, now: datetime) -> Results:
        """The results now, narrowed by every earlier look's (experiments.running), which this one narrows."""
        arms = self._store.arm_data(experiment, now)
        results = compute_results(experiment, arms, now, self._store.running(experiment.id))
        self._store.narrow(experiment.id, results.running)
        return results

    def keep_point(self, experiment: Experiment, results: Results) -> bool:
        """Keeps the results as a point of their history, if none was kept this cadence (any replica)."""
        return self._store.add_point(experiment.id, point_of(experiment, results), self._cadence)

    def history(self, experiment_id: str, limit: int) -> tuple[list[ResultsPoint], int]:
        """At most `limit` points of the results over time, oldest first (every transition kept), and
        how many are stored."""
        self._store.get(experiment_id)  # NotFound for an experiment that does not exist
        return self._store.points(experiment_id, limit)

    def running(self) -> list[Experiment]:
        """The running experiments this replica routes to."""
        return [item.experiment for item in list(self._live.values()) if item.experiment.state is State.RUNNING]

    # ------------------------------------------------------------ supervision

    def refresh(self) -> None:
        """Reloads active versions and live experiments (changes made by other replicas).

        Called by the change listener and the supervisor; one at a time.
        """
        with self._refresh_lock:
            self._catalog.load_active()
            while True:
                with self._lock:
                    shown = self._shown
                live = self._read_live()
                with self._lock:
                    if self._shown == shown:  # else a local change came meanwhile: read the store again
                        self._live = live
                        break
            self._catalog.retain({(name, item.experiment.candidate_version) for name, item in live.items()})

    def _read_live(self) -> dict[str, LiveExperiment]:
        """The unfinished experiment of every rule set, as the store has them now."""
        live: dict[str, LiveExperiment] = {}
        for name in self._catalog.names():
            holder = self._store.holder(name)
            experiment = self._experiment_or_none(holder) if holder else None
            if experiment is not None and not experiment.state.is_final:
                try:
                    candidate = self._catalog.compiled(name, experiment.candidate_version)
                except VersionRefused as exc:  # damaged in storage: the rule set routes by its active version
                    if experiment.id not in self._not_routed:
                        self._not_routed.add(experiment.id)
                        log.error("experiment %s is not routed: %s", experiment.id, exc.message)
                    continue
                live[name] = LiveExperiment(experiment, candidate)
        return live

    # ------------------------------------------------------------ helpers

    def _settled_holder(self, rule_set: str) -> str | None:
        """The rule set's holder once any promotion it was waiting on is finished (None: free)."""
        holder = self._store.holder(rule_set)
        experiment = self._experiment_or_none(holder) if holder else None
        if experiment is not None and experiment.state is State.PROMOTED:
            self.finish_promotions()
            return self._store.holder(rule_set)
        return holder

    def _experiment_or_none(self, experiment_id: str) -> Experiment | None:
        try:
            return self._store.get(experiment_id)
        except NotFound:
            return None

    def _held_message(self, rule_set: str, holder: str) -> str:
        experiment = self._experiment_or_none(holder)
        state = f" ({experiment.state})" if experiment is not None else ""
        return (
            f"rule set {shown(rule_set)} already has experiment {holder}{state}; promote, roll back or abort it first"
        )

    def _activate_candidate(self, experiment: Experiment, actor: str, reason: str) -> Activated:
        return self._catalog.activate(
            experiment.rule_set,
            experiment.candidate_version,
            actor,
            f"promote {experiment.id}: {reason}",
            for_experiment=experiment.id,
        )

    def _show(self, experiment: Experiment) -> None:
        """Makes this replica route by `experiment` at once (others follow by the change feed)."""
        with self._lock:
            self._shown += 1
            if experiment.state.is_final:
                current = self._live.get(experiment.rule_set)
                if current is not None and current.experiment.id == experiment.id:
                    self._live.pop(experiment.rule_set, None)
            else:
                candidate = self._catalog.compiled(experiment.rule_set, experiment.candidate_version)
                self._live[experiment.rule_set] = LiveExperiment(experiment, candidate)


def check_second_person(experiment: Experiment, results: Results, actor: str) -> None:
    """Promoting against the results (no verdict yet, worse, or a mismatched split) takes a second
    person: someone other than who started the experiment (the API lets only reviewers and admins
    promote at all)."""
    if results.verdict is Verdict.BETTER or actor != experiment.created_by:
        return
    raise FailedPrecondition(
        f"the results do not recommend promoting {experiment.id} ({results.verdict}: {results.reason}); "
        f"a reviewer or admin other than {experiment.created_by}, who started it, must decide to promote it",
        SECOND_PERSON,
    )


SECOND_PERSON = "SECOND_PERSON_REQUIRED"
