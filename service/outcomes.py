"""Recording what happened to routed orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orderroute.v1 import orderroute_pb2 as pb

from experiments import METRICS, Arm, InvalidOutcome, check_outcome
from experiments.model import MetricKind
from service.decision_log import DecisionLog
from service.errors import InvalidArgument, NotFound
from service.experiment_store import DecisionRecord, RedisExperimentStore
from service.telemetry import Telemetry

RATES = frozenset(name for name, spec in METRICS.items() if spec.kind is MetricKind.RATE)
METRIC_FIELDS = (
    "on_time",
    "fulfilment_hours",
    "logistics_cost_minor",
    "exception",
    "manual_intervention",
    "cancelled",
    "complaint",
    "returned",
)


@dataclass(frozen=True, slots=True)
class Recorded:
    decision_id: str
    experiment_id: str
    arm: Arm | None
    replaced: tuple[str, ...]


def outcome_values(outcome: pb.Outcome, where: str) -> dict[str, float]:
    if not outcome.decision_id:
        raise InvalidArgument(f"{where}.decision_id", "is required")
    return check_outcome({f: getattr(outcome, f) for f in METRIC_FIELDS if outcome.HasField(f)}, where)


class OutcomeRecorder:
    def __init__(self, store: RedisExperimentStore, decisions: DecisionLog, telemetry: Telemetry) -> None:
        self._store = store
        self._decisions = decisions
        self._telemetry = telemetry

    def record(self, outcomes: Sequence[pb.Outcome], where: str) -> list[Recorded | Exception]:
        """One result per outcome: Recorded, or the error for that outcome alone. OK ones are durable."""
        results: list[Recorded | Exception | None] = [None] * len(outcomes)
        values: dict[int, dict[str, float]] = {}
        for i, outcome in enumerate(outcomes):
            label = f"{where}[{i}]" if where == "outcomes" else where
            try:
                values[i] = outcome_values(outcome, label)
            except (InvalidArgument, InvalidOutcome) as exc:
                results[i] = exc
        records = self._lookup([outcomes[i].decision_id for i in values])
        found: list[tuple[int, DecisionRecord]] = []
        for i, record in zip(values, records, strict=True):
            if record is None:
                results[i] = NotFound(f"decision {outcomes[i].decision_id!r} is not known")
            else:
                found.append((i, record))
        replaced = self._store.apply_outcomes([(record, values[i]) for i, record in found])
        for (i, record), metrics in zip(found, replaced, strict=True):
            results[i] = Recorded(record.decision_id, record.experiment_id, record.arm, tuple(metrics))
        self._telemetry.outcomes(
            ((str(record.arm) if record.arm else "none", record.version, values[i]) for i, record in found), RATES
        )
        done = [r for r in results if r is not None]
        assert len(done) == len(outcomes), "every outcome gets a result"
        return done

    def _lookup(self, decision_ids: list[str]) -> list[DecisionRecord | None]:
        if not decision_ids:
            return []
        records = self._store.decisions(decision_ids)
        if any(r is None for r in records):
            # A decision made a moment ago may still be in this replica's buffer.
            self._decisions.flush()
            missing = [i for i, r in enumerate(records) if r is None]
            again = self._store.decisions([decision_ids[i] for i in missing])
            for i, record in zip(missing, again, strict=True):
                records[i] = record
        return records
