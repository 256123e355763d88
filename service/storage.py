"""Where rule set versions, activations and the audit log live.

`RuleSetStore` is the port; `RedisRuleSetStore` the Redis adapter. Every key
of one rule set carries the hash tag `{rs:NAME}`, so a rule set lives in one
Redis Cluster slot and its scripts run atomically there:

    orderroute:{rs:NAME}:seq       INCR counter: the last version number handed out
    orderroute:{rs:NAME}:meta      HASH version -> JSON (hash, author, comment, time, rule count)
    orderroute:{rs:NAME}:source    HASH version -> YAML source (immutable once written)
    orderroute:{rs:NAME}:active    HASH version, actor, reason, at
    orderroute:{rs:NAME}:audit     STREAM of publish / activate entries
    orderroute:rule-sets           SET of rule set names

After every activation (and every experiment change, in experiment_store)
a message goes to the pub/sub channel `orderroute:changes`, so other
replicas reload at once instead of at their next reconciliation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import redis

from service.errors import NotFound, StorageError, StorageUnavailable
from service.redis_conn import RedisClient

log = logging.getLogger(__name__)

T = TypeVar("T")


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
    version: int
    actor: str
    reason: str
    at: datetime


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


class RuleSetStore(Protocol):
    def publish(
        self, name: str, source: str, content_hash: str, author: str, comment: str, rule_count: int, now: datetime
    ) -> tuple[VersionRecord, bool]:
        """Stores a new immutable version; (record, False) if it equals the latest."""
        ...

    def get_version(self, name: str, version: int) -> VersionRecord: ...

    def list_names(self) -> list[str]: ...

    def list_versions(self, name: str) -> list[VersionRecord]:
        """Every version without its source, newest first."""
        ...

    def active(self, name: str) -> ActiveRecord | None: ...

    def activate(self, name: str, version: int, actor: str, reason: str, now: datetime) -> int:
        """Points the rule set at `version`; returns the version active before (0: none)."""
        ...

    def audit(self, name: str, limit: int) -> list[AuditRecord]: ...


_PUBLISH = """
local latest = redis.call('GET', KEYS[1])
if latest and redis.call('HGET', KEYS[2], latest) then
  local meta = cjson.decode(redis.call('HGET', KEYS[2], latest))
  if meta['content_hash'] == ARGV[1] then return {tonumber(latest), 0} end
end
local v = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], v, ARGV[2])
redis.call('HSET', KEYS[3], v, ARGV[3])
redis.call('XADD', KEYS[4], '*', 'action', 'publish', 'version', v, 'actor', ARGV[4],
           'reason', ARGV[5], 'at', ARGV[6], 'content_hash', ARGV[1])
return {v, 1}
"""

_ACTIVATE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
local previous = redis.call('HGET', KEYS[2], 'version') or '0'
redis.call('HSET', KEYS[2], 'version', ARGV[1], 'actor', ARGV[2], 'reason', ARGV[3], 'at', ARGV[4])
redis.call('XADD', KEYS[3], '*', 'action', 'activate', 'version', ARGV[1], 'actor', ARGV[2],
           'reason', ARGV[3], 'at', ARGV[4], 'previous_version', previous)
return tonumber(previous)
"""

NAMES_KEY = "orderroute:rule-sets"


def _key(name: str, part: str) -> str:
    return f"orderroute:{{rs:{name}}}:{part}"


CHANGES_CHANNEL = "orderroute:changes"

# Redis is away, busy, or a cluster is between topologies: retrying later can work.
_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterError,
    redis.exceptions.TryAgainError,
    redis.exceptions.RedisClusterException,
)


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turns redis-py exceptions into the service's own storage errors."""
    try:
        yield
    except _UNAVAILABLE as exc:
        raise StorageUnavailable(f"storage unavailable: {exc}") from exc
    except redis.exceptions.RedisError as exc:
        raise StorageError(f"storage error: {exc}") from exc


def announce(client: RedisClient, rule_set: str) -> None:
    """Tells every replica that `rule_set` changed. Best effort: reconciliation covers a lost message."""
    try:
        client.publish(CHANGES_CHANNEL, rule_set)
    except (redis.exceptions.RedisError, redis.exceptions.RedisClusterException) as exc:
        log.warning("change of %s not announced (replicas reconcile within a second): %s", rule_set, exc)


def _ms(at: datetime) -> str:
    return str(int(at.timestamp() * 1000))


def _time(ms: Any) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


class RedisRuleSetStore:
    def __init__(self, client: RedisClient) -> None:
        # Replies are bytes: the client must not be created with decode_responses.
        self._redis = client
        self._publish: Callable[..., Any] = client.register_script(_PUBLISH)
        self._activate: Callable[..., Any] = client.register_script(_ACTIVATE)

    def _run(self, fn: Callable[[], T]) -> T:
        with translated_errors():
            return fn()

    def publish(
        self, name: str, source: str, content_hash: str, author: str, comment: str, rule_count: int, now: datetime
    ) -> tuple[VersionRecord, bool]:
        meta = {"content_hash": content_hash, "author": author, "comment": comment, "at": _ms(now), "rules": rule_count}
        keys = [_key(name, "seq"), _key(name, "meta"), _key(name, "source"), _key(name, "audit")]
        args = [content_hash, json.dumps(meta), source, author, comment, _ms(now)]

        def write() -> tuple[VersionRecord, bool]:
            self._redis.sadd(NAMES_KEY, name)
            version, created = self._publish(keys=keys, args=args)
            return self.get_version(name, int(version)), bool(created)

        return self._run(write)

    def get_version(self, name: str, version: int) -> VersionRecord:
        def read() -> VersionRecord:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hget(_key(name, "meta"), str(version))
            pipe.hget(_key(name, "source"), str(version))
            meta, source = pipe.execute()
            if meta is None:
                raise NotFound(f"rule set {name!r} has no version {version}")
            return _record(name, version, meta, source)

        return self._run(read)

    def list_names(self) -> list[str]:
        return self._run(lambda: sorted(_text(n) for n in self._redis.smembers(NAMES_KEY)))

    def list_versions(self, name: str) -> list[VersionRecord]:
        def read() -> list[VersionRecord]:
            metas: dict[Any, Any] = self._redis.hgetall(_key(name, "meta"))
            records = [_record(name, int(v), m, None) for v, m in metas.items()]
            return sorted(records, key=lambda r: r.version, reverse=True)

        return self._run(read)

    def active(self, name: str) -> ActiveRecord | None:
        def read() -> ActiveRecord | None:
            fields: dict[Any, Any] = self._redis.hgetall(_key(name, "active"))
            if not fields:
                return None
            f = {_text(k): _text(v) for k, v in fields.items()}
            return ActiveRecord(int(f["version"]), f.get("actor", ""), f.get("reason", ""), _time(f.get("at", 0)))

        return self._run(read)

    def activate(self, name: str, version: int, actor: str, reason: str, now: datetime) -> int:
        keys = [_key(name, "meta"), _key(name, "active"), _key(name, "audit")]
        previous = int(self._run(lambda: self._activate(keys=keys, args=[str(version), actor, reason, _ms(now)])))
        if previous < 0:
            raise NotFound(f"rule set {name!r} has no version {version}")
        announce(self._redis, name)
        return previous

    def audit(self, name: str, limit: int) -> list[AuditRecord]:
        entries: list[Any] = self._run(lambda: list(self._redis.xrevrange(_key(name, "audit"), count=limit) or []))
        out = []
        for _id, raw in entries:
            f = {_text(k): _text(v) for k, v in raw.items()}
            out.append(
                AuditRecord(
                    action=f["action"],
                    name=name,
                    version=int(f["version"]),
                    actor=f.get("actor", ""),
                    reason=f.get("reason", ""),
                    at=_time(f.get("at", 0)),
                    previous_version=int(f.get("previous_version", 0)),
                    content_hash=f.get("content_hash", ""),
                )
            )
        return out


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _record(name: str, version: int, meta: bytes, source: bytes | None) -> VersionRecord:
    m = json.loads(meta)
    return VersionRecord(
        name=name,
        version=version,
        content_hash=m["content_hash"],
        author=m["author"],
        comment=m["comment"],
        published_at=_time(m["at"]),
        rule_count=int(m["rules"]),
        source=source.decode() if source is not None else "",
    )
