"""The store ports, one per aggregate: rule sets, experiments, decisions; and the webhook queue.

Each has a Redis adapter (service.storage.redis_*) and an in-memory one
(service.storage.memory); tests/service/storage/test_contract.py holds both
to the same contract. A store raises only service.errors kinds: NotFound,
Conflict (a compare-and-set lost), FailedPrecondition (RuleSetHeld),
StorageUnavailable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from experiments import Arm, ArmData, Experiment, Transition
from experiments.history import ResultsPoint
from experiments.running import Bounds
from service.errors import Conflict, FailedPrecondition, InvalidArgument, shown
from service.storage.health import HealthMinute
from service.storage.records import (
    ActiveRecord,
    AuditRecord,
    Claim,
    DecisionRecord,
    DraftRecord,
    LoggedDecision,
    ReviewRecord,
    ShadowRecord,
    VersionRecord,
)


class RuleSetHeld(FailedPrecondition):
    """An experiment holds the rule set: an activation other than its own promotion, or a second
    experiment, must wait until it ends."""

    REASON = "RULE_SET_HELD"

    def __init__(self, name: str, holder: str, message: str = "") -> None:
        super().__init__(
            message
            or f"experiment {holder} holds rule set {shown(name)}; promote, roll back or abort it before activating"
        )
        self.holder = holder


def active_moved(name: str, active: int, expected: int) -> Conflict:
    """An activation that expected another version to be active."""
    return Conflict(
        f"rule set {shown(name)} has version {active} active now, not {expected} as read: read it again, decide again"
    )


def reused_request(request_id: str, what: str, name: str) -> InvalidArgument:
    """A request id given again with another request: an id names one request."""
    return InvalidArgument(
        "request_id",
        f"{shown(request_id)} was used for another request on rule set {shown(name)}, not this {what}; use a new id",
    )


class RuleSetStore(Protocol):
    """Versions (immutable), the active pointer and the audit log of each rule set."""

    def publish(
        self,
        name: str,
        source: str,
        content_hash: str,
        author: str,
        comment: str,
        rule_count: int,
        now: datetime,
        request_id: str = "",
    ) -> tuple[VersionRecord, bool]:
        """Stores a new immutable version; (latest, False) if the content equals the latest. With a
        `request_id` seen within a day, the answer that request got (InvalidArgument if it was another)."""
        ...

    def get_version(self, name: str, version: int) -> VersionRecord: ...

    def list_names(self) -> list[str]: ...

    def list_versions(self, name: str) -> list[VersionRecord]:
        """Every version without its source, newest first."""
        ...

    def active(self, name: str) -> ActiveRecord | None: ...

    def activate(
        self,
        name: str,
        version: int,
        actor: str,
        reason: str,
        now: datetime,
        for_experiment: str = "",
        expected_active: int = 0,
        request_id: str = "",
        bypass: str = "",
    ) -> tuple[ActiveRecord, bool]:
        """Points the rule set at `version`; returns (the active record, whether this call changed it).
        `bypass` (why the approvals required were skipped) goes into the audit entry.

        With a `request_id` seen within a day, nothing is written and the record that request answered
        comes back with False (InvalidArgument if it was another request).

        Raises RuleSetHeld while an experiment holds the rule set, unless
        `for_experiment` is that experiment: then its claim is released in the
        same atomic step (its promotion completing). With `for_experiment` and
        no claim left the promotion completed before: nothing is written and
        the stored record comes back with False. Activating the version that is active already
        writes nothing either (no audit entry) and returns the stored record with False. With
        `expected_active`, Conflict (nothing written) unless that version is the active one (0: none).
        """
        ...

    def audit(self, name: str, limit: int, before: str = "") -> list[AuditRecord]:
        """Newest first, at most `limit`; with `before` (an entry_id), the entries older than that one."""
        ...

    def review(self, name: str, version: int, review: ReviewRecord) -> list[ReviewRecord]:
        """Adds a review of an existing version (NotFound otherwise) and its audit entry; returns the
        version's reviews, oldest first."""
        ...

    def reviews(self, name: str) -> dict[int, list[ReviewRecord]]:
        """Version -> its reviews, oldest first (versions without any are left out)."""
        ...

    def save_draft(self, draft: DraftRecord) -> None:
        """Keeps the draft, replacing the owner's earlier one of the same rule set."""
        ...

    def draft(self, name: str, owner: str) -> DraftRecord | None: ...

    def delete_draft(self, name: str, owner: str) -> None: ...


class ExperimentStore(Protocol):
    """Experiments, the claim each holds on its rule set, their audited transitions, and their per-arm sums."""

    def next_id(self) -> str: ...

    def holder(self, rule_set: str) -> str | None:
        """The experiment holding the rule set: running, paused, or promoted but not yet active."""
        ...

    def start(
        self, experiment: Experiment, actor: str, reason: str, replacing: str | None, request_id: str = ""
    ) -> Claim:
        """Creates the experiment and claims its rule set, in one atomic step, if the holder is still
        `replacing` (what the caller read; None: no holder) and that holder has ended.

        Otherwise nothing is written and the Claim names the holder. With a
        `request_id`, the same request starting again within a day gets
        `retried` and the experiment it created.
        """
        ...

    def get(self, experiment_id: str) -> Experiment: ...

    def all(self) -> list[Experiment]:
        """Newest first."""
        ...

    def save_transition(
        self,
        before: Experiment,
        after: Experiment,
        action: str,
        actor: str,
        reason: str,
        at: datetime,
        results: Mapping[str, object],
        request_id: str = "",
    ) -> Experiment:
        """Writes `after` only if the stored experiment is still `before` (state and epoch); Conflict if not.
        Returns the experiment as written; with a `request_id` done before (within a day), nothing is
        written and the experiment as that request left it comes back (InvalidArgument if that
        request was another change).

        A transition to a final state other than promoted releases the rule
        set in the same step; a promoted experiment keeps it until the
        activation of its candidate (RuleSetStore.activate) releases it.
        """
        ...

    def requested_change(self, experiment: Experiment, action: str, request_id: str) -> Experiment | None:
        """The experiment as an earlier `action` with this request id left it, or None if there was none."""
        ...

    def transitions(self, experiment_id: str) -> list[Transition]:
        """Oldest first."""
        ...

    def arm_data(self, experiment: Experiment, now: datetime) -> dict[Arm, ArmData]:
        """The experiment's counts and sums as of `now`: values held for their maturity window
        (experiments.maturity) whose decisions have matured by then are analysed first."""
        ...

    def running(self, experiment_id: str) -> dict[str, Bounds]:
        """The bounds the experiment's results have shown so far (experiments.running)."""
        ...

    def narrow(self, experiment_id: str, bounds: Mapping[str, Bounds]) -> None:
        """Narrows the kept bounds by these, key by key, in one atomic step (Bounds.narrowed)."""
        ...

    def add_point(self, experiment_id: str, point: ResultsPoint, cadence: timedelta) -> bool:
        """Keeps a point of the results over time (experiments.history): a transition's always, a point at
        the cadence only if its cadence bucket has none yet (False then). Past KEPT_POINTS cadence points
        (KEPT_TRANSITIONS transition points) the oldest go."""
        ...

    def points(self, experiment_id: str, limit: int) -> tuple[list[ResultsPoint], int]:
        """What a chart shows (experiments.history.chart_points: at most `limit` cadence points spread evenly,
        and every transition), oldest first; and how many points are kept."""
        ...

    def claim_shadow(self, experiment_id: str, cadence: timedelta) -> bool:
        """True for the one caller in a cadence (on any replica) that is to replay the candidate now."""
        ...

    def save_shadow(self, experiment_id: str, shadow: ShadowRecord) -> None:
        """Keeps the latest shadow replay of the experiment's candidate, replacing the one before."""
        ...

    def shadow(self, experiment_id: str) -> ShadowRecord | None: ...


class DecisionStore(Protocol):
    """Decision records (kept for the outcome window) and the outcomes reported for them."""

    def write(self, records: Sequence[DecisionRecord]) -> None:
        """Stores the records and counts them, and their units, in their experiments' arms."""
        ...

    def get(self, decision_ids: Sequence[str]) -> list[DecisionRecord | None]: ...

    def decisions_of_orders(self, order_ids: Sequence[str]) -> list[dict[str, str]]:
        """Per order id, rule set -> the id of the order's latest decision under it (empty: none kept)."""
        ...

    def apply_outcomes(
        self, items: Sequence[tuple[DecisionRecord, Mapping[str, float]]], now: datetime
    ) -> list[dict[str, float]]:
        """Stores outcome values (a later value of a metric replaces the earlier one, so a retry counts
        once) and keeps the experiment's sums up to date: a value is analysed at once, held until its
        decision matures, or counted as late, as experiments.maturity.arrival says at `now`; returns per
        item the earlier values replaced."""
        ...

    def stored_outcome(self, decision_id: str, experiment_id: str) -> dict[str, float]:
        """The metric values stored for a decision (empty: none)."""
        ...

    def stored_outcomes(self, decisions: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        """stored_outcome of each (decision id, experiment id), in one round trip."""
        ...

    def health(self, rule_set: str, first_minute: int, last_minute: int) -> list[HealthMinute]:
        """The order health counters (service.storage.health) of the minutes from first to last (minutes
        since 1970, both included) that have any, oldest first; write and apply_outcomes keep them."""
        ...


@dataclass(frozen=True, slots=True)
class WebhookItem:
    """One event to deliver to one URL."""

    delivery_id: str
    """The queue's key: unique per event and URL."""
    event_id: str
    """Sent as X-Orderroute-Delivery: receivers dedupe by it."""
    kind: str
    url: str
    body: str
    """The exact JSON body (ASCII), as signed."""
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimedWebhook:
    item: WebhookItem
    attempt: int
    """1 for the first attempt; also the claim's token (a later claim after the lease expired wins)."""


@dataclass(frozen=True, slots=True)
class Enqueued:
    new: bool
    """False: the event was enqueued before (within WebhookQueue's memory of event ids); nothing written."""
    dropped: tuple[WebhookItem, ...] = ()
    """The oldest items pushed out because the queue was full."""


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One entry of the delivery log: what an attempt (or the queue) did with an item."""

    event_id: str
    kind: str
    url: str
    state: str
    """delivered, retrying, failed (given up), or dropped (queue full)."""
    status: int
    """The receiver's HTTP status; 0: no answer (refused, timed out) or none asked."""
    error: str
    attempts: int
    at: datetime


class WebhookQueue(Protocol):
    """Webhook deliveries waiting to be made, shared by every replica, and the log of the last ones made.

    At least once: a claimed item is leased, not removed; it is removed when finished, and comes due
    again when its lease runs out (the process died mid-delivery).
    """

    def enqueue(self, event_id: str, items: Sequence[WebhookItem], now: datetime, capacity: int) -> Enqueued:
        """Adds the event's items, due now, in one atomic step, unless the event was enqueued before
        (then nothing is written). Beyond `capacity` items, the oldest are dropped and returned."""
        ...

    def claim(self, now: datetime, lease: timedelta, limit: int) -> list[ClaimedWebhook]:
        """Up to `limit` due items, oldest due first, each leased until now + lease."""
        ...

    def finish(self, claimed: ClaimedWebhook, record: DeliveryRecord) -> None:
        """Removes the item (delivered, or given up) and logs `record`."""
        ...

    def retry(self, claimed: ClaimedWebhook, due: datetime, record: DeliveryRecord) -> bool:
        """Makes the item due at `due` and logs `record`; False (nothing rescheduled) when another
        claim took the item since, or it is gone."""
        ...

    def log(self, records: Sequence[DeliveryRecord]) -> None:
        """Adds records to the delivery log (dropped items)."""
        ...

    def deliveries(self, limit: int) -> list[DeliveryRecord]:
        """The delivery log, newest first (the log keeps a bounded number)."""
        ...

    def depth(self) -> int:
        """Items waiting (due or leased)."""
        ...


class InputLogStore(Protocol):
    """The decision log with inputs (service.app.input_log): per rule set, by decision time."""

    def append(self, entries: Sequence[LoggedDecision], cutoff_ms: int, kept: int) -> None:
        """Adds the entries (one written again replaces itself), then lets go of each rule set's entries
        decided before `cutoff_ms` and of the oldest beyond `kept`."""
        ...

    def get(self, rule_set: str, decision_ids: Sequence[str]) -> list[LoggedDecision | None]: ...

    def between(self, rule_set: str, since_ms: int, until_ms: int, limit: int, offset: int = 0) -> list[LoggedDecision]:
        """Decided in [since_ms, until_ms), oldest first (then by decision id), at most `limit` from the
        `offset`-th on."""
        ...

    def count(self, rule_set: str, since_ms: int = 0, until_ms: int = 2**62) -> int:
        """Decided in [since_ms, until_ms)."""
        ...
