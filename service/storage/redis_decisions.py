"""The Redis adapter of DecisionStore (keys: service.storage.keys).

Decision records go out in one round trip per batch. An outcome inside an
experiment is applied by one script in the experiment's slot: it replaces an
earlier value of the same metric for the same decision, so a retried report
counts once, and it keeps the sufficient statistics of experiments.statistics
up to date (experiments.statistics.Accumulator is the reference it must equal).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from service.storage import keys
from service.storage.codec import pack_decision, text, unpack_decision
from service.storage.connection import RedisClient, is_cluster, mget, run, send_commands
from service.storage.keys import UNASSIGNED
from service.storage.records import DecisionRecord

DEFAULT_DECISION_TTL = timedelta(days=30)

_SET_DECISIONS = """
local ttl = ARGV[1]
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ttl) end
return #KEYS
"""

# KEYS: outcomes, clusters, stats and heavy units of the arm. ARGV: decision id, unit, epoch, then metric, value
# pairs. A unit's sums are kept per epoch ("e,Y,N;e,Y,N"), and the stats get the change of every sum of
# experiments.statistics.Accumulator: the epoch's n y yy yn nn g, the Cross sums with the unit's other
# epochs, and the distinct units. Returns metric, earlier value pairs for the metrics this report replaced.
_OUTCOME = """
local old_raw = redis.call('HGET', KEYS[1], ARGV[1])
local old = {}
if old_raw then old = cjson.decode(old_raw) end
local replaced = {}
local epoch = tonumber(ARGV[3])
local function add(field, delta)
  if delta ~= 0 then redis.call('HINCRBYFLOAT', KEYS[3], field, string.format('%.17g', delta)) end
end
for i = 4, #ARGV, 2 do
  local metric, value = ARGV[i], ARGV[i + 1]
  local y = tonumber(value)
  local field = metric .. '|' .. ARGV[2]
  local cells, mine = {}, nil
  local raw = redis.call('HGET', KEYS[2], field)
  if raw then
    for e, cy, cn in string.gmatch(raw, '([^,;]+),([^,;]+),([^,;]+)') do
      local cell = {tonumber(e), tonumber(cy), tonumber(cn)}
      table.insert(cells, cell)
      if cell[1] == epoch then mine = cell end
    end
  else
    redis.call('HINCRBY', KEYS[3], metric .. ':units', 1)
  end
  local y0, n0 = 0, 0
  if mine then y0, n0 = mine[2], mine[3] end
  local y1, n1 = y0 + y, n0 + 1
  if old[metric] ~= nil then
    y1, n1 = y0 - tonumber(old[metric]) + y, n0
    table.insert(replaced, metric)
    table.insert(replaced, old[metric])
  end
  local dy, dn = y1 - y0, n1 - n0
  local p = metric .. ':' .. epoch .. ':'
  add(p .. 'n', dn)
  add(p .. 'y', dy)
  add(p .. 'yy', y1 * y1 - y0 * y0)
  add(p .. 'yn', y1 * n1 - y0 * n0)
  add(p .. 'nn', n1 * n1 - n0 * n0)
  if n0 == 0 and n1 > 0 then redis.call('HINCRBY', KEYS[3], p .. 'g', 1) end
  for _, cell in ipairs(cells) do
    local e, yo, no = cell[1], cell[2], cell[3]
    if e < epoch then
      local q = metric .. ':' .. e .. ':' .. epoch .. ':'
      add(q .. 'yy', yo * dy)
      add(q .. 'yn', yo * dn)
      add(q .. 'ny', no * dy)
      add(q .. 'nn', no * dn)
    elseif e > epoch then
      local q = metric .. ':' .. epoch .. ':' .. e .. ':'
      add(q .. 'yy', dy * yo)
      add(q .. 'yn', dy * no)
      add(q .. 'ny', dn * yo)
      add(q .. 'nn', dn * no)
    end
  end
  if mine then
    mine[2], mine[3] = y1, n1
  else
    table.insert(cells, {epoch, y1, n1})
  end
  local parts = {}
  for _, cell in ipairs(cells) do
    table.insert(parts, string.format('%d,%.17g,%.17g', cell[1], cell[2], cell[3]))
  end
  redis.call('HSET', KEYS[2], field, table.concat(parts, ';'))
  old[metric] = value
end
if not old_raw then
  redis.call('HINCRBY', KEYS[3], 'outcomes', 1)
  redis.call('ZINCRBY', KEYS[4], 1, ARGV[2])
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(old))
return replaced
"""


class RedisDecisionStore:
    def __init__(self, client: RedisClient, decision_ttl: timedelta = DEFAULT_DECISION_TTL) -> None:
        self._redis = client
        self._cluster = is_cluster(client)
        self._ttl = int(decision_ttl.total_seconds())
        self._outcome: Callable[..., Any] = client.register_script(_OUTCOME)

    def write(self, records: Sequence[DecisionRecord]) -> None:
        """One round trip for a batch of decisions and their assignment counts.

        On one server the records go in a single EVAL (one command to pack and
        one reply to read, instead of one per record); on a cluster, where the
        records spread over every node, as one SET each.
        """
        assigned: Counter[tuple[str, str]] = Counter()
        units: defaultdict[tuple[str, int, str], set[str]] = defaultdict(set)
        record_keys = [keys.decision(r.decision_id) for r in records]
        values = [pack_decision(r) for r in records]
        commands: list[tuple[Any, ...]]
        if self._cluster:
            commands = [("SET", k, v, "EX", self._ttl) for k, v in zip(record_keys, values, strict=True)]
        else:
            commands = [("EVAL", _SET_DECISIONS, len(record_keys), *record_keys, self._ttl, *values)] if records else []
        for r in records:
            if r.experiment_id and r.arm is None:
                assigned[(r.experiment_id, UNASSIGNED)] += 1
            elif r.experiment_id and r.arm is not None:
                assigned[(r.experiment_id, str(r.arm))] += 1
                if r.unit:
                    units[(r.experiment_id, r.epoch, str(r.arm))].add(r.unit)
        for (experiment_id, arm), count in assigned.items():
            commands.append(("HINCRBY", keys.experiment(experiment_id, "assigned"), arm, count))
        for (experiment_id, epoch, arm), members in units.items():
            commands.append(("SADD", keys.experiment(experiment_id, f"units:{epoch}:{arm}"), *members))
        run(self._redis, lambda: send_commands(self._redis, commands))

    def get(self, decision_ids: Sequence[str]) -> list[DecisionRecord | None]:
        raws = run(self._redis, lambda: mget(self._redis, [keys.decision(i) for i in decision_ids]))
        return [unpack_decision(i, raw) for i, raw in zip(decision_ids, raws, strict=True)]

    def stored_outcome(self, decision_id: str, experiment_id: str) -> dict[str, float]:
        if experiment_id:
            raw = run(self._redis, lambda: self._redis.hget(keys.experiment(experiment_id, "outcomes"), decision_id))
            return {m: float(v) for m, v in json.loads(raw).items()} if raw else {}
        fields: dict[Any, Any] = run(self._redis, lambda: self._redis.hgetall(keys.outcome(decision_id)))
        return {text(m): float(v) for m, v in fields.items()}

    def apply_outcomes(self, items: Sequence[tuple[DecisionRecord, Mapping[str, float]]]) -> list[dict[str, float]]:
        def write() -> list[Any]:
            pipe = self._redis.pipeline(transaction=False)
            for record, values in items:
                args: list[Any] = [record.decision_id, record.unit or record.decision_id, record.epoch]
                for metric, value in values.items():
                    args += [metric, repr(float(value))]
                if record.experiment_id and record.arm is not None:
                    script_keys = [
                        keys.experiment(record.experiment_id, "outcomes"),
                        keys.experiment(record.experiment_id, f"clusters:{record.arm}"),
                        keys.experiment(record.experiment_id, f"stats:{record.arm}"),
                        keys.experiment(record.experiment_id, f"heavy:{record.arm}"),
                    ]
                    if self._cluster:  # a cluster pipeline can neither load a script nor call eval()
                        pipe.execute_command("EVAL", _OUTCOME, len(script_keys), *script_keys, *args)
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
        return out
