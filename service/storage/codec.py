"""How stored values are written: times, experiments, decision records.

Times are whole milliseconds since the epoch (UTC), in every key and stream.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from experiments import Arm, Experiment, Guardrail, State, Unit
from experiments.model import MetricKind, MetricSpec
from service.errors import InvalidArgument, shown
from service.storage.records import DecisionRecord


def text(value: object) -> str:
    """A Redis reply (bytes) or a stored value as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def time_to_ms(at: datetime) -> int:
    return round(at.timestamp() * 1000)


def time_from_stored(value: object) -> datetime:
    """A stored time: milliseconds, as a number or its text."""
    return datetime.fromtimestamp(int(text(value)) / 1000, UTC)


def experiment_to_json(e: Experiment) -> str:
    return json.dumps(
        {
            "id": e.id,
            "rule_set": e.rule_set,
            "baseline_version": e.baseline_version,
            "candidate_version": e.candidate_version,
            "share_bp": e.share_bp,
            "salt": e.salt,
            "unit": str(e.unit),
            "primary_metric": e.primary_metric,
            "guardrails": [[g.metric, g.limit] for g in e.guardrails],
            "min_samples": e.min_samples,
            "min_duration_s": e.min_duration.total_seconds(),
            "state": str(e.state),
            "created_at": time_to_ms(e.created_at),
            "created_by": e.created_by,
            "epoch": e.epoch,
            "ended_at": time_to_ms(e.ended_at) if e.ended_at else None,
            "alpha": e.alpha,
            "shares": list(e.shares),
            "maturity_s": {m: w.total_seconds() for m, w in e.maturity.items()},
            "declared": [[m.name, str(m.kind), m.higher_is_better, m.description, m.mde] for m in e.declared],
        }
    )


def experiment_from_json(raw: str | bytes) -> Experiment:
    d: dict[str, Any] = json.loads(raw)
    return Experiment(
        id=d["id"],
        rule_set=d["rule_set"],
        baseline_version=int(d["baseline_version"]),
        candidate_version=int(d["candidate_version"]),
        share_bp=int(d["share_bp"]),
        salt=d["salt"],
        unit=Unit(d["unit"]),
        primary_metric=d["primary_metric"],
        guardrails=tuple(Guardrail(m, float(limit)) for m, limit in d["guardrails"]),
        min_samples=int(d["min_samples"]),
        min_duration=timedelta(seconds=float(d["min_duration_s"])),
        state=State(d["state"]),
        created_at=time_from_stored(d["created_at"]),
        created_by=d["created_by"],
        epoch=int(d["epoch"]),
        ended_at=time_from_stored(d["ended_at"]) if d.get("ended_at") else None,
        alpha=float(d.get("alpha", 0.05)),
        shares=tuple(int(s) for s in d.get("shares", ())),
        maturity={m: timedelta(seconds=float(s)) for m, s in d.get("maturity_s", {}).items()},
        declared=tuple(
            MetricSpec(name, MetricKind(kind), bool(higher), description, float(mde))
            for name, kind, higher, description, mde in d.get("declared", ())
        ),
    )


def change_record(after: Experiment, action: str) -> str:
    """What a change request did, kept under its request id: the experiment it changed, how, and into what."""
    return json.dumps({"id": after.id, "action": action, "after": experiment_to_json(after)})


def changed_by(raw: str, experiment_id: str, action: str, request_id: str) -> Experiment:
    """The experiment as the earlier request with this id left it; InvalidArgument if that request was
    another change (a request id names one request)."""
    record = json.loads(raw)
    if (record["id"], record["action"]) != (experiment_id, action):
        raise InvalidArgument(
            "request_id",
            f"{shown(request_id)} was used for {record['action']} of experiment {record['id']}; use a new id",
        )
    return experiment_from_json(record["after"])


_PACKED_V2 = "~2|"
"""Marks the form with the order id ('~' is in no rule set name; the first form began with the name)."""


def pack_decision(r: DecisionRecord) -> str:
    """~2|rule set|version|at ms|experiment|arm|epoch|length of the unit|unit and order id (both may
    contain '|', so they come last, the unit's length saying where the order id starts)."""
    return (
        f"{_PACKED_V2}{r.rule_set}|{r.version}|{r.at_ms}|{r.experiment_id}|{r.arm or ''}|{r.epoch}"
        f"|{len(r.unit)}|{r.unit}{r.order_id}"
    )


def unpack_decision(decision_id: str, raw: bytes | str | None) -> DecisionRecord | None:
    """A packed record, in either form (records written before the order id was kept have none)."""
    if raw is None:
        return None
    packed, order_id = text(raw), ""
    if packed.startswith(_PACKED_V2):
        *head, unit_length, rest = packed[len(_PACKED_V2) :].split("|", 7)
        unit, order_id = rest[: int(unit_length)], rest[int(unit_length) :]
        rule_set, version, at_ms, experiment_id, arm, epoch = head
    else:
        rule_set, version, at_ms, experiment_id, arm, epoch, unit = packed.split("|", 6)
    return DecisionRecord(
        decision_id=decision_id,
        rule_set=rule_set,
        version=int(version),
        at_ms=int(at_ms),
        experiment_id=experiment_id,
        arm=Arm(arm) if arm else None,
        unit=unit,
        epoch=int(epoch),
        order_id=order_id,
    )
