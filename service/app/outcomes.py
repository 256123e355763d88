"""Recording what happened to routed orders.

A report names its decision, or the order (the systems that learn an order's fate know the order, not
our decision): the order's latest decision under its rule set is the one. Built-in values come checked
by experiments.check_outcome; values of declared metrics are checked here against the experiment of
the decision (experiments.check_against_experiment), since only then is it known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from experiments import Arm, Experiment, InvalidOutcome
from experiments.model import METRICS
from experiments.outcomes import check_against_experiment
from service.app.clock import Clock, utc_now
from service.app.decision_log import DecisionLog
from service.errors import FailedPrecondition, NotFound, shown
from service.storage import DecisionRecord, DecisionStore
from service.telemetry import OutcomeChange, Telemetry


@dataclass(frozen=True, slots=True)
class OutcomeReport:
    decision_id: str
    values: Mapping[str, float]
    """Built-in and declared metrics by name."""
    order_id: str = ""
    """Instead of decision_id: the order's latest decision (under `rule_set` when it names one)."""
    rule_set: str = ""
    where: str = "outcome"
    """The report's path in the request, for errors."""


@dataclass(frozen=True, slots=True)
class Recorded:
    decision_id: str
    experiment_id: str
    arm: Arm | None
    replaced: tuple[str, ...]
    """Metrics whose earlier report this one replaced."""


Refused = NotFound | FailedPrecondition | InvalidOutcome


class OutcomeRecorder:
    def __init__(
        self,
        store: DecisionStore,
        decisions: DecisionLog,
        telemetry: Telemetry,
        clock: Clock = utc_now,
        experiment: Callable[[str], Experiment] | None = None,
    ) -> None:
        self._store = store
        self._decisions = decisions
        self._telemetry = telemetry
        self._clock = clock
        self._experiment = experiment

    def record(self, reports: Sequence[OutcomeReport]) -> list[Recorded | Refused]:
        """One result per report, in order: Recorded (durable), or why it was refused (nothing stored)."""
        targets = self._decision_ids(reports)
        ids = [t for t in targets if isinstance(t, str)]
        found = iter(self._lookup(ids))
        records = [next(found) if isinstance(t, str) else t for t in targets]
        checked = self._check_declared(reports, records)
        accepted = [(report, r) for report, r in zip(reports, checked, strict=True) if isinstance(r, DecisionRecord)]
        earlier = self._store.apply_outcomes([(record, report.values) for report, record in accepted], self._clock())
        self._telemetry.outcomes(
            OutcomeChange(str(record.arm) if record.arm else "none", record.version, report.values, before)
            for (report, record), before in zip(accepted, earlier, strict=True)
        )
        replaced = iter(earlier)
        out: list[Recorded | Refused] = []
        for report, record in zip(reports, checked, strict=True):
            if isinstance(record, DecisionRecord):
                metrics = tuple(next(replaced))
                out.append(Recorded(record.decision_id, record.experiment_id, record.arm, metrics))
            elif record is None:
                out.append(NotFound(f"decision {shown(report.decision_id)} is not known", NotFound.DECISION))
            else:
                out.append(record)
        return out

    def _decision_ids(self, reports: Sequence[OutcomeReport]) -> list[str | Refused]:
        """Each report's decision id, the one it names or its order's; or why there is none."""
        by_order = [r.order_id for r in reports if not r.decision_id]
        latest = iter(self._orders(by_order))
        out: list[str | Refused] = []
        for report in reports:
            out.append(report.decision_id or _chosen(report, next(latest)))
        return out

    def _orders(self, order_ids: list[str]) -> list[dict[str, str]]:
        if not order_ids:
            return []
        # The order's latest decision may still be in this replica's buffer, even when an earlier one is
        # stored: write the buffer first (work the writer would do a few milliseconds later anyway).
        self._decisions.flush()
        return self._store.decisions_of_orders(order_ids)

    def _lookup(self, decision_ids: list[str]) -> list[DecisionRecord | None]:
        if not decision_ids:
            return []
        records = self._store.get(decision_ids)
        if any(r is None for r in records):
            # A decision made a moment ago may still be in this replica's buffer.
            self._decisions.flush()
            missing = [i for i, r in enumerate(records) if r is None]
            again = self._store.get([decision_ids[i] for i in missing])
            for i, record in zip(missing, again, strict=True):
                records[i] = record
        return records

    def _check_declared(
        self, reports: Sequence[OutcomeReport], records: list[DecisionRecord | Refused | None]
    ) -> list[DecisionRecord | Refused | None]:
        """Refuses the reports whose declared-metric values their decision's experiment does not declare."""
        experiments: dict[str, Experiment | None] = {}
        out = list(records)
        for i, (report, record) in enumerate(zip(reports, records, strict=True)):
            declared = {m: v for m, v in report.values.items() if m not in METRICS}
            if not declared or not isinstance(record, DecisionRecord) or not record.experiment_id:
                continue
            if record.experiment_id not in experiments:
                experiments[record.experiment_id] = self._find_experiment(record.experiment_id)
            experiment = experiments[record.experiment_id]
            if experiment is None:
                continue
            try:
                check_against_experiment(experiment, declared, report.where)
            except InvalidOutcome as exc:
                out[i] = exc
        return out

    def _find_experiment(self, experiment_id: str) -> Experiment | None:
        if self._experiment is None:
            return None
        try:
            return self._experiment(experiment_id)
        except NotFound:
            return None


def _chosen(report: OutcomeReport, latest: dict[str, str]) -> str | Refused:
    """The decision an outcome by order id lands on: the order's latest under the rule set named, or
    under its only rule set."""
    order = shown(report.order_id)
    if report.rule_set:
        if report.rule_set in latest:
            return latest[report.rule_set]
        under = f" under rule set {shown(report.rule_set)}"
        return NotFound(f"order {order} has no decision{under} within the retention", NotFound.DECISION)
    if not latest:
        return NotFound(f"order {order} has no decision within the retention", NotFound.DECISION)
    if len(latest) > 1:
        named = ", ".join(f"{decision} ({rule_set})" for rule_set, decision in sorted(latest.items()))
        return FailedPrecondition(
            f"order {order} was decided under {len(latest)} rule sets: {named}; "
            f"set {report.where}.rule_set or {report.where}.decision_id",
            "AMBIGUOUS_ORDER",
        )
    return next(iter(latest.values()))
