"""In-memory adapters of the three store ports (and the webhook queue), for testing the application layer without Redis.

They obey the same contract as the Redis adapters (tests/service/storage/
test_contract.py runs one suite against both): the same compare-and-set
rules, the same errors, times kept to the millisecond and experiments kept as
the same JSON, outcome sums kept by experiments.statistics.Accumulator (the
reference the Redis script is held to). One lock makes every operation atomic,
as a Lua script is. Nothing expires and nothing is shared between processes:
this is not a store to run the service on.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from experiments import Action, Arm, ArmData, Experiment, State, Transition
from experiments.history import KEPT_POINTS, KEPT_TRANSITIONS, ResultsPoint, chart_points
from experiments.maturity import HOUR_MS, Arrival, arrival, due_ms, to_ms
from experiments.running import Bounds, narrowed
from experiments.statistics import Accumulator, heaviest
from service.errors import Conflict, NotFound, shown
from service.storage.codec import (
    change_record,
    changed_by,
    experiment_from_json,
    experiment_to_json,
    time_from_stored,
    time_to_ms,
)
from service.storage.health import Counts, HealthMinute, count_decisions, count_outcomes, minute_from_fields
from service.storage.inputs_codec import decode_logged, encode_logged
from service.storage.ports import (
    ClaimedWebhook,
    DeliveryRecord,
    Enqueued,
    RuleSetHeld,
    WebhookItem,
    active_moved,
    reused_request,
)
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
from service.storage.shadow_codec import decode_shadow, encode_shadow

_HOLDS = frozenset({State.RUNNING, State.PAUSED, State.PROMOTED})
"""States in which an experiment keeps its rule set (promoted: until its candidate is active)."""


def _stored_time(at: datetime) -> datetime:
    return time_from_stored(time_to_ms(at))


@dataclass
class _RuleSet:
    versions: dict[int, VersionRecord] = field(default_factory=dict)
    active: ActiveRecord | None = None
    audit: list[AuditRecord] = field(default_factory=list)
    holder: str | None = None
    start_requests: dict[str, str] = field(default_factory=dict)
    change_requests: dict[str, str] = field(default_factory=dict)
    """request id -> codec.change_record of what it did."""
    reviews: dict[int, list[ReviewRecord]] = field(default_factory=dict)
    drafts: dict[str, DraftRecord] = field(default_factory=dict)
    requests: dict[str, tuple[str, object]] = field(default_factory=dict)
    """Publish or activation request id -> (what it asked, what it answered); kept, not expired."""


@dataclass
class _Arm:
    assigned: int = 0
    unassigned: int = 0
    units: defaultdict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    outcomes: int = 0
    metrics: defaultdict[str, Accumulator] = field(default_factory=lambda: defaultdict(Accumulator))
    reported: Counter[str] = field(default_factory=Counter)
    """Orders with an outcome per unit (which units are the heaviest)."""
    decided_hours: Counter[int] = field(default_factory=Counter)
    held: dict[tuple[str, str], tuple[int, str, int, float]] = field(default_factory=dict)
    """(decision id, metric) -> (due ms, unit, epoch, value): waiting for the decision to mature."""
    late: set[tuple[str, str]] = field(default_factory=set)
    late_counts: Counter[str] = field(default_factory=Counter)

    def mature(self, now_ms: int) -> None:
        """Analyses the held values whose decisions have matured, in the order they matured."""
        ready = sorted((due, key) for key, (due, *_rest) in self.held.items() if due <= now_ms)
        for _due, key in ready:
            _, unit, epoch, value = self.held.pop(key)
            self.metrics[key[1]].add(unit, value, None, epoch)


@dataclass
class _Experiment:
    json: str
    transitions: list[Transition] = field(default_factory=list)
    windows: Mapping[str, int] = field(default_factory=dict)
    """Maturity window per metric in ms, as the experiment started (the Redis `windows` hash)."""
    arms: dict[Arm, _Arm] = field(default_factory=lambda: {arm: _Arm() for arm in Arm})
    reported: dict[str, dict[str, float]] = field(default_factory=dict)
    """decision id -> metric values reported."""
    running: dict[str, Bounds] = field(default_factory=dict)
    points: list[ResultsPoint] = field(default_factory=list)
    """The results at the cadence, oldest first (experiments.history)."""
    marks: list[ResultsPoint] = field(default_factory=list)
    """The results at each transition."""
    shadow: bytes = b""
    """The latest shadow replay, encoded as in Redis."""
    shadow_claimed_until: float = 0.0
    """time.monotonic() until which the shadow replay is claimed."""


class MemoryDatabase:
    """What the three in-memory stores share (the experiment sums are written by decisions and outcomes)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.rule_sets: dict[str, _RuleSet] = {}
        self.experiments: dict[str, _Experiment] = {}
        self.experiment_ids = itertools.count(1)
        self.decisions: dict[str, DecisionRecord] = {}
        self.plain_outcomes: dict[str, dict[str, float]] = {}
        """Outcomes of decisions outside experiments."""
        self.orders: dict[str, dict[str, tuple[int, str]]] = {}
        """order id -> rule set -> (decided at ms, decision id) of its latest decision."""
        self.health: defaultdict[tuple[str, int], Counter[str]] = defaultdict(Counter)
        """(rule set, minute) -> order health field -> count (service.storage.health)."""

    def stores(self) -> tuple[MemoryRuleSetStore, MemoryExperimentStore, MemoryDecisionStore]:
        return MemoryRuleSetStore(self), MemoryExperimentStore(self), MemoryDecisionStore(self)


class MemoryRuleSetStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def _rule_set(self, name: str) -> _RuleSet:
        return self._db.rule_sets.setdefault(name, _RuleSet())

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
        with self._db.lock:
            rs = self._rule_set(name)
            asked = f"publish {content_hash}"
            if request_id in rs.requests:
                first_asked, answer = rs.requests[request_id]
                if first_asked != asked:
                    raise reused_request(request_id, "publish", name)
                return answer  # type: ignore[return-value]
            latest = rs.versions[max(rs.versions)] if rs.versions else None
            if latest is not None and latest.content_hash == content_hash:
                result = latest, False
            else:
                version = len(rs.versions) + 1
                at = _stored_time(now)
                record = VersionRecord(name, version, content_hash, author, comment, at, rule_count, source)
                rs.versions[version] = record
                rs.audit.append(AuditRecord("publish", name, version, author, comment, at, content_hash=content_hash))
                result = record, True
            if request_id:
                rs.requests[request_id] = (asked, result)
            return result

    def get_version(self, name: str, version: int) -> VersionRecord:
        with self._db.lock:
            record = self._db.rule_sets.get(name, _RuleSet()).versions.get(version)
        if record is None:
            raise NotFound(f"rule set {shown(name)} has no version {version}", NotFound.VERSION)
        return record

    def list_names(self) -> list[str]:
        with self._db.lock:
            return sorted(name for name, rs in self._db.rule_sets.items() if rs.versions)

    def list_versions(self, name: str) -> list[VersionRecord]:
        with self._db.lock:
            versions = list(self._db.rule_sets.get(name, _RuleSet()).versions.values())
        return sorted((replace(v, source="") for v in versions), key=lambda r: r.version, reverse=True)

    def active(self, name: str) -> ActiveRecord | None:
        with self._db.lock:
            return self._db.rule_sets.get(name, _RuleSet()).active

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
        with self._db.lock:
            rs = self._rule_set(name)
            asked = f"activate {version}"
            if request_id in rs.requests:
                first_asked, answer = rs.requests[request_id]
                if first_asked != asked:
                    raise reused_request(request_id, f"activation of version {version}", name)
                return answer, False  # type: ignore[return-value]
            record, changed = self._activate(rs, name, version, actor, reason, now, for_experiment, expected_active)
            if changed and bypass:
                rs.audit[-1] = replace(rs.audit[-1], bypass=bypass)
            if request_id and (changed or not for_experiment):
                rs.requests[request_id] = (asked, record)
            return record, changed

    def _activate(
        self,
        rs: _RuleSet,
        name: str,
        version: int,
        actor: str,
        reason: str,
        now: datetime,
        for_experiment: str,
        expected_active: int,
    ) -> tuple[ActiveRecord, bool]:
        with self._db.lock:
            if version not in rs.versions:
                raise NotFound(f"rule set {shown(name)} has no version {version}", NotFound.VERSION)
            current = rs.active.version if rs.active else 0
            if expected_active and current != expected_active:
                raise active_moved(name, current, expected_active)
            if for_experiment and rs.holder is None:
                assert rs.active is not None, "a completed promotion left an active version"
                return rs.active, False
            if rs.holder is not None and rs.holder != for_experiment:
                raise RuleSetHeld(name, rs.holder)
            previous = rs.active.version if rs.active else 0
            if not for_experiment and rs.active is not None and previous == version:
                return rs.active, False  # active already: nothing to write
            rs.active = ActiveRecord(version, actor, reason, _stored_time(now), previous)
            rs.audit.append(AuditRecord("activate", name, version, actor, reason, rs.active.at, previous))
            rs.holder = None
            return rs.active, True

    def review(self, name: str, version: int, review: ReviewRecord) -> list[ReviewRecord]:
        with self._db.lock:
            rs = self._rule_set(name)
            if version not in rs.versions:
                raise NotFound(f"rule set {shown(name)} has no version {version}", NotFound.VERSION)
            stored = replace(review, at=_stored_time(review.at))
            rs.reviews.setdefault(version, []).append(stored)
            action = "approve" if review.approved else "reject"
            rs.audit.append(AuditRecord(action, name, version, review.reviewer, review.comment, stored.at))
            return list(rs.reviews[version])

    def save_draft(self, draft: DraftRecord) -> None:
        with self._db.lock:
            self._rule_set(draft.name).drafts[draft.owner] = replace(draft, updated_at=_stored_time(draft.updated_at))

    def draft(self, name: str, owner: str) -> DraftRecord | None:
        with self._db.lock:
            return self._db.rule_sets.get(name, _RuleSet()).drafts.get(owner)

    def delete_draft(self, name: str, owner: str) -> None:
        with self._db.lock:
            self._db.rule_sets.get(name, _RuleSet()).drafts.pop(owner, None)

    def reviews(self, name: str) -> dict[int, list[ReviewRecord]]:
        with self._db.lock:
            return {v: list(r) for v, r in self._db.rule_sets.get(name, _RuleSet()).reviews.items()}

    def audit(self, name: str, limit: int, before: str = "") -> list[AuditRecord]:
        with self._db.lock:
            log = self._db.rule_sets.get(name, _RuleSet()).audit
            end = min(int(before), len(log)) if before.isdigit() else len(log)
            entries = [replace(record, entry_id=str(index)) for index, record in enumerate(log[:end])]
            return list(reversed(entries))[:limit]


class MemoryExperimentStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def _experiment(self, experiment_id: str) -> _Experiment:
        stored = self._db.experiments.get(experiment_id)
        if stored is None:
            raise NotFound(f"experiment {shown(experiment_id)} does not exist", NotFound.EXPERIMENT)
        return stored

    def next_id(self) -> str:
        with self._db.lock:
            return f"exp-{next(self._db.experiment_ids)}"

    def holder(self, rule_set: str) -> str | None:
        with self._db.lock:
            return self._db.rule_sets.get(rule_set, _RuleSet()).holder

    def start(
        self, experiment: Experiment, actor: str, reason: str, replacing: str | None, request_id: str = ""
    ) -> Claim:
        with self._db.lock:
            rs = self._db.rule_sets.setdefault(experiment.rule_set, _RuleSet())
            if request_id and request_id in rs.start_requests:
                return Claim(rs.start_requests[request_id], retried=True)
            if rs.holder != replacing:
                return Claim(rs.holder or "")
            held = self._db.experiments.get(rs.holder) if rs.holder else None
            if held is not None and experiment_from_json(held.json).state in _HOLDS:
                return Claim(rs.holder or "")
            start = Transition(
                experiment.id,
                Action.START,
                experiment.state,
                experiment.state,
                actor,
                reason,
                _stored_time(experiment.created_at),
                experiment.share_bp,
            )
            windows = {m: to_ms(w) for m, w in experiment.maturity.items()}
            self._db.experiments[experiment.id] = _Experiment(experiment_to_json(experiment), [start], windows)
            rs.holder = experiment.id
            if request_id:
                rs.start_requests[request_id] = experiment.id
            return Claim(experiment.id, claimed=True)

    def get(self, experiment_id: str) -> Experiment:
        with self._db.lock:
            return experiment_from_json(self._experiment(experiment_id).json)

    def all(self) -> list[Experiment]:
        with self._db.lock:
            experiments = [experiment_from_json(e.json) for e in self._db.experiments.values()]
        return sorted(experiments, key=lambda e: (e.created_at, e.id), reverse=True)

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
        with self._db.lock:
            rs = self._db.rule_sets.setdefault(before.rule_set, _RuleSet())
            if request_id and request_id in rs.change_requests:
                return changed_by(rs.change_requests[request_id], before.id, action, request_id)
            stored = self._experiment(before.id)
            current = experiment_from_json(stored.json)
            if (current.state, current.epoch) != (before.state, before.epoch):
                raise Conflict(f"experiment {before.id} changed meanwhile; read it again and retry")
            stored.json = experiment_to_json(after)
            at = _stored_time(at)
            stored.transitions.append(
                Transition(
                    before.id, Action(action), before.state, after.state, actor, reason, at, after.share_bp, results
                )
            )
            if after.state not in _HOLDS and rs.holder == before.id:
                rs.holder = None
            if request_id:
                rs.change_requests[request_id] = change_record(after, action)
            return after

    def requested_change(self, experiment: Experiment, action: str, request_id: str) -> Experiment | None:
        with self._db.lock:
            raw = self._db.rule_sets.get(experiment.rule_set, _RuleSet()).change_requests.get(request_id)
            return changed_by(raw, experiment.id, action, request_id) if raw is not None else None

    def transitions(self, experiment_id: str) -> list[Transition]:
        with self._db.lock:
            return list(self._experiment(experiment_id).transitions)

    def arm_data(self, experiment: Experiment, now: datetime) -> dict[Arm, ArmData]:
        with self._db.lock:
            arms = self._experiment(experiment.id).arms
            for data in arms.values():
                data.mature(time_to_ms(now))
            return {
                arm: ArmData(
                    data.assigned,
                    len(data.units[experiment.epoch]),
                    data.outcomes,
                    {metric: acc.moments(heaviest(data.reported)) for metric, acc in data.metrics.items()},
                    data.unassigned,
                    {epoch: len(data.units[epoch]) for epoch in range(experiment.epoch + 1)},
                    dict(data.decided_hours),
                    dict(data.late_counts),
                )
                for arm, data in arms.items()
            }

    def running(self, experiment_id: str) -> dict[str, Bounds]:
        with self._db.lock:
            return dict(self._experiment(experiment_id).running)

    def narrow(self, experiment_id: str, bounds: Mapping[str, Bounds]) -> None:
        with self._db.lock:
            stored = self._experiment(experiment_id)
            stored.running = narrowed(stored.running, bounds)

    def add_point(self, experiment_id: str, point: ResultsPoint, cadence: timedelta) -> bool:
        with self._db.lock:
            stored = self._experiment(experiment_id)
            points, kept = (stored.marks, KEPT_TRANSITIONS) if point.action else (stored.points, KEPT_POINTS)
            step = int(cadence.total_seconds() * 1000)
            bucket = time_to_ms(point.at) // step
            if not point.action and any(time_to_ms(p.at) // step == bucket for p in points):
                return False
            points.append(point)
            points.sort(key=lambda p: p.at)
            del points[: max(len(points) - kept, 0)]
            return True

    def points(self, experiment_id: str, limit: int) -> tuple[list[ResultsPoint], int]:
        with self._db.lock:
            stored = self._experiment(experiment_id)
            return chart_points(stored.points, stored.marks, limit), len(stored.points) + len(stored.marks)

    def claim_shadow(self, experiment_id: str, cadence: timedelta) -> bool:
        with self._db.lock:
            stored, now = self._experiment(experiment_id), time.monotonic()
            if now < stored.shadow_claimed_until:
                return False
            stored.shadow_claimed_until = now + cadence.total_seconds()
            return True

    def save_shadow(self, experiment_id: str, shadow: ShadowRecord) -> None:
        with self._db.lock:
            self._experiment(experiment_id).shadow = encode_shadow(shadow)

    def shadow(self, experiment_id: str) -> ShadowRecord | None:
        with self._db.lock:
            raw = self._experiment(experiment_id).shadow
        return decode_shadow(raw) if raw else None


class MemoryDecisionStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def write(self, records: Sequence[DecisionRecord]) -> None:
        with self._db.lock:
            counted: Counter[tuple[str, Arm]] = Counter()
            for r in records:
                self._db.decisions[r.decision_id] = r
                if r.order_id:
                    latest = self._db.orders.setdefault(r.order_id, {})
                    if r.rule_set not in latest or latest[r.rule_set][0] <= r.at_ms:
                        latest[r.rule_set] = (r.at_ms, r.decision_id)
                experiment = self._db.experiments.get(r.experiment_id)
                if experiment is not None and r.arm is None:
                    experiment.arms[Arm.BASELINE].unassigned += 1  # served by the baseline, not randomised
                elif experiment is not None and r.arm is not None:
                    counted[(r.experiment_id, r.arm)] += 1
                    experiment.arms[r.arm].decided_hours[r.at_ms // HOUR_MS] += 1
                    if r.unit:
                        experiment.arms[r.arm].units[r.epoch].add(r.unit)
            for (experiment_id, arm), count in counted.items():
                self._db.experiments[experiment_id].arms[arm].assigned += count
            self._count(count_decisions(records))

    def _count(self, counts: Counts) -> None:
        for key, fields in counts.items():
            self._db.health[key].update(fields)

    def health(self, rule_set: str, first_minute: int, last_minute: int) -> list[HealthMinute]:
        with self._db.lock:
            return [
                minute_from_fields(minute, self._db.health[(rule_set, minute)])
                for minute in range(first_minute, last_minute + 1)
                if (rule_set, minute) in self._db.health
            ]

    def get(self, decision_ids: Sequence[str]) -> list[DecisionRecord | None]:
        with self._db.lock:
            return [self._db.decisions.get(i) for i in decision_ids]

    def decisions_of_orders(self, order_ids: Sequence[str]) -> list[dict[str, str]]:
        with self._db.lock:
            return [{rs: d for rs, (_, d) in self._db.orders.get(o, {}).items()} for o in order_ids]

    def stored_outcome(self, decision_id: str, experiment_id: str) -> dict[str, float]:
        with self._db.lock:
            if experiment_id:
                experiment = self._db.experiments.get(experiment_id)
                return dict(experiment.reported.get(decision_id, {})) if experiment else {}
            return dict(self._db.plain_outcomes.get(decision_id, {}))

    def stored_outcomes(self, decisions: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        return [self.stored_outcome(d, e) for d, e in decisions]

    def apply_outcomes(
        self, items: Sequence[tuple[DecisionRecord, Mapping[str, float]]], now: datetime
    ) -> list[dict[str, float]]:
        out: list[dict[str, float]] = []
        now_ms = time_to_ms(now)
        with self._db.lock:
            for record, values in items:
                experiment = self._db.experiments.get(record.experiment_id)
                if experiment is None or record.arm is None:
                    earlier = self._db.plain_outcomes.setdefault(record.decision_id, {})
                    out.append({m: earlier[m] for m in values if m in earlier})
                    earlier.update({m: float(v) for m, v in values.items()})
                    continue
                arm = experiment.arms[record.arm]
                unit = record.unit or record.decision_id
                first = record.decision_id not in experiment.reported
                earlier = experiment.reported.setdefault(record.decision_id, {})
                replaced = {m: earlier[m] for m in values if m in earlier}
                for metric, value in values.items():
                    key = (record.decision_id, metric)
                    window_ms = experiment.windows.get(metric, 0)
                    placed = arrival(record.at_ms, window_ms, now_ms)
                    if key in arm.held:
                        arm.held[key] = (*arm.held[key][:3], float(value))
                    elif key in arm.late:
                        pass  # late it came, late it stays
                    elif metric in replaced or placed is Arrival.ANALYSED:
                        arm.metrics[metric].add(unit, float(value), replaced.get(metric), record.epoch)
                    elif placed is Arrival.HELD:
                        arm.held[key] = (due_ms(record.at_ms, window_ms), unit, record.epoch, float(value))
                    else:
                        arm.late.add(key)
                        arm.late_counts[metric] += 1
                    earlier[metric] = float(value)
                arm.outcomes += first
                arm.reported[unit] += first
                out.append(replaced)
            self._count(count_outcomes(items, out, now_ms))
        return out


class MemoryWebhookQueue:
    """The webhook queue of one process (WebhookQueue's contract; event ids are remembered for good)."""

    def __init__(self, log_size: int = 1000) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, WebhookItem] = {}
        """delivery id -> item, in the order enqueued (the oldest first)."""
        self._due: dict[str, int] = {}
        self._attempts: Counter[str] = Counter()
        self._seen: set[str] = set()
        self._log: list[DeliveryRecord] = []
        self._log_size = log_size

    def enqueue(self, event_id: str, items: Sequence[WebhookItem], now: datetime, capacity: int) -> Enqueued:
        with self._lock:
            if event_id in self._seen:
                return Enqueued(False)
            self._seen.add(event_id)
            for item in items:
                self._items.setdefault(item.delivery_id, replace(item, created_at=_stored_time(item.created_at)))
                self._due[item.delivery_id] = time_to_ms(now)
            dropped = []
            while len(self._items) > capacity:
                oldest = next(iter(self._items))
                dropped.append(self._items.pop(oldest))
                self._due.pop(oldest, None)
                self._attempts.pop(oldest, None)
            return Enqueued(True, tuple(dropped))

    def claim(self, now: datetime, lease: timedelta, limit: int) -> list[ClaimedWebhook]:
        now_ms = time_to_ms(now)
        with self._lock:
            due = sorted((at, key) for key, at in self._due.items() if at <= now_ms)[:limit]
            claimed = []
            for _, key in due:
                self._due[key] = now_ms + int(lease.total_seconds() * 1000)
                self._attempts[key] += 1
                claimed.append(ClaimedWebhook(self._items[key], self._attempts[key]))
            return claimed

    def finish(self, claimed: ClaimedWebhook, record: DeliveryRecord) -> None:
        key = claimed.item.delivery_id
        with self._lock:
            self._items.pop(key, None)
            self._due.pop(key, None)
            self._attempts.pop(key, None)
            self._add_log([record])

    def retry(self, claimed: ClaimedWebhook, due: datetime, record: DeliveryRecord) -> bool:
        key = claimed.item.delivery_id
        with self._lock:
            self._add_log([record])
            if key not in self._due or self._attempts[key] != claimed.attempt:
                return False
            self._due[key] = time_to_ms(due)
            return True

    def log(self, records: Sequence[DeliveryRecord]) -> None:
        with self._lock:
            self._add_log(records)

    def _add_log(self, records: Sequence[DeliveryRecord]) -> None:
        self._log[:0] = [_stored_record(r) for r in reversed(records)]
        del self._log[self._log_size :]

    def deliveries(self, limit: int) -> list[DeliveryRecord]:
        with self._lock:
            return self._log[: max(limit, 0)]

    def depth(self) -> int:
        with self._lock:
            return len(self._items)


def _stored_record(record: DeliveryRecord) -> DeliveryRecord:
    return replace(record, at=_stored_time(record.at))


class MemoryInputLogStore:
    """InputLogStore in memory: the records encoded as the Redis adapter encodes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logs: dict[str, dict[str, tuple[int, bytes]]] = {}
        """rule set -> decision id -> (decided at ms, encoded record)."""

    def append(self, entries: Sequence[LoggedDecision], cutoff_ms: int, kept: int) -> None:
        with self._lock:
            for e in entries:
                self._logs.setdefault(e.rule_set, {})[e.decision_id] = (e.at_ms, encode_logged(e))
            for name, log in self._logs.items():
                ordered = sorted(log.items(), key=lambda item: (item[1][0], item[0]))
                keep = [item for item in ordered if item[1][0] >= cutoff_ms][-kept:] if kept > 0 else []
                self._logs[name] = dict(keep)

    def get(self, rule_set: str, decision_ids: Sequence[str]) -> list[LoggedDecision | None]:
        with self._lock:
            log = self._logs.get(rule_set, {})
            return [decode_logged(log[d][1]) if d in log else None for d in decision_ids]

    def between(self, rule_set: str, since_ms: int, until_ms: int, limit: int, offset: int = 0) -> list[LoggedDecision]:
        with self._lock:
            chosen = self._between(rule_set, since_ms, until_ms)[offset : offset + limit]
        return [decode_logged(raw) for raw in chosen]

    def count(self, rule_set: str, since_ms: int = 0, until_ms: int = 2**62) -> int:
        with self._lock:
            return len(self._between(rule_set, since_ms, until_ms))

    def _between(self, rule_set: str, since_ms: int, until_ms: int) -> list[bytes]:
        log = sorted(self._logs.get(rule_set, {}).items(), key=lambda item: (item[1][0], item[0]))
        return [raw for _, (at, raw) in log if since_ms <= at < until_ms]
