"""Recording what happened to routed orders (values already checked by experiments.check_outcome)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from experiments import Arm
from service.app.clock import Clock, utc_now
from service.app.decision_log import DecisionLog
from service.errors import NotFound, shown
from service.storage import DecisionRecord, DecisionStore
from service.telemetry import OutcomeChange, Telemetry


@dataclass(frozen=True, slots=True)
class OutcomeReport:
    decision_id: str
    values: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Recorded:
    decision_id: str
    experiment_id: str
    arm: Arm | None
    replaced: tuple[str, ...]
    """Metrics whose earlier report this one replaced."""


class OutcomeRecorder:
    def __init__(
        self, store: DecisionStore, decisions: DecisionLog, telemetry: Telemetry, clock: Clock = utc_now
    ) -> None:
        self._store = store
        self._decisions = decisions
        self._telemetry = telemetry
        self._clock = clock

    def record(self, reports: Sequence[OutcomeReport]) -> list[Recorded | NotFound]:
        """One result per report, in order: Recorded (durable), or NotFound for an unknown decision."""
        records = self._lookup([r.decision_id for r in reports])
        found = [(report, record) for report, record in zip(reports, records, strict=True) if record is not None]
        earlier = self._store.apply_outcomes([(record, report.values) for report, record in found], self._clock())
        self._telemetry.outcomes(
            OutcomeChange(str(record.arm) if record.arm else "none", record.version, report.values, before)
            for (report, record), before in zip(found, earlier, strict=True)
        )
        replaced = iter(earlier)
        out: list[Recorded | NotFound] = []
        for report, record in zip(reports, records, strict=True):
            if record is None:
                out.append(NotFound(f"decision {shown(report.decision_id)} is not known", NotFound.DECISION))
            else:
                metrics = tuple(next(replaced))
                out.append(Recorded(record.decision_id, record.experiment_id, record.arm, metrics))
        return out

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
