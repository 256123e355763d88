"""The Redis adapter of InputLogStore: per rule set a sorted set of decision ids by decision time and a
hash of their records, in the rule set's own slot ({inputs:NAME}): a batch is added in one round trip and
one script trims by age and by count, on one node or on a cluster.

A record is compact JSON (service.storage.inputs_codec); the decision id is its key in both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from service.storage import keys
from service.storage.connection import RedisClient, run
from service.storage.inputs_codec import decode_logged, encode_logged
from service.storage.records import LoggedDecision

# KEYS: the rule set's log (sorted set), its records (hash), their outcomes (hash). ARGV: cutoff ms,
# records kept. Lets go of what the age and the count no longer keep, with their outcomes, a bounded
# number per call (a backlog goes over the next calls).
_TRIM = """
local function forget(ids)
  if #ids == 0 then return end
  redis.call('HDEL', KEYS[2], unpack(ids))
  redis.call('HDEL', KEYS[3], unpack(ids))
  redis.call('ZREM', KEYS[1], unpack(ids))
end
forget(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 2000))
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
if over > 0 then forget(redis.call('ZRANGE', KEYS[1], 0, math.min(over, 2000) - 1)) end
return 1
"""

# KEYS: the rule set's records (hash), their outcomes (hash: decision id -> JSON of metric -> value).
# ARGV: (decision id, JSON of the values reported) per decision. Merges the values into what is kept, and
# only while its record is kept: the trim that lets the record go takes its outcomes too.
_ADD_OUTCOMES = """
for i = 1, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    local kept = redis.call('HGET', KEYS[2], ARGV[i])
    local values = kept and cjson.decode(kept) or {}
    for metric, value in pairs(cjson.decode(ARGV[i + 1])) do values[metric] = value end
    redis.call('HSET', KEYS[2], ARGV[i], cjson.encode(values))
  end
end
return 1
"""
READ_CHUNK = 1_000


class RedisInputLogStore:
    def __init__(self, client: RedisClient) -> None:
        self._redis = client
        self._trim: Callable[..., Any] = client.register_script(_TRIM)
        self._add_outcomes: Callable[..., Any] = client.register_script(_ADD_OUTCOMES)

    def append(self, entries: Sequence[LoggedDecision], cutoff_ms: int, kept: int) -> None:
        """Per rule set the records and their times in one round trip, then the trim: two plain commands
        for the batch, not a script command per record (this runs beside routing on the same cores)."""
        by_rule_set: defaultdict[str, list[LoggedDecision]] = defaultdict(list)
        for e in entries:
            by_rule_set[e.rule_set].append(e)
        for name, batch in by_rule_set.items():
            self._write(name, batch, cutoff_ms, kept)

    def _write(self, name: str, batch: list[LoggedDecision], cutoff_ms: int, kept: int) -> None:
        log, records = keys.inputs(name, "log"), keys.inputs(name, "records")
        times = {e.decision_id: e.at_ms for e in batch}
        bodies = {e.decision_id: encode_logged(e) for e in batch}

        def write() -> None:
            pipe = self._redis.pipeline(transaction=False)  # one slot; writing a record again is harmless
            pipe.hset(records, mapping=bodies)  # type: ignore[arg-type]
            pipe.zadd(log, times)
            pipe.execute()
            self._trim(keys=[log, records, keys.inputs(name, "outcomes")], args=[cutoff_ms, kept])

        run(self._redis, write)

    def get(self, rule_set: str, decision_ids: Sequence[str]) -> list[LoggedDecision | None]:
        if not decision_ids:
            return []
        raw = run(self._redis, lambda: self._redis.hmget(keys.inputs(rule_set, "records"), list(decision_ids)))
        return [decode_logged(r) if r is not None else None for r in raw]

    def between(self, rule_set: str, since_ms: int, until_ms: int, limit: int, offset: int = 0) -> list[LoggedDecision]:
        log, records = keys.inputs(rule_set, "log"), keys.inputs(rule_set, "records")
        ids = run(
            self._redis, lambda: self._redis.zrangebyscore(log, since_ms, f"({until_ms}", start=offset, num=limit)
        )
        out: list[LoggedDecision] = []
        for start in range(0, len(ids), READ_CHUNK):
            out += [decode_logged(r) for r in self._records(records, ids[start : start + READ_CHUNK]) if r is not None]
        return out

    def _records(self, records: str, ids: list[Any]) -> list[Any]:
        return list(run(self._redis, lambda: self._redis.hmget(records, ids)))

    def add_outcomes(self, items: Sequence[tuple[str, str, Mapping[str, float]]]) -> None:
        by_rule_set: defaultdict[str, list[Any]] = defaultdict(list)
        for rule_set, decision_id, values in items:
            by_rule_set[rule_set] += [decision_id, orjson.dumps({m: float(v) for m, v in values.items()})]
        for name, args in by_rule_set.items():
            self._run_add_outcomes([keys.inputs(name, "records"), keys.inputs(name, "outcomes")], args)

    def _run_add_outcomes(self, script_keys: list[str], args: list[Any]) -> None:
        run(self._redis, lambda: self._add_outcomes(keys=script_keys, args=args))

    def outcomes(self, rule_set: str, decision_ids: Sequence[str], metrics: Sequence[str]) -> list[dict[str, float]]:
        if not decision_ids:
            return []
        raw = run(self._redis, lambda: self._redis.hmget(keys.inputs(rule_set, "outcomes"), list(decision_ids)))
        out: list[dict[str, float]] = []
        for value in raw:
            kept = orjson.loads(value) if value is not None else {}
            out.append({m: float(v) for m, v in kept.items() if m in metrics})
        return out

    def count(self, rule_set: str, since_ms: int = 0, until_ms: int = 2**62) -> int:
        log = keys.inputs(rule_set, "log")
        return int(run(self._redis, lambda: self._redis.zcount(log, since_ms, f"({until_ms}")))
