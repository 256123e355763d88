"""The Redis adapter of InputLogStore: per rule set a sorted set of decision ids by decision time and a
hash of their records, in the rule set's own slot ({inputs:NAME}): a batch is added in one round trip and
one script trims by age and by count, on one node or on a cluster.

A record is compact JSON (service.storage.inputs_codec); the decision id is its key in both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from service.storage import keys
from service.storage.connection import RedisClient, run
from service.storage.inputs_codec import decode_logged, encode_logged
from service.storage.records import LoggedDecision

# KEYS: the rule set's log (sorted set), its records (hash). ARGV: cutoff ms, records kept. Lets go of
# what the age and the count no longer keep, a bounded number per call (a backlog goes over the next).
_TRIM = """
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 5000)
if #old > 0 then
  redis.call('HDEL', KEYS[2], unpack(old))
  redis.call('ZREM', KEYS[1], unpack(old))
end
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
if over > 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, math.min(over, 5000) - 1)
  redis.call('HDEL', KEYS[2], unpack(oldest))
  redis.call('ZREM', KEYS[1], unpack(oldest))
end
return 1
"""
READ_CHUNK = 1_000


class RedisInputLogStore:
    def __init__(self, client: RedisClient) -> None:
        self._redis = client

    def append(self, entries: Sequence[LoggedDecision], cutoff_ms: int, kept: int) -> None:
        """Per rule set the records, their times and the trim in one round trip: three commands for the
        batch, not a script command per record (this runs beside routing on the same cores)."""
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
            # EVAL, not the registered script: a cluster pipeline cannot load one (Redis caches it by digest).
            pipe.execute_command("EVAL", _TRIM, 2, log, records, cutoff_ms, kept)
            pipe.execute()

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

    def count(self, rule_set: str, since_ms: int = 0, until_ms: int = 2**62) -> int:
        log = keys.inputs(rule_set, "log")
        return int(run(self._redis, lambda: self._redis.zcount(log, since_ms, f"({until_ms}")))
