"""What the stores hold, as plain frozen data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from experiments import Arm
from rules import Decision
from rules.replay import FIELDS, ReplayReport


@dataclass(frozen=True, slots=True)
class VersionRecord:
    name: str
    version: int
    content_hash: str
    author: str
    comment: str
    published_at: datetime
    rule_count: int
    source: str = ""


@dataclass(frozen=True, slots=True)
class ActiveRecord:
    """The version a rule set points at, and the activation that put it there."""

    version: int
    actor: str
    reason: str
    at: datetime
    previous_version: int = 0


@dataclass(frozen=True, slots=True)
class AuditRecord:
    action: str
    name: str
    version: int
    actor: str
    reason: str
    at: datetime
    previous_version: int = 0
    content_hash: str = ""
    entry_id: str = ""
    """Where the entry is in its log (a Redis stream id): what `audit(before=...)` continues from."""
    bypass: str = ""
    """For an activation: why an admin activated a version without the approvals required."""


@dataclass(frozen=True, slots=True)
class DraftRecord:
    """One person's unpublished source of a rule set."""

    name: str
    owner: str
    source: str
    base_version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """One reviewer's approval or rejection of one version."""

    reviewer: str
    approved: bool
    comment: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """The answer to starting an experiment: which experiment holds the rule set now, and why."""

    holder: str
    claimed: bool = False
    """This call created the experiment and claimed the rule set for it."""
    retried: bool = False
    """The same start request did so before: `holder` is the experiment it created."""


class DecisionRecord(NamedTuple):
    """One decision as the decision store keeps it (and, below the decision, what the input log needs).

    A tuple, immutable like the other records: one is made per routed order, and a frozen 15-field
    dataclass costs five times as much to build (its fields set one by one through object.__setattr__)."""

    decision_id: str
    rule_set: str
    version: int
    at_ms: int
    experiment_id: str = ""
    arm: Arm | None = None
    unit: str = ""
    epoch: int = 0
    order_id: str = ""
    """The OMS's id of the order (indexed, so an outcome can name the order instead of the decision)."""
    path: str = ""
    default_rule: bool = False
    eval_ns: int = 0
    """Engine time per order of the group it was evaluated in. Path, default rule and time are counted for
    order health (service.storage.health) and not stored with the record."""
    facts: Mapping[str, Any] | None = None
    """The order's facts as the engine read them, and below the decision: for the input log
    (service.app.input_log), written by it and not with the record."""
    decision: Decision | None = None
    source: Any = None
    """The order as the request carried it (an object with SerializeToString(): its protobuf message),
    for the input log to keep exactly, when it has no masks to apply."""

    def __repr__(self) -> str:  # the order's facts and decision would drown the rest
        return f"DecisionRecord({self.decision_id!r}, {self.rule_set!r}, {self.version}, {self.at_ms}, ...)"


@dataclass(frozen=True, slots=True)
class LoggedDecision:
    """A decision with the order's inputs, as the input log keeps it for explaining and replaying."""

    decision_id: str
    rule_set: str
    version: int
    content_hash: str
    at_ms: int
    order_id: str
    experiment_id: str
    arm: Arm | None
    facts: Mapping[str, Any]
    """The facts as the engine read them, masked fact paths dropped or replaced by a keyed hash."""
    masked: tuple[str, ...]
    """The fact paths masked in `facts` (as configured: a path the order did not have is not listed)."""
    decided: Mapping[str, Any]
    """The decision fields (DECIDED_FIELDS) as decided."""
    matched_rules: tuple[str, ...]
    default_rule_used: bool
    missing_facts: tuple[str, ...]
    order: bytes = b""
    """The order's protobuf serialization, when it was logged so (no masks): `facts` is then read from it
    (service.app.input_log) and is empty as stored."""


DECIDED_FIELDS = FIELDS
"""The fields of a decision the input log keeps (those a replay compares: rules.replay)."""


@dataclass(frozen=True, slots=True)
class ShadowRecord:
    """A running experiment's candidate replayed over the baseline arm's logged orders."""

    computed_at: datetime
    since: datetime
    """The baseline arm's orders decided since then; the latest `limit` of them."""
    limit: int
    report: ReplayReport
