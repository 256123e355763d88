"""The Redis adapter of WebhookQueue: webhook deliveries shared by every replica, at least once.

Every key carries the hash tag `{webhooks}`, so each step below is one atomic
script in one Redis Cluster slot (the volume is a few events a day, not per
order):

    orderroute:{webhooks}:due        ZSET delivery id -> ms at which it is due (a claim sets it to the
                                     lease's end: an item claimed and never finished comes due again)
    orderroute:{webhooks}:items      HASH delivery id -> JSON item (event id, kind, url, body, created)
    orderroute:{webhooks}:order      ZSET delivery id -> ms enqueued (the oldest is dropped when full)
    orderroute:{webhooks}:attempts   HASH delivery id -> attempts claimed so far (the claim's token)
    orderroute:{webhooks}:seen       ZSET event id -> ms enqueued, kept SEEN_FOR: an event is enqueued once
    orderroute:{webhooks}:log        LIST of JSON delivery records, newest first, trimmed to log_size
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from service.storage.codec import text, time_from_stored, time_to_ms
from service.storage.connection import RedisClient, run
from service.storage.keys import PREFIX
from service.storage.ports import ClaimedWebhook, DeliveryRecord, Enqueued, WebhookItem

SEEN_FOR = timedelta(days=90)
"""How long an event id is remembered: the same event enqueued again within it is not sent again."""
LOG_SIZE = 1000


def _key(part: str) -> str:
    return f"{PREFIX}:{{webhooks}}:{part}"


DUE, ITEMS, ORDER, ATTEMPTS, SEEN, LOG = (_key(p) for p in ("due", "items", "order", "attempts", "seen", "log"))

# KEYS: due, items, order, attempts, seen. ARGV: now ms, capacity, seen ms, event id, then delivery id and JSON
# per item. Returns {1 if new else 0, JSON of each item dropped}.
_ENQUEUE = """
local now, capacity, keep, event = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - keep)
if redis.call('ZSCORE', KEYS[5], event) then return {0, {}} end
redis.call('ZADD', KEYS[5], now, event)
for i = 5, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[1], now, ARGV[i])
  redis.call('ZADD', KEYS[3], 'NX', now, ARGV[i])
end
local dropped = {}
local over = redis.call('ZCARD', KEYS[3]) - capacity
if over > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, over - 1)) do
    local item = redis.call('HGET', KEYS[2], id)
    if item then table.insert(dropped, item) end
    redis.call('ZREM', KEYS[3], id)
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[4], id)
  end
end
return {1, dropped}
"""

# KEYS: due, items, order, attempts. ARGV: now ms, lease ms, limit. Returns {JSON, attempt} per item claimed.
_CLAIM = """
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
local claimed = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local item = redis.call('HGET', KEYS[2], id)
  if item then
    redis.call('ZADD', KEYS[1], now + lease, id)
    table.insert(claimed, {item, redis.call('HINCRBY', KEYS[4], id, 1)})
  else
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
  end
end
return claimed
"""

# KEYS: due, items, order, attempts, log. ARGV: delivery id, record JSON, log size.
_FINISH = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('LPUSH', KEYS[5], ARGV[2])
redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[3]) - 1)
return 1
"""

# KEYS: due, attempts, log. ARGV: delivery id, attempt, due ms, record JSON, log size.
_RETRY = """
redis.call('LPUSH', KEYS[3], ARGV[4])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[1])
return 1
"""


def item_to_json(item: WebhookItem) -> str:
    return json.dumps(
        {
            "delivery": item.delivery_id,
            "event": item.event_id,
            "kind": item.kind,
            "url": item.url,
            "body": item.body,
            "created": time_to_ms(item.created_at),
        }
    )


def item_from_json(raw: str | bytes) -> WebhookItem:
    d = json.loads(raw)
    return WebhookItem(d["delivery"], d["event"], d["kind"], d["url"], d["body"], time_from_stored(d["created"]))


def record_to_json(record: DeliveryRecord) -> str:
    return json.dumps(
        {
            "event": record.event_id,
            "kind": record.kind,
            "url": record.url,
            "state": record.state,
            "status": record.status,
            "error": record.error,
            "attempts": record.attempts,
            "at": time_to_ms(record.at),
        }
    )


def record_from_json(raw: str | bytes) -> DeliveryRecord:
    d = json.loads(raw)
    return DeliveryRecord(
        d["event"], d["kind"], d["url"], d["state"], d["status"], d["error"], d["attempts"], time_from_stored(d["at"])
    )


class RedisWebhookQueue:
    def __init__(self, client: RedisClient, log_size: int = LOG_SIZE) -> None:
        self._redis = client
        self._log_size = log_size
        self._enqueue: Callable[..., Any] = client.register_script(_ENQUEUE)
        self._claim: Callable[..., Any] = client.register_script(_CLAIM)
        self._finish: Callable[..., Any] = client.register_script(_FINISH)
        self._retry: Callable[..., Any] = client.register_script(_RETRY)

    def enqueue(self, event_id: str, items: Sequence[WebhookItem], now: datetime, capacity: int) -> Enqueued:
        args: list[Any] = [time_to_ms(now), capacity, int(SEEN_FOR.total_seconds() * 1000), event_id]
        for item in items:
            args += [item.delivery_id, item_to_json(item)]
        new, dropped = run(self._redis, lambda: self._enqueue(keys=[DUE, ITEMS, ORDER, ATTEMPTS, SEEN], args=args))
        return Enqueued(bool(new), tuple(item_from_json(raw) for raw in dropped))

    def claim(self, now: datetime, lease: timedelta, limit: int) -> list[ClaimedWebhook]:
        args = [time_to_ms(now), int(lease.total_seconds() * 1000), limit]
        replies = run(self._redis, lambda: self._claim(keys=[DUE, ITEMS, ORDER, ATTEMPTS], args=args))
        return [ClaimedWebhook(item_from_json(raw), int(attempt)) for raw, attempt in replies]

    def finish(self, claimed: ClaimedWebhook, record: DeliveryRecord) -> None:
        args = [claimed.item.delivery_id, record_to_json(record), self._log_size]
        run(self._redis, lambda: self._finish(keys=[DUE, ITEMS, ORDER, ATTEMPTS, LOG], args=args))

    def retry(self, claimed: ClaimedWebhook, due: datetime, record: DeliveryRecord) -> bool:
        args = [claimed.item.delivery_id, claimed.attempt, time_to_ms(due), record_to_json(record), self._log_size]
        return bool(run(self._redis, lambda: self._retry(keys=[DUE, ATTEMPTS, LOG], args=args)))

    def log(self, records: Sequence[DeliveryRecord]) -> None:
        if not records:
            return

        def write() -> None:
            pipe = self._redis.pipeline(transaction=False)
            pipe.lpush(LOG, *(record_to_json(r) for r in records))
            pipe.ltrim(LOG, 0, self._log_size - 1)
            pipe.execute()

        run(self._redis, write)

    def deliveries(self, limit: int) -> list[DeliveryRecord]:
        raws: list[Any] = run(self._redis, lambda: self._redis.lrange(LOG, 0, max(limit, 0) - 1)) if limit > 0 else []
        return [record_from_json(text(raw)) for raw in raws]

    def depth(self) -> int:
        return int(run(self._redis, lambda: self._redis.zcard(ORDER)))
