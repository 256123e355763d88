"""Experiments, decision records and outcomes in Redis.

Keys (hash tags keep what one script touches in one Redis Cluster slot):

    orderroute:experiments                      SET of experiment ids
    orderroute:experiments:seq                  INCR counter for ids
    orderroute:{rs:NAME}:experiment             STRING id of the rule set's unfinished experiment
    orderroute:{exp:ID}:meta                    STRING experiment JSON
    orderroute:{exp:ID}:audit                   STREAM of transitions with a results snapshot
    orderroute:{exp:ID}:assigned                HASH arm -> decisions routed
    orderroute:{exp:ID}:units:EPOCH:ARM         SET of units seen at one share
    orderroute:{exp:ID}:outcomes                HASH decision id -> reported metric values (JSON)
    orderroute:{exp:ID}:clusters:ARM            HASH "metric|unit" -> "Y|N" sums of that unit
    orderroute:{exp:ID}:stats:ARM               HASH "metric:n|y|yy|yn|nn|g" sums over units, "outcomes"
    orderroute:decision:{DECISION_ID}           STRING the decision's rule set, version, arm, unit (expires)
    orderroute:outcome:{DECISION_ID}            HASH outcomes of a decision outside experiments (expires)

An outcome is applied by one script in the experiment's slot: it replaces an
earlier value of the same metric for the same decision, so a retried report
counts once, and it keeps the sufficient statistics of experiments.statistics
up to date (experiments.statistics.Accumulator is the reference it must equal).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from experiments import Arm, ArmData, Experiment, Guardrail, State, Transition, Unit
from experiments.statistics import Moments
from service.errors import FailedPrecondition, NotFound
from service.redis_conn import RedisClient, is_cluster, mget, send_commands
from service.storage import announce, translated_errors

T = TypeVar("T")
PREFIX = "orderroute"
DEFAULT_DECISION_TTL = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    decision_id: str
    rule_set: str
    version: int
    at_ms: int
    experiment_id: str = ""
    arm: Arm | None = None
    unit: str = ""
    epoch: int = 0


def _exp(experiment_id: str, part: str) -> str:
    return f"{PREFIX}:{{exp:{experiment_id}}}:{part}"


def decision_key(decision_id: str) -> str:
    return f"{PREFIX}:decision:{{{decision_id}}}"


def outcome_key(decision_id: str) -> str:
    """Outcomes of a decision outside any experiment (inside one they live with its sums)."""
    return f"{PREFIX}:outcome:{{{decision_id}}}"


def _current_key(rule_set: str) -> str:
    return f"{PREFIX}:{{rs:{rule_set}}}:experiment"


_TRANSITION = """
local meta = redis.call('GET', KEYS[1])
if not meta then return -1 end
local current = cjson.decode(meta)
if current['state'] ~= ARGV[1] or tonumber(current['epoch']) ~= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('XADD', KEYS[2], '*', 'action', ARGV[4], 'from', ARGV[1], 'to', ARGV[5], 'actor', ARGV[6],
           'reason', ARGV[7], 'at', ARGV[8], 'traffic_bp', ARGV[9], 'results', ARGV[10])
return 1
"""

_SET_DECISIONS = """
local ttl = ARGV[1]
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ttl) end
return #KEYS
"""

_OUTCOME = """
local old_raw = redis.call('HGET', KEYS[1], ARGV[1])
local old = {}
if old_raw then old = cjson.decode(old_raw) end
local replaced = {}
local function add(field, delta)
  if delta ~= 0 then redis.call('HINCRBYFLOAT', KEYS[3], field, string.format('%.17g', delta)) end
end
for i = 3, #ARGV, 2 do
  local metric, text = ARGV[i], ARGV[i + 1]
  local y = tonumber(text)
  local field = metric .. '|' .. ARGV[2]
  local y0, n0 = 0, 0
  local sums = redis.call('HGET', KEYS[2], field)
  if sums then
    local bar = string.find(sums, '|', 1, true)
    y0, n0 = tonumber(string.sub(sums, 1, bar - 1)), tonumber(string.sub(sums, bar + 1))
  end
  local y1, n1 = y0 + y, n0 + 1
  if old[metric] ~= nil then
    y1, n1 = y0 - tonumber(old[metric]) + y, n0
    table.insert(replaced, metric)
  end
  redis.call('HSET', KEYS[2], field, string.format('%.17g|%.17g', y1, n1))
  add(metric .. ':n', n1 - n0)
  add(metric .. ':y', y1 - y0)
  add(metric .. ':yy', y1 * y1 - y0 * y0)
  add(metric .. ':yn', y1 * n1 - y0 * n0)
  add(metric .. ':nn', n1 * n1 - n0 * n0)
  if n0 == 0 and n1 > 0 then redis.call('HINCRBY', KEYS[3], metric .. ':g', 1) end
  old[metric] = text
end
if not old_raw then redis.call('HINCRBY', KEYS[3], 'outcomes', 1) end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(old))
return replaced
"""


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
            "created_at": e.created_at.timestamp(),
            "created_by": e.created_by,
            "epoch": e.epoch,
            "ended_at": e.ended_at.timestamp() if e.ended_at else None,
            "alpha": e.alpha,
        }
    )


def experiment_from_json(text: str | bytes) -> Experiment:
    d = json.loads(text)
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
        created_at=datetime.fromtimestamp(d["created_at"], UTC),
        created_by=d["created_by"],
        epoch=int(d["epoch"]),
        ended_at=datetime.fromtimestamp(d["ended_at"], UTC) if d.get("ended_at") else None,
        alpha=float(d.get("alpha", 0.05)),
    )


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisExperimentStore:
    def __init__(self, client: RedisClient, decision_ttl: timedelta = DEFAULT_DECISION_TTL) -> None:
        self._redis = client
        self._cluster = is_cluster(client)
        self._ttl = int(decision_ttl.total_seconds())
        self._transition: Callable[..., Any] = client.register_script(_TRANSITION)
        self._outcome: Callable[..., Any] = client.register_script(_OUTCOME)

    def _run(self, fn: Callable[[], T]) -> T:
        with translated_errors():
            return fn()

    # ------------------------------------------------------------ experiments

    def next_id(self) -> str:
        return f"exp-{self._run(lambda: self._redis.incr(f'{PREFIX}:experiments:seq'))}"

    def create(self, experiment: Experiment, actor: str, reason: str) -> None:
        """Stores a new running experiment; one unfinished experiment per rule set."""

        def write() -> None:
            claimed = self._redis.set(_current_key(experiment.rule_set), experiment.id, nx=True)
            if not claimed:
                current = self.current(experiment.rule_set)
                if current is not None:
                    raise FailedPrecondition(
                        f"rule set {experiment.rule_set!r} already has experiment {current.id} ({current.state}); "
                        "promote, roll back or abort it first"
                    )
                self._redis.set(_current_key(experiment.rule_set), experiment.id)
            pipe = self._redis.pipeline(transaction=True)
            pipe.set(_exp(experiment.id, "meta"), experiment_to_json(experiment))
            pipe.xadd(
                _exp(experiment.id, "audit"),
                {
                    "action": "start",
                    "from": "",
                    "to": str(experiment.state),
                    "actor": actor,
                    "reason": reason,
                    "at": str(experiment.created_at.timestamp()),
                    "traffic_bp": str(experiment.share_bp),
                    "results": "{}",
                },
            )
            pipe.execute()
            self._redis.sadd(f"{PREFIX}:experiments", experiment.id)

        self._run(write)
        announce(self._redis, experiment.rule_set)

    def get(self, experiment_id: str) -> Experiment:
        raw = self._run(lambda: self._redis.get(_exp(experiment_id, "meta")))
        if raw is None:
            raise NotFound(f"experiment {experiment_id!r} does not exist")
        return experiment_from_json(raw)

    def current(self, rule_set: str) -> Experiment | None:
        """The rule set's unfinished (running or paused) experiment."""
        experiment_id = self._run(lambda: self._redis.get(_current_key(rule_set)))
        if experiment_id is None:
            return None
        try:
            experiment = self.get(_text(experiment_id))
        except NotFound:
            return None
        return None if experiment.state.is_final else experiment

    def all(self) -> list[Experiment]:
        def read() -> list[Experiment]:
            ids = sorted((_text(i) for i in self._redis.smembers(f"{PREFIX}:experiments")), reverse=True)
            raws = mget(self._redis, [_exp(i, "meta") for i in ids])
            return [experiment_from_json(r) for r in raws if r is not None]

        experiments = self._run(read)
        return sorted(experiments, key=lambda e: e.created_at, reverse=True)

    def save_transition(
        self,
        before: Experiment,
        after: Experiment,
        action: str,
        actor: str,
        reason: str,
        at: datetime,
        results: Mapping[str, object],
    ) -> None:
        """Writes `after` only if the stored experiment is still `before` (no lost updates across replicas)."""
        keys = [_exp(before.id, "meta"), _exp(before.id, "audit")]
        args = [
            str(before.state),
            before.epoch,
            experiment_to_json(after),
            action,
            str(after.state),
            actor,
            reason,
            str(at.timestamp()),
            after.share_bp,
            json.dumps(results, default=str),
        ]
        done = int(self._run(lambda: self._transition(keys=keys, args=args)))
        if done < 0:
            raise NotFound(f"experiment {before.id!r} does not exist")
        if done == 0:
            raise FailedPrecondition(f"experiment {before.id} changed meanwhile; read it again and retry")
        if after.state.is_final:

            def release() -> None:
                if self._redis.get(_current_key(after.rule_set)) in (after.id, after.id.encode()):
                    self._redis.delete(_current_key(after.rule_set))

            self._run(release)
        announce(self._redis, after.rule_set)

    def transitions(self, experiment_id: str) -> list[Transition]:
        entries: list[Any] = self._run(lambda: list(self._redis.xrange(_exp(experiment_id, "audit")) or []))
        out = []
        for _id, raw in entries:
            f = {_text(k): _text(v) for k, v in raw.items()}
            out.append(
                Transition(
                    experiment_id=experiment_id,
                    action=f["action"],
                    from_state=State(f["from"]) if f["from"] else State.RUNNING,
                    to_state=State(f["to"]),
                    actor=f["actor"],
                    reason=f["reason"],
                    at=datetime.fromtimestamp(float(f["at"]), UTC),
                    share_bp=int(f["traffic_bp"]),
                    results=json.loads(f["results"]),
                )
            )
        return out

    def arm_data(self, experiment: Experiment) -> dict[Arm, ArmData]:
        def read() -> dict[Arm, ArmData]:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hgetall(_exp(experiment.id, "assigned"))
            for arm in Arm:
                pipe.scard(_exp(experiment.id, f"units:{experiment.epoch}:{arm}"))
                pipe.hgetall(_exp(experiment.id, f"stats:{arm}"))
            assigned, *rest = pipe.execute()
            counts = {_text(k): int(v) for k, v in assigned.items()}
            out = {}
            for index, arm in enumerate(Arm):
                units, stats = rest[2 * index], {_text(k): float(v) for k, v in rest[2 * index + 1].items()}
                out[arm] = ArmData(counts.get(str(arm), 0), int(units), int(stats.get("outcomes", 0)), _moments(stats))
            return out

        return self._run(read)

    # ------------------------------------------------------------ decisions

    def write_decisions(self, records: Sequence[DecisionRecord]) -> None:
        """One round trip for a batch of decisions and their assignment counts.

        On one server the records go in a single EVAL (one command to pack and
        one reply to read, instead of one per record); on a cluster, where the
        records spread over every node, as one SET each.
        """
        assigned: Counter[tuple[str, str]] = Counter()
        units: defaultdict[tuple[str, int, str], set[str]] = defaultdict(set)
        keys = [decision_key(r.decision_id) for r in records]
        values = [pack_decision(r) for r in records]
        commands: list[tuple[Any, ...]]
        if self._cluster:
            commands = [("SET", k, v, "EX", self._ttl) for k, v in zip(keys, values, strict=True)]
        else:
            commands = [("EVAL", _SET_DECISIONS, len(keys), *keys, self._ttl, *values)] if keys else []
        for r in records:
            if r.experiment_id and r.arm is not None:
                assigned[(r.experiment_id, str(r.arm))] += 1
                if r.unit:
                    units[(r.experiment_id, r.epoch, str(r.arm))].add(r.unit)
        for (experiment_id, arm), count in assigned.items():
            commands.append(("HINCRBY", _exp(experiment_id, "assigned"), arm, count))
        for (experiment_id, epoch, arm), members in units.items():
            commands.append(("SADD", _exp(experiment_id, f"units:{epoch}:{arm}"), *members))
        self._run(lambda: send_commands(self._redis, commands))

    def decisions(self, decision_ids: Sequence[str]) -> list[DecisionRecord | None]:
        def read() -> list[DecisionRecord | None]:
            raws = mget(self._redis, [decision_key(i) for i in decision_ids])
            return [unpack_decision(i, raw) for i, raw in zip(decision_ids, raws, strict=True)]

        return self._run(read)

    def stored_outcome(self, decision_id: str, experiment_id: str) -> dict[str, float]:
        """The metric values stored for a decision (empty: none)."""

        def read() -> dict[str, float]:
            if experiment_id:
                raw = self._redis.hget(_exp(experiment_id, "outcomes"), decision_id)
                return {m: float(v) for m, v in json.loads(raw).items()} if raw else {}
            fields: dict[Any, Any] = self._redis.hgetall(outcome_key(decision_id))
            return {_text(m): float(v) for m, v in fields.items()}

        return self._run(read)

    def apply_outcomes(self, items: Sequence[tuple[DecisionRecord, Mapping[str, float]]]) -> list[list[str]]:
        """Applies outcome values; returns, per item, the metrics that replaced earlier reports."""

        def write() -> list[list[str]]:
            pipe = self._redis.pipeline(transaction=False)
            for record, values in items:
                args: list[Any] = [record.decision_id, record.unit or record.decision_id]
                for metric, value in values.items():
                    args += [metric, repr(float(value))]
                if record.experiment_id and record.arm is not None:
                    keys = [
                        _exp(record.experiment_id, "outcomes"),
                        _exp(record.experiment_id, f"clusters:{record.arm}"),
                        _exp(record.experiment_id, f"stats:{record.arm}"),
                    ]
                    if self._cluster:  # a cluster pipeline can neither load a script nor call eval()
                        pipe.execute_command("EVAL", _OUTCOME, len(keys), *keys, *args)
                    else:
                        self._outcome(keys=keys, args=args, client=pipe)
                else:
                    key = outcome_key(record.decision_id)
                    pipe.hgetall(key)
                    pipe.hset(key, mapping={m: repr(float(v)) for m, v in values.items()})
                    pipe.expire(key, self._ttl)
            replies = pipe.execute()
            out: list[list[str]] = []
            position = 0
            for record, values in items:
                if record.experiment_id and record.arm is not None:
                    out.append([_text(m) for m in replies[position]])
                    position += 1
                else:
                    before = {_text(k) for k in replies[position]}
                    out.append([m for m in values if m in before])
                    position += 3
            return out

        return self._run(write)


def _moments(stats: Mapping[str, float]) -> dict[str, Moments]:
    names = {key.split(":", 1)[0] for key in stats if ":" in key}
    return {
        name: Moments(
            n=stats.get(f"{name}:n", 0.0),
            y=stats.get(f"{name}:y", 0.0),
            yy=stats.get(f"{name}:yy", 0.0),
            yn=stats.get(f"{name}:yn", 0.0),
            nn=stats.get(f"{name}:nn", 0.0),
            g=int(stats.get(f"{name}:g", 0)),
        )
        for name in names
    }


def pack_decision(r: DecisionRecord) -> str:
    """rule set|version|at ms|experiment|arm|epoch|unit (the unit last: it may contain '|')."""
    return f"{r.rule_set}|{r.version}|{r.at_ms}|{r.experiment_id}|{r.arm or ''}|{r.epoch}|{r.unit}"


def unpack_decision(decision_id: str, raw: bytes | str | None) -> DecisionRecord | None:
    if raw is None:
        return None
    rule_set, version, at_ms, experiment_id, arm, epoch, unit = _text(raw).split("|", 6)
    return DecisionRecord(
        decision_id=decision_id,
        rule_set=rule_set,
        version=int(version),
        at_ms=int(at_ms),
        experiment_id=experiment_id,
        arm=Arm(arm) if arm else None,
        unit=unit,
        epoch=int(epoch),
    )
