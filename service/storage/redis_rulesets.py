"""The Redis adapter of RuleSetStore (keys: service.storage.keys, all in the rule set's slot).

Publish and activate are each one Lua script, so they are atomic on one
server and in a cluster alike; activation honours the claim an experiment
holds on the rule set (see redis_experiments). After an activation the
change is announced to every replica.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from service.errors import NotFound, shown
from service.storage import keys
from service.storage.changes import announce
from service.storage.codec import text, time_from_stored, time_to_ms
from service.storage.connection import RedisClient, run
from service.storage.ports import RuleSetHeld, active_moved, reused_request
from service.storage.records import ActiveRecord, AuditRecord, DraftRecord, ReviewRecord, VersionRecord

REQUEST_SECONDS = 86_400
"""How long a request id is remembered: a retry within a day gets the first answer."""

# KEYS: seq, meta, source, audit, request. ARGV: content hash, meta, source, author, comment, at, request id.
# Returns {version, 1}: created; {version, 0}: the content equals the latest; {-1, 0}: the request id was
# used for another request. With a request id, the answer is remembered and a retry gets it again.
_PUBLISH = (
    """
if ARGV[7] ~= '' then
  local seen = redis.call('GET', KEYS[5])
  if seen then
    local first = cjson.decode(seen)
    if first['action'] ~= 'publish' or first['content_hash'] ~= ARGV[1] then return {-1, 0} end
    return {first['version'], first['created']}
  end
end
local v, created = nil, 1
local latest = redis.call('GET', KEYS[1])
if latest and redis.call('HGET', KEYS[2], latest) then
  local meta = cjson.decode(redis.call('HGET', KEYS[2], latest))
  if meta['content_hash'] == ARGV[1] then v, created = tonumber(latest), 0 end
end
if not v then
  v = redis.call('INCR', KEYS[1])
  redis.call('HSET', KEYS[2], v, ARGV[2])
  redis.call('HSET', KEYS[3], v, ARGV[3])
  redis.call('XADD', KEYS[4], '*', 'action', 'publish', 'version', v, 'actor', ARGV[4],
             'reason', ARGV[5], 'at', ARGV[6], 'content_hash', ARGV[1])
end
if ARGV[7] ~= '' then
  local first = cjson.encode({action = 'publish', content_hash = ARGV[1], version = v, created = created})
  redis.call('SET', KEYS[5], first, 'EX', """
    + str(REQUEST_SECONDS)
    + """)
end
return {v, created}
"""
)

# KEYS: meta, active, audit, claim, request. ARGV: version, actor, reason, at, for_experiment,
# expected active version, request id, why approvals were bypassed ("" when not).
# Returns {1, previous}: activated; {0, 0}: the promotion completed before, or the version is active
# already; {-1, 0}: no such version; {-2, holder}: an experiment holds the rule set; {-3, active}: not
# the version the caller saw; {-4, 0}: the request id was used for another request; {2, first answer}:
# a retry of this request (the active record it answered, as JSON).
_ACTIVATE = (
    """
local function remember()
  if ARGV[7] == '' then return end
  local a = redis.call('HGETALL', KEYS[2])
  local record = {action = 'activate', asked = ARGV[1]}
  for i = 1, #a, 2 do record[a[i]] = a[i + 1] end
  redis.call('SET', KEYS[5], cjson.encode(record), 'EX', """
    + str(REQUEST_SECONDS)
    + """)
end
if ARGV[7] ~= '' then
  local seen = redis.call('GET', KEYS[5])
  if seen then
    local first = cjson.decode(seen)
    if first['action'] ~= 'activate' or first['asked'] ~= ARGV[1] then return {-4, 0} end
    return {2, seen}
  end
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {-1, 0} end
local holder = redis.call('GET', KEYS[4])
if ARGV[5] ~= '' and not holder then return {0, 0} end
if holder and holder ~= ARGV[5] then return {-2, holder} end
local previous = redis.call('HGET', KEYS[2], 'version') or '0'
if ARGV[6] ~= '0' and previous ~= ARGV[6] then return {-3, previous} end  -- not the version the caller saw
if ARGV[5] == '' and previous == ARGV[1] then remember() return {0, 0} end  -- active already: nothing to write
redis.call('HSET', KEYS[2], 'version', ARGV[1], 'previous', previous, 'actor', ARGV[2], 'reason', ARGV[3],
           'at', ARGV[4])
local entry = {'action', 'activate', 'version', ARGV[1], 'actor', ARGV[2], 'reason', ARGV[3], 'at', ARGV[4],
               'previous_version', previous}
if ARGV[8] ~= '' then table.insert(entry, 'bypass') table.insert(entry, ARGV[8]) end
redis.call('XADD', KEYS[3], '*', unpack(entry))
if holder then redis.call('DEL', KEYS[4]) end
remember()
return {1, tonumber(previous)}
"""
)


# KEYS: meta, reviews, audit. ARGV: version, the review as JSON, approve|reject, reviewer, comment, at.
# Returns the version's reviews as JSON, or nil when there is no such version.
_REVIEW = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return nil end
local reviews = cjson.decode(redis.call('HGET', KEYS[2], ARGV[1]) or '[]')
table.insert(reviews, cjson.decode(ARGV[2]))
local stored = cjson.encode(reviews)
redis.call('HSET', KEYS[2], ARGV[1], stored)
redis.call('XADD', KEYS[3], '*', 'action', ARGV[3], 'version', ARGV[1], 'actor', ARGV[4], 'reason', ARGV[5],
           'at', ARGV[6])
return stored
"""


class RedisRuleSetStore:
    def __init__(self, client: RedisClient) -> None:
        # Replies are bytes: the client must not be created with decode_responses.
        self._redis = client
        self._publish: Callable[..., Any] = client.register_script(_PUBLISH)
        self._activate: Callable[..., Any] = client.register_script(_ACTIVATE)
        self._review: Callable[..., Any] = client.register_script(_REVIEW)

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
        at = str(time_to_ms(now))
        meta = {"content_hash": content_hash, "author": author, "comment": comment, "at": at, "rules": rule_count}
        script_keys = [keys.rule_set(name, p) for p in ("seq", "meta", "source", "audit")]
        script_keys.append(keys.rule_set_request(name, request_id))
        args = [content_hash, json.dumps(meta), source, author, comment, at, request_id]

        def write() -> tuple[int, bool]:
            self._redis.sadd(keys.RULE_SET_NAMES, name)
            version, created = self._publish(keys=script_keys, args=args)
            return int(version), bool(int(created))

        version, created = run(self._redis, write)
        if version == -1:
            raise reused_request(request_id, "publish", name)
        return self.get_version(name, version), created

    def get_version(self, name: str, version: int) -> VersionRecord:
        def read() -> tuple[Any, Any]:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hget(keys.rule_set(name, "meta"), str(version))
            pipe.hget(keys.rule_set(name, "source"), str(version))
            meta, source = pipe.execute()
            return meta, source

        meta, source = run(self._redis, read)
        if meta is None:
            raise NotFound(f"rule set {shown(name)} has no version {version}", NotFound.VERSION)
        return _version(name, version, meta, source)

    def list_names(self) -> list[str]:
        return run(self._redis, lambda: sorted(text(n) for n in self._redis.smembers(keys.RULE_SET_NAMES)))

    def list_versions(self, name: str) -> list[VersionRecord]:
        metas: dict[Any, Any] = run(self._redis, lambda: self._redis.hgetall(keys.rule_set(name, "meta")))
        records = [_version(name, int(v), m, None) for v, m in metas.items()]
        return sorted(records, key=lambda r: r.version, reverse=True)

    def active(self, name: str) -> ActiveRecord | None:
        fields: dict[Any, Any] = run(self._redis, lambda: self._redis.hgetall(keys.rule_set(name, "active")))
        if not fields:
            return None
        return _active_record({text(k): text(v) for k, v in fields.items()})

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
        script_keys = [keys.rule_set(name, p) for p in ("meta", "active", "audit", "experiment")]
        script_keys.append(keys.rule_set_request(name, request_id))
        at = str(time_to_ms(now))
        args = [str(version), actor, reason, at, for_experiment, str(expected_active), request_id, bypass]
        status, detail = run(self._redis, lambda: self._activate(keys=script_keys, args=args))
        status = int(status)
        if status == 2:
            return _active_record({k: str(v) for k, v in json.loads(detail).items()}), False
        if status == -4:
            raise reused_request(request_id, f"activation of version {version}", name)
        if status == -1:
            raise NotFound(f"rule set {shown(name)} has no version {version}", NotFound.VERSION)
        if status == -2:
            raise RuleSetHeld(name, text(detail))
        if status == -3:
            raise active_moved(name, int(text(detail)), expected_active)
        if status == 0:
            stored = self.active(name)
            assert stored is not None, "nothing to write means a version is active"
            return stored, False
        announce(self._redis, name)
        return ActiveRecord(version, actor, reason, time_from_stored(time_to_ms(now)), int(detail)), True

    def audit(self, name: str, limit: int, before: str = "") -> list[AuditRecord]:
        newest = f"({before}" if before else "+"  # exclusive: the entries older than `before`
        entries: list[Any] = run(
            self._redis,
            lambda: list(self._redis.xrevrange(keys.rule_set(name, "audit"), max=newest, count=limit) or []),
        )
        out = []
        for entry_id, raw in entries:
            f = {text(k): text(v) for k, v in raw.items()}
            out.append(
                AuditRecord(
                    action=f["action"],
                    name=name,
                    version=int(f["version"]),
                    actor=f.get("actor", ""),
                    reason=f.get("reason", ""),
                    at=time_from_stored(f.get("at", 0)),
                    previous_version=int(f.get("previous_version", 0)),
                    content_hash=f.get("content_hash", ""),
                    entry_id=text(entry_id),
                    bypass=f.get("bypass", ""),
                )
            )
        return out

    def review(self, name: str, version: int, review: ReviewRecord) -> list[ReviewRecord]:
        script_keys = [keys.rule_set(name, p) for p in ("meta", "reviews", "audit")]
        # The time as text: cjson would write a number with 14 significant digits.
        stored = json.dumps([review.reviewer, review.approved, review.comment, str(time_to_ms(review.at))])
        args = [str(version), stored, "approve" if review.approved else "reject", review.reviewer, review.comment]
        raw = run(self._redis, lambda: self._review(keys=script_keys, args=[*args, str(time_to_ms(review.at))]))
        if raw is None:
            raise NotFound(f"rule set {shown(name)} has no version {version}", NotFound.VERSION)
        return _reviews(raw)

    def save_draft(self, draft: DraftRecord) -> None:
        stored = json.dumps({"source": draft.source, "base": draft.base_version, "at": time_to_ms(draft.updated_at)})
        run(self._redis, lambda: self._redis.hset(keys.rule_set(draft.name, "drafts"), draft.owner, stored))

    def draft(self, name: str, owner: str) -> DraftRecord | None:
        raw = run(self._redis, lambda: self._redis.hget(keys.rule_set(name, "drafts"), owner))
        if raw is None:
            return None
        d = json.loads(raw)
        return DraftRecord(name, owner, d["source"], int(d["base"]), time_from_stored(d["at"]))

    def delete_draft(self, name: str, owner: str) -> None:
        run(self._redis, lambda: self._redis.hdel(keys.rule_set(name, "drafts"), owner))

    def reviews(self, name: str) -> dict[int, list[ReviewRecord]]:
        raw: dict[Any, Any] = run(self._redis, lambda: self._redis.hgetall(keys.rule_set(name, "reviews")))
        return {int(text(v)): _reviews(r) for v, r in raw.items()}


def _reviews(raw: bytes | str) -> list[ReviewRecord]:
    return [
        ReviewRecord(reviewer, bool(approved), comment, time_from_stored(at))
        for reviewer, approved, comment, at in json.loads(raw)
    ]


def _active_record(f: dict[str, str]) -> ActiveRecord:
    """The `active` hash's fields (also as a request remembered them)."""
    return ActiveRecord(
        int(f["version"]),
        f.get("actor", ""),
        f.get("reason", ""),
        time_from_stored(f.get("at", 0)),
        int(f.get("previous", 0)),
    )


def _version(name: str, version: int, meta: bytes, source: bytes | None) -> VersionRecord:
    m = json.loads(meta)
    return VersionRecord(
        name=name,
        version=version,
        content_hash=m["content_hash"],
        author=m["author"],
        comment=m["comment"],
        published_at=time_from_stored(m["at"]),
        rule_count=int(m["rules"]),
        # Damaged bytes become U+FFFD, so the source no longer matches its content hash (the catalog checks).
        source=source.decode(errors="replace") if source is not None else "",
    )
