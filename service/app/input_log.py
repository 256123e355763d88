"""The decision log with inputs: beside each decision record, the order's facts as the engine read them
(masked as configured), what was decided, by which rules, under which version: so a decision can be
explained later and real orders replayed on a draft.

Written by the decision log's thread once the decision records are stored, off the Route path: the
router hands over the facts and the decision it already holds (no copy, no encoding on the path); here
they are sampled, masked and encoded.
"""

from __future__ import annotations

import dataclasses
import logging
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rules.per_decision import PerDecision
from rules.replay import field_values
from service.app.clock import Clock
from service.app.masking import Mask, masked
from service.errors import StorageError
from service.storage.ports import InputLogStore
from service.storage.records import DecisionRecord, LoggedDecision

log = logging.getLogger(__name__)
DEFAULT_RETENTION = timedelta(days=7)
DEFAULT_KEPT = 50_000
"""Records kept per rule set by default: about 75 MB of Redis at 1.5 KB a record (README, Decision log
with inputs), small enough for the embedded Redis on a laptop."""


@dataclass(frozen=True, slots=True)
class InputLogSettings:
    sample: float = 1.0
    """The share of decisions logged (chosen by decision id, so every replica picks the same ones)."""
    retention: timedelta = DEFAULT_RETENTION
    kept: int = DEFAULT_KEPT
    """At most this many records per rule set: the oldest go first."""
    masks: tuple[Mask, ...] = ()
    key: bytes = b""
    """For masks that hash (HMAC-SHA256)."""

    @property
    def enabled(self) -> bool:
        return self.sample > 0 and self.kept > 0


class InputLog:
    def __init__(
        self,
        store: InputLogStore,
        settings: InputLogSettings,
        clock: Clock,
        read_order: Callable[[bytes], Mapping[str, Any]] | None = None,
    ) -> None:
        self._store = store
        self.settings = settings
        self._clock = clock
        self._read_order = read_order
        """The facts of an order logged as its protobuf serialization (the API's conversion); without
        it orders are logged as their facts."""
        self._threshold = round(settings.sample * 1_000_000)
        self.dropped = 0
        """Records whose inputs were not logged because storage refused them."""
        self._fields = PerDecision(field_values)
        """A shared decision's fields as logged, made once (the writer is their only reader)."""

    def write(self, records: Sequence[DecisionRecord]) -> None:
        """Logs the sampled records that carry their inputs. If Redis refuses, they are dropped and
        counted: the decision records were stored already, and retrying would spend the writer's time
        (and routing's CPU) again on what is a sample anyway."""
        if not self.settings.enabled:
            return
        try:
            self._write(records)
        except StorageError as exc:
            self.dropped += len(records)
            log.warning("decision inputs not logged (%d dropped so far): %s", self.dropped, exc)

    def _write(self, records: Sequence[DecisionRecord]) -> None:
        entries = [
            self.entry(r) for r in records if r.facts is not None and r.decision is not None and self._sampled(r)
        ]
        if entries:
            cutoff = int((self._clock() - self.settings.retention).timestamp() * 1000)
            self._store.append(entries, cutoff, self.settings.kept)

    def _sampled(self, record: DecisionRecord) -> bool:
        return zlib.crc32(record.decision_id.encode()) % 1_000_000 < self._threshold

    def entry(self, r: DecisionRecord) -> LoggedDecision:
        assert r.facts is not None and r.decision is not None
        d = r.decision
        facts: Mapping[str, Any] = {}
        done: tuple[str, ...] = ()
        order = b""
        if self._read_order is not None and r.source is not None and not self.settings.masks:
            order = r.source.SerializeToString()  # exact, and the cheapest form to make
        else:
            facts, done = masked(r.facts, self.settings.masks, self.settings.key)
        return LoggedDecision(
            r.decision_id,
            r.rule_set,
            r.version,
            d.content_hash,
            r.at_ms,
            r.order_id,
            r.experiment_id,
            r.arm,
            facts,
            done,
            self._fields(d),
            d.matched_rules,
            d.default_rule_used,
            d.missing_facts,
            order,
        )

    # ------------------------------------------------------------ reading

    def get(self, rule_set: str, decision_ids: Sequence[str]) -> list[LoggedDecision | None]:
        return [self._with_facts(e) if e is not None else None for e in self._store.get(rule_set, decision_ids)]

    def between(self, rule_set: str, since_ms: int, until_ms: int, limit: int, offset: int = 0) -> list[LoggedDecision]:
        """Oldest first, from the `offset`-th on."""
        return [self._with_facts(e) for e in self._store.between(rule_set, since_ms, until_ms, limit, offset)]

    def _with_facts(self, e: LoggedDecision) -> LoggedDecision:
        """A record logged as its order's protobuf, with the facts read from it."""
        if not e.order:
            return e
        if self._read_order is None:
            raise StorageError("a logged order in protobuf form, and no way to read it here")
        return dataclasses.replace(e, facts=self._read_order(e.order))

    def count(self, rule_set: str, since_ms: int = 0, until_ms: int = 2**62) -> int:
        return self._store.count(rule_set, since_ms, until_ms)
