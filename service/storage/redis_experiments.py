"""The Redis adapter of ExperimentStore (keys: service.storage.keys).

An experiment's settings and audit live in its rule set's slot, beside the
claim saying which experiment holds the rule set, so each change is one
script: starting compares the holder the caller read, creates the experiment
and claims the rule set; a transition compares state and epoch, writes the
new state with an audit entry carrying the results of that moment, and, when
the experiment ends other than by promotion, releases the rule set. Two
replicas can never both act on a stale experiment, nor both start one.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from experiments import Action, Arm, ArmData, Experiment, State, Transition
from experiments.history import ResultsPoint
from experiments.maturity import to_ms
from experiments.running import Bounds
from experiments.statistics import HEAVY_UNITS, ArmMoments, Cross, Moments
from service.errors import Conflict, NotFound, shown
from service.storage import keys
from service.storage.changes import announce
from service.storage.codec import (
    change_record,
    changed_by,
    experiment_from_json,
    experiment_to_json,
    text,
    time_from_stored,
    time_to_ms,
)
from service.storage.connection import RedisClient, mget, run
from service.storage.keys import UNASSIGNED
from service.storage.outcome_scripts import MATURE, MATURE_BATCH
from service.storage.records import Claim, ShadowRecord
from service.storage.redis_history import RedisResultsHistory
from service.storage.shadow_codec import decode_shadow, encode_shadow

START_REQUEST_TTL_SECONDS = 24 * 3600
"""How long a start request id is remembered (a retry after that starts anew, if allowed)."""

_FINAL_NOT_PROMOTED = {str(s) for s in State if s.is_final and s is not State.PROMOTED}

# KEYS: claim, start request, meta, audit, the replaced holder's meta.
# ARGV: id, replaced holder ('' = none), request id, request ttl, JSON, state, actor, reason, at ms, share,
# then the final states that no longer hold a rule set.
# Returns {holder, 'claimed' | 'retried' | 'held'}.
_START = """
if ARGV[3] ~= '' then
  local created = redis.call('GET', KEYS[2])
  if created then return {created, 'retried'} end
end
local holder = redis.call('GET', KEYS[1])
if (holder or '') ~= ARGV[2] then return {holder or '', 'held'} end
if holder then
  local meta = redis.call('GET', KEYS[5])
  if meta then
    local state = cjson.decode(meta)['state']
    local ended = false
    for i = 11, #ARGV do if ARGV[i] == state then ended = true end end
    if not ended then return {holder, 'held'} end
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[3], ARGV[5])
redis.call('XADD', KEYS[4], '*', 'action', 'start', 'from', '', 'to', ARGV[6], 'actor', ARGV[7],
           'reason', ARGV[8], 'at', ARGV[9], 'traffic_bp', ARGV[10], 'results', '{}')
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[4]) end
return {ARGV[1], 'claimed'}
"""

# KEYS: meta, audit, claim, change request. ARGV: state before, epoch before, JSON after, action, state after,
# actor, reason, at ms, share, results, release ('1': the experiment ends and lets go of its rule set), the
# request's record ('' without a request id), its lifetime in seconds.
# Returns {1} (written), {0} (changed meanwhile), {-1} (no such experiment), {2, record} (this request was
# done before: what it did).
_TRANSITION = """
if ARGV[12] ~= '' then
  local done = redis.call('GET', KEYS[4])
  if done then return {2, done} end
end
local meta = redis.call('GET', KEYS[1])
if not meta then return {-1} end
local current = cjson.decode(meta)
if current['state'] ~= ARGV[1] or tonumber(current['epoch']) ~= tonumber(ARGV[2]) then return {0} end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('XADD', KEYS[2], '*', 'action', ARGV[4], 'from', ARGV[1], 'to', ARGV[5], 'actor', ARGV[6],
           'reason', ARGV[7], 'at', ARGV[8], 'traffic_bp', ARGV[9], 'results', ARGV[10])
if ARGV[11] == '1' and redis.call('GET', KEYS[3]) == current['id'] then redis.call('DEL', KEYS[3]) end
if ARGV[12] ~= '' then redis.call('SET', KEYS[4], ARGV[12], 'EX', ARGV[13]) end
return {1}
"""

# KEYS: running. ARGV: key, low, high, p, key, low, high, p... (numbers as written by _number). Keeps per key
# the larger low and smaller high (the earlier pair if they do not meet) and the smaller p, as
# experiments.running.Bounds.narrowed; the winning text is kept as sent, so nothing is rounded.
_NARROW = """
for i = 1, #ARGV, 4 do
  local low, high, p = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  if old then
    local ol, oh, op = string.match(old, '^(%S+) (%S+) (%S+)$')
    local l, h = low, high
    if tonumber(ol) > tonumber(l) then l = ol end
    if tonumber(oh) < tonumber(h) then h = oh end
    if tonumber(l) > tonumber(h) then l, h = ol, oh end
    low, high = l, h
    if tonumber(op) < tonumber(p) then p = op end
  end
  redis.call('HSET', KEYS[1], ARGV[i], low .. ' ' .. high .. ' ' .. p)
end
return 1
"""


def _number(x: float) -> str:
    """A float as text both Python and Lua read back exactly (1e999 overflows to infinity in both)."""
    if math.isinf(x):
        return "1e999" if x > 0 else "-1e999"
    return repr(x)


class RedisExperimentStore:
    def __init__(self, client: RedisClient) -> None:
        self._redis = client
        self._start: Callable[..., Any] = client.register_script(_START)
        self._transition: Callable[..., Any] = client.register_script(_TRANSITION)
        self._mature_script: Callable[..., Any] = client.register_script(MATURE)
        self._narrow: Callable[..., Any] = client.register_script(_NARROW)
        self._history = RedisResultsHistory(client)

    def next_id(self) -> str:
        return f"exp-{run(self._redis, lambda: self._redis.incr(keys.EXPERIMENT_SEQUENCE))}"

    def holder(self, rule_set: str) -> str | None:
        raw = run(self._redis, lambda: self._redis.get(keys.rule_set(rule_set, "experiment")))
        return text(raw) if raw is not None else None

    def start(
        self, experiment: Experiment, actor: str, reason: str, replacing: str | None, request_id: str = ""
    ) -> Claim:
        name = experiment.rule_set
        script_keys = [
            keys.rule_set(name, "experiment"),
            keys.start_request(name, request_id or "-"),
            keys.experiment_settings(name, experiment.id, "meta"),
            keys.experiment_settings(name, experiment.id, "audit"),
            keys.experiment_settings(name, replacing or "-", "meta"),
        ]
        args = [
            experiment.id,
            replacing or "",
            request_id,
            START_REQUEST_TTL_SECONDS,
            experiment_to_json(experiment),
            str(experiment.state),
            actor,
            reason,
            str(time_to_ms(experiment.created_at)),
            str(experiment.share_bp),
            *sorted(_FINAL_NOT_PROMOTED),
        ]

        def write() -> tuple[Any, Any]:
            # The index and the windows first: if the script then fails, they point at nothing and
            # lookups skip them; once it succeeds, every outcome finds its window.
            self._redis.hset(keys.EXPERIMENT_RULE_SETS, experiment.id, name)
            if experiment.maturity:
                windows = keys.experiment(experiment.id, "windows")
                self._redis.hset(windows, mapping={m: to_ms(w) for m, w in experiment.maturity.items()})
            holder, outcome = self._start(keys=script_keys, args=args)
            return holder, outcome

        holder, outcome = run(self._redis, write)
        claim = Claim(text(holder), claimed=text(outcome) == "claimed", retried=text(outcome) == "retried")
        if claim.claimed:
            announce(self._redis, name)
        else:  # nothing was created under this id
            run(self._redis, lambda: self._redis.hdel(keys.EXPERIMENT_RULE_SETS, experiment.id))
        return claim

    def _meta_key(self, experiment_id: str, part: str) -> str:
        name = run(self._redis, lambda: self._redis.hget(keys.EXPERIMENT_RULE_SETS, experiment_id))
        if name is None:
            raise NotFound(f"experiment {shown(experiment_id)} does not exist", NotFound.EXPERIMENT)
        return keys.experiment_settings(text(name), experiment_id, part)

    def get(self, experiment_id: str) -> Experiment:
        key = self._meta_key(experiment_id, "meta")
        raw = run(self._redis, lambda: self._redis.get(key))
        if raw is None:
            raise NotFound(f"experiment {shown(experiment_id)} does not exist", NotFound.EXPERIMENT)
        return experiment_from_json(raw)

    def all(self) -> list[Experiment]:
        def read() -> list[Any]:
            index: dict[Any, Any] = self._redis.hgetall(keys.EXPERIMENT_RULE_SETS)
            meta_keys = [keys.experiment_settings(text(n), text(i), "meta") for i, n in index.items()]
            return mget(self._redis, meta_keys)

        experiments = [experiment_from_json(raw) for raw in run(self._redis, read) if raw is not None]
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
        name = before.rule_set
        script_keys = [
            keys.experiment_settings(name, before.id, "meta"),
            keys.experiment_settings(name, before.id, "audit"),
            keys.rule_set(name, "experiment"),
            keys.change_request(name, request_id or "-"),
        ]
        args = [
            str(before.state),
            before.epoch,
            experiment_to_json(after),
            action,
            str(after.state),
            actor,
            reason,
            str(time_to_ms(at)),
            after.share_bp,
            json.dumps(results, default=str),
            "1" if str(after.state) in _FINAL_NOT_PROMOTED else "0",
            change_record(after, action) if request_id else "",
            START_REQUEST_TTL_SECONDS,
        ]
        done, *record = run(self._redis, lambda: self._transition(keys=script_keys, args=args))
        if int(done) < 0:
            raise NotFound(f"experiment {shown(before.id)} does not exist", NotFound.EXPERIMENT)
        if int(done) == 0:
            raise Conflict(f"experiment {before.id} changed meanwhile; read it again and retry")
        if int(done) == 2:
            return changed_by(text(record[0]), before.id, action, request_id)
        announce(self._redis, name)
        return after

    def requested_change(self, experiment: Experiment, action: str, request_id: str) -> Experiment | None:
        raw = run(self._redis, lambda: self._redis.get(keys.change_request(experiment.rule_set, request_id)))
        return changed_by(text(raw), experiment.id, action, request_id) if raw is not None else None

    def transitions(self, experiment_id: str) -> list[Transition]:
        key = self._meta_key(experiment_id, "audit")
        entries: list[Any] = run(self._redis, lambda: list(self._redis.xrange(key) or []))
        out = []
        for _id, raw in entries:
            f = {text(k): text(v) for k, v in raw.items()}
            out.append(
                Transition(
                    experiment_id=experiment_id,
                    action=Action(f["action"]),
                    from_state=State(f["from"]) if f["from"] else State.RUNNING,
                    to_state=State(f["to"]),
                    actor=f["actor"],
                    reason=f["reason"],
                    at=time_from_stored(f["at"]),
                    share_bp=int(f["traffic_bp"]),
                    results=json.loads(f["results"]),
                )
            )
        return out

    def arm_data(self, experiment: Experiment, now: datetime) -> dict[Arm, ArmData]:
        self._mature(experiment.id, time_to_ms(now))
        epochs = range(experiment.epoch + 1)

        def read() -> list[Any]:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hgetall(keys.experiment(experiment.id, "assigned"))
            for arm in Arm:
                for epoch in epochs:
                    pipe.scard(keys.experiment(experiment.id, f"units:{epoch}:{arm}"))
                pipe.hgetall(keys.experiment(experiment.id, f"decided:{arm}"))
                pipe.hgetall(keys.experiment(experiment.id, f"stats:{arm}"))
                pipe.zrevrange(keys.experiment(experiment.id, f"heavy:{arm}"), 0, HEAVY_UNITS - 1)
            return list(pipe.execute())

        assigned, *rest = run(self._redis, read)
        counts = {text(k): int(v) for k, v in assigned.items()}
        per_arm = len(epochs) + 3
        replies = {arm: rest[per_arm * i : per_arm * (i + 1)] for i, arm in enumerate(Arm)}
        stats = {arm: {text(k): float(v) for k, v in r[-2].items()} for arm, r in replies.items()}
        heavy_units = {arm: [text(u) for u in r[-1]] for arm, r in replies.items()}
        heavy = self._heavy_cells(experiment, heavy_units)
        out = {}
        for arm in Arm:
            units = {epoch: int(replies[arm][epoch]) for epoch in epochs}
            hours = {int(text(h)): int(c) for h, c in replies[arm][-3].items()}
            late = {m: int(stats[arm].get(f"{m}:late", 0)) for m in experiment.metrics if f"{m}:late" in stats[arm]}
            out[arm] = ArmData(
                counts.get(str(arm), 0),
                units[experiment.epoch],
                int(stats[arm].get("outcomes", 0)),
                moments_of(stats[arm], heavy[arm]),
                counts.get(UNASSIGNED, 0) if arm is Arm.BASELINE else 0,
                units,
                hours,
                late,
            )
        return out

    def running(self, experiment_id: str) -> dict[str, Bounds]:
        raw = run(self._redis, lambda: self._redis.hgetall(keys.experiment(experiment_id, "running")))
        out = {}
        for key, value in raw.items():
            low, high, p = (float(part) for part in text(value).split(" "))
            out[text(key)] = Bounds(low, high, p)
        return out

    def narrow(self, experiment_id: str, bounds: Mapping[str, Bounds]) -> None:
        args = [part for key, b in bounds.items() for part in (key, _number(b.low), _number(b.high), _number(b.p))]
        if args:
            running_key = [keys.experiment(experiment_id, "running")]
            run(self._redis, lambda: self._narrow(keys=running_key, args=args))

    def add_point(self, experiment_id: str, point: ResultsPoint, cadence: timedelta) -> bool:
        return self._history.add_point(experiment_id, point, cadence)

    def points(self, experiment_id: str, limit: int) -> tuple[list[ResultsPoint], int]:
        return self._history.points(experiment_id, limit)

    def claim_shadow(self, experiment_id: str, cadence: timedelta) -> bool:
        key, ms = keys.experiment(experiment_id, "shadow-claim"), max(1, int(cadence.total_seconds() * 1000))
        return bool(run(self._redis, lambda: self._redis.set(key, 1, px=ms, nx=True)))

    def save_shadow(self, experiment_id: str, shadow: ShadowRecord) -> None:
        key, raw = keys.experiment(experiment_id, "shadow"), encode_shadow(shadow)
        run(self._redis, lambda: self._redis.set(key, raw))

    def shadow(self, experiment_id: str) -> ShadowRecord | None:
        key = keys.experiment(experiment_id, "shadow")
        raw = run(self._redis, lambda: self._redis.get(key))
        return decode_shadow(raw) if raw else None

    def _mature(self, experiment_id: str, now_ms: int) -> None:
        """Analyses the held values whose decisions have matured by now, a batch per call."""
        for arm in Arm:
            parts = (f"held:{arm}", f"due:{arm}", f"clusters:{arm}", f"stats:{arm}")
            script_keys = [keys.experiment(experiment_id, part) for part in parts]

            def batch(k: list[str] = script_keys) -> int:
                return int(self._mature_script(keys=k, args=[now_ms, MATURE_BATCH]))

            while run(self._redis, batch) == MATURE_BATCH:
                pass

    def _heavy_cells(
        self, experiment: Experiment, heavy: Mapping[Arm, list[str]]
    ) -> dict[Arm, dict[str, list[dict[int, tuple[float, float]]]]]:
        """metric -> the per-epoch sums of each heavy unit that has the metric, heaviest first."""
        experiment_id = experiment.id
        metrics = list(experiment.metrics)
        fields = {arm: [f"{metric}|{unit}" for unit in units for metric in metrics] for arm, units in heavy.items()}

        def read() -> list[Any]:
            pipe = self._redis.pipeline(transaction=False)
            for arm in Arm:
                if fields[arm]:
                    pipe.hmget(keys.experiment(experiment_id, f"clusters:{arm}"), fields[arm])
            return list(pipe.execute())

        replies = iter(run(self._redis, read) if any(fields.values()) else [])
        out: dict[Arm, dict[str, list[dict[int, tuple[float, float]]]]] = {}
        for arm in Arm:
            out[arm] = defaultdict(list)
            if not fields[arm]:
                continue
            for field, raw in zip(fields[arm], next(replies), strict=True):
                if raw is not None:
                    out[arm][field.split("|", 1)[0]].append(unit_cells(text(raw)))
        return out


def unit_cells(raw: str) -> dict[int, tuple[float, float]]:
    """A unit's "E,Y,N;E,Y,N" sums (service.storage.redis_decisions)."""
    cells = {}
    for part in raw.split(";"):
        epoch, y, n = part.split(",")
        cells[int(epoch)] = (float(y), float(n))
    return cells


def moments_of(
    stats: Mapping[str, float], heavy: Mapping[str, list[dict[int, tuple[float, float]]]]
) -> dict[str, ArmMoments]:
    """Per-metric ArmMoments from the flat sums of one arm: "metric:units", "metric:E:n|y|yy|yn|nn|g"
    per epoch and "metric:E:F:yy|yn|ny|nn" per pair of epochs (service.storage.redis_decisions)."""
    cells: defaultdict[str, defaultdict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    cross: defaultdict[str, defaultdict[tuple[int, int], dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    units: dict[str, int] = {}
    for key, value in stats.items():
        parts = key.split(":")
        if len(parts) == 2 and parts[1] == "units":
            units[parts[0]] = int(value)
        elif len(parts) == 3:
            cells[parts[0]][int(parts[1])][parts[2]] = value
        elif len(parts) == 4:
            cross[parts[0]][(int(parts[1]), int(parts[2]))][parts[3]] = value
    return {
        name: ArmMoments(
            {
                e: Moments(
                    s.get("n", 0.0),
                    s.get("y", 0.0),
                    s.get("yy", 0.0),
                    s.get("yn", 0.0),
                    s.get("nn", 0.0),
                    int(s.get("g", 0)),
                )
                for e, s in cells[name].items()
            },
            {
                pair: Cross(s.get("yy", 0.0), s.get("yn", 0.0), s.get("ny", 0.0), s.get("nn", 0.0))
                for pair, s in cross[name].items()
            },
            count,
            tuple(heavy.get(name, ())),
        )
        for name, count in units.items()
    }
