"""The Redis adapter of DecisionStore (keys: service.storage.keys).

Decision records go out in one round trip per batch. An outcome inside an
experiment is applied by one script in the experiment's slot: it replaces an
earlier value of the same metric for the same decision, so a retried report
counts once, and it keeps the sufficient statistics of experiments.statistics
up to date, or holds the value until its decision matures
(service.storage.outcome_scripts). Decisions are counted per arm and hour, so
the matured ones can be counted.

Order health (service.storage.health) is counted per batch as it is written:
the decision counters go out in the same round trip as the records, the
outcome counters in a second one once the values replaced are known.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from experiments.maturity import HOUR_MS
from service.errors import StorageError
from service.storage import keys
from service.storage.codec import pack_decision, text, time_to_ms, unpack_decision
from service.storage.connection import RedisClient, is_cluster, mget, run, send_commands
from service.storage.health import (
    DEFAULT_RETENTION,
    Counts,
    HealthMinute,
    count_decisions,
    count_outcomes,
    minute_from_fields,
)
from service.storage.keys import UNASSIGNED
from service.storage.outcome_scripts import OUTCOME
from service.storage.records import DecisionRecord

log = logging.getLogger(__name__)

DEFAULT_DECISION_TTL = timedelta(days=30)

_SET_DECISIONS = """
local ttl = ARGV[1]
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ttl) end
return #KEYS
"""

# KEYS: order index keys. ARGV: ttl, then rule set, decided at ms, decision id per key. Keeps per rule set
# the latest decision (replicas may write out of order), and the key lives as long as the records.
_INDEX_ORDERS = """
local ttl = ARGV[1]
for i = 1, #KEYS do
  local rule_set, at, id = ARGV[3 * i - 1], tonumber(ARGV[3 * i]), ARGV[3 * i + 1]
  local seen = redis.call('HGET', KEYS[i], rule_set)
  if not seen or tonumber(string.match(seen, '^%d+')) <= at then
    redis.call('HSET', KEYS[i], rule_set, string.format('%d', at) .. ' ' .. id)
  end
  redis.call('EXPIRE', KEYS[i], ttl)
end
return #KEYS
"""


class RedisDecisionStore:
    def __init__(
        self,
        client: RedisClient,
        decision_ttl: timedelta = DEFAULT_DECISION_TTL,
        health_retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        self._redis = client
        self._cluster = is_cluster(client)
        self._ttl = int(decision_ttl.total_seconds())
        self._health_s = max(1, int(health_retention.total_seconds()))
        self._outcome: Callable[..., Any] = client.register_script(OUTCOME)

    def write(self, records: Sequence[DecisionRecord]) -> None:
        """One round trip for a batch of decisions and their assignment counts.

        On one server the records go in a single EVAL (one command to pack and
        one reply to read, instead of one per record); on a cluster, where the
        records spread over every node, as one SET each.
        """
        assigned: Counter[tuple[str, str]] = Counter()
        hours: Counter[tuple[str, str, int]] = Counter()
        units: defaultdict[tuple[str, int, str], set[str]] = defaultdict(set)
        record_keys = [keys.decision(r.decision_id) for r in records]
        values = [pack_decision(r) for r in records]
        commands: list[tuple[Any, ...]]
        indexed = [r for r in records if r.order_id]
        index_keys = [keys.order(r.order_id) for r in indexed]
        index_args = [part for r in indexed for part in (r.rule_set, r.at_ms, r.decision_id)]
        if self._cluster:  # every key in its own slot: a command each
            commands = [("SET", k, v, "EX", self._ttl) for k, v in zip(record_keys, values, strict=True)]
            commands += [
                ("EVAL", _INDEX_ORDERS, 1, k, self._ttl, *index_args[3 * i : 3 * i + 3])
                for i, k in enumerate(index_keys)
            ]
        else:
            commands = [("EVAL", _SET_DECISIONS, len(record_keys), *record_keys, self._ttl, *values)] if records else []
            if indexed:
                commands.append(("EVAL", _INDEX_ORDERS, len(index_keys), *index_keys, self._ttl, *index_args))
        for r in records:
            if r.experiment_id and r.arm is None:
                assigned[(r.experiment_id, UNASSIGNED)] += 1
            elif r.experiment_id and r.arm is not None:
                assigned[(r.experiment_id, str(r.arm))] += 1
                hours[(r.experiment_id, str(r.arm), r.at_ms // HOUR_MS)] += 1
                if r.unit:
                    units[(r.experiment_id, r.epoch, str(r.arm))].add(r.unit)
        for (experiment_id, arm), count in assigned.items():
            commands.append(("HINCRBY", keys.experiment(experiment_id, "assigned"), arm, count))
        for (experiment_id, arm, hour), count in hours.items():
            commands.append(("HINCRBY", keys.experiment(experiment_id, f"decided:{arm}"), hour, count))
        for (experiment_id, epoch, arm), members in units.items():
            commands.append(("SADD", keys.experiment(experiment_id, f"units:{epoch}:{arm}"), *members))
        commands += self._health_commands(count_decisions(records))
        run(self._redis, lambda: send_commands(self._redis, commands))

    def _health_commands(self, counts: Counts) -> list[tuple[Any, ...]]:
        """HINCRBY per field of each minute's hash, and its expiry: the minute's end plus the retention."""
        commands: list[tuple[Any, ...]] = []
        for (rule_set, minute), fields in counts.items():
            key = keys.health(rule_set, minute)
            commands += [("HINCRBY", key, name, n) for name, n in fields.items() if n]
            commands.append(("EXPIREAT", key, (minute + 1) * 60 + self._health_s))
        return commands

    def health(self, rule_set: str, first_minute: int, last_minute: int) -> list[HealthMinute]:
        minutes = range(first_minute, last_minute + 1)

        def read() -> list[Any]:
            pipe = self._redis.pipeline(transaction=False)
            for minute in minutes:
                pipe.hgetall(keys.health(rule_set, minute))
            return list(pipe.execute())

        replies = run(self._redis, read) if minutes else []
        return [
            minute_from_fields(minute, {text(k): int(v) for k, v in reply.items()})
            for minute, reply in zip(minutes, replies, strict=True)
            if reply
        ]

    def get(self, decision_ids: Sequence[str]) -> list[DecisionRecord | None]:
        raws = run(self._redis, lambda: mget(self._redis, [keys.decision(i) for i in decision_ids]))
        return [unpack_decision(i, raw) for i, raw in zip(decision_ids, raws, strict=True)]

    def decisions_of_orders(self, order_ids: Sequence[str]) -> list[dict[str, str]]:
        def read() -> list[Any]:
            pipe = self._redis.pipeline(transaction=False)
            for order_id in order_ids:
                pipe.hgetall(keys.order(order_id))
            return list(pipe.execute())

        replies = run(self._redis, read) if order_ids else []
        return [{text(k): text(v).split(" ", 1)[1] for k, v in reply.items()} for reply in replies]

    def stored_outcome(self, decision_id: str, experiment_id: str) -> dict[str, float]:
        if experiment_id:
            raw = run(self._redis, lambda: self._redis.hget(keys.experiment(experiment_id, "outcomes"), decision_id))
            return {m: float(v) for m, v in json.loads(raw).items()} if raw else {}
        fields: dict[Any, Any] = run(self._redis, lambda: self._redis.hgetall(keys.outcome(decision_id)))
        return {text(m): float(v) for m, v in fields.items()}

    def stored_outcomes(self, decisions: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        def read() -> list[Any]:
            pipe = self._redis.pipeline(transaction=False)
            for decision_id, experiment_id in decisions:
                if experiment_id:
                    pipe.hget(keys.experiment(experiment_id, "outcomes"), decision_id)
                else:
                    pipe.hgetall(keys.outcome(decision_id))
            return list(pipe.execute())

        out: list[dict[str, float]] = []
        for (_, experiment_id), raw in zip(decisions, run(self._redis, read) if decisions else [], strict=True):
            if experiment_id:
                out.append({m: float(v) for m, v in json.loads(raw).items()} if raw else {})
            else:
                out.append({text(m): float(v) for m, v in raw.items()})
        return out

    def apply_outcomes(
        self, items: Sequence[tuple[DecisionRecord, Mapping[str, float]]], now: datetime
    ) -> list[dict[str, float]]:
        now_ms = time_to_ms(now)

        def write() -> list[Any]:
            pipe = self._redis.pipeline(transaction=False)
            for record, values in items:
                unit = record.unit or record.decision_id
                args: list[Any] = [record.decision_id, unit, record.epoch, record.at_ms, now_ms]
                for metric, value in values.items():
                    args += [metric, repr(float(value))]
                if record.experiment_id and record.arm is not None:
                    script_keys = [
                        keys.experiment(record.experiment_id, part)
                        for part in (
                            "outcomes",
                            f"clusters:{record.arm}",
                            f"stats:{record.arm}",
                            f"heavy:{record.arm}",
                            "windows",
                            f"held:{record.arm}",
                            f"due:{record.arm}",
                            f"late:{record.arm}",
                        )
                    ]
                    if self._cluster:  # a cluster pipeline can neither load a script nor call eval()
                        pipe.execute_command("EVAL", OUTCOME, len(script_keys), *script_keys, *args)
                    else:
                        self._outcome(keys=script_keys, args=args, client=pipe)
                else:
                    key = keys.outcome(record.decision_id)
                    pipe.hgetall(key)
                    pipe.hset(key, mapping={m: repr(float(v)) for m, v in values.items()})
                    pipe.expire(key, self._ttl)
            return list(pipe.execute())

        replies = run(self._redis, write)
        out: list[dict[str, float]] = []
        position = 0
        for record, values in items:
            if record.experiment_id and record.arm is not None:
                pairs = [text(v) for v in replies[position]]
                out.append({pairs[i]: float(pairs[i + 1]) for i in range(0, len(pairs), 2)})
                position += 1
            else:
                before = {text(k): float(v) for k, v in replies[position].items()}
                out.append({m: before[m] for m in values if m in before})
                position += 3
        commands = self._health_commands(count_outcomes(items, out, now_ms))
        if commands:
            try:
                run(self._redis, lambda: send_commands(self._redis, commands))
            except StorageError as exc:  # the outcomes are stored: only the dashboard misses them
                log.warning("order health of %d outcomes not counted: %s", len(items), exc)
        return out
