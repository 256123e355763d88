"""Shadow replays during a gray release: every cadence, each running experiment's candidate is replayed
over the latest orders the baseline arm served (the whole traffic but the candidate's share), so a
reviewer sees how much of all traffic the candidate would change and how those orders fared, without
waiting for the ramp. One replica per cadence does it (the store's claim), on its own thread, off the
Route path; the results page reads the kept report."""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import timedelta

from experiments import Arm, Experiment, ExperimentError
from rules.replay import ReplayReport
from service.app.clock import Clock
from service.app.gray import GrayReleases
from service.app.replay import Replayer, ReplayRequest
from service.errors import ServiceError
from service.storage import ExperimentStore
from service.storage.records import LoggedDecision, ShadowRecord

log = logging.getLogger(__name__)
CADENCE = timedelta(minutes=10)
ORDERS = 20_000
"""The latest baseline orders replayed: about two seconds of one core."""
EXAMPLES_KEPT = 3
"""Examples kept per kind of change: the results page shows a few; `rules replay` shows them all."""


class Shadows:
    def __init__(
        self,
        gray: GrayReleases,
        replayer: Replayer,
        store: ExperimentStore,
        clock: Clock,
        cadence: timedelta = CADENCE,
        orders: int = ORDERS,
    ) -> None:
        self._gray = gray
        self._replayer = replayer
        self._store = store
        self._clock = clock
        self.cadence = cadence
        self.orders = orders
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shadow-replays", daemon=True)

    @property
    def enabled(self) -> bool:
        return self.cadence > timedelta(0) and self.orders > 0

    def start(self) -> None:
        if self.enabled:
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(5)

    def get(self, experiment_id: str) -> ShadowRecord | None:
        return self._store.shadow(experiment_id)

    def refresh(self) -> list[str]:
        """Replays each running experiment's candidate whose cadence has come round (on this replica);
        the ids replayed."""
        done = []
        for experiment in self._gray.running():
            try:
                if self._store.claim_shadow(experiment.id, self.cadence):
                    self._store.save_shadow(experiment.id, self.replay(experiment))
                    done.append(experiment.id)
            except (ServiceError, ExperimentError) as exc:
                log.warning("shadow replay of %s failed (the next cadence retries): %s", experiment.id, exc)
        return done

    def replay(self, experiment: Experiment) -> ShadowRecord:
        since = experiment.created_at
        request = ReplayRequest(
            experiment.rule_set,
            candidate_version=experiment.candidate_version,
            since_ms=round(since.timestamp() * 1000),
            limit=self.orders,
            latest=True,
        )

        def served_by_the_baseline(logged: LoggedDecision) -> bool:
            return logged.experiment_id == experiment.id and logged.arm is Arm.BASELINE

        report = self._replayer.replay(request, keep=served_by_the_baseline)
        return ShadowRecord(self._clock(), since, self.orders, _trimmed(report))

    def _run(self) -> None:
        # A short wait keeps a new experiment's first shadow close to its start; the claim keeps the cadence.
        while not self._stop.wait(min(self.cadence.total_seconds(), 5.0)):
            try:
                self.refresh()
            except Exception:
                log.exception("shadow replays: unexpected error")


def _trimmed(report: ReplayReport) -> ReplayReport:
    return dataclasses.replace(report, examples={k: v[:EXAMPLES_KEPT] for k, v in report.examples.items()})
