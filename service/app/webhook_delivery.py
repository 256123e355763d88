"""Webhook delivery: events into a durable queue (WebhookQueue, in Redis) and a thread that POSTs them.

At least once, across restarts and replicas:

- `notify` enqueues the event (one item per URL) in one atomic step, and the
  queue remembers event ids, so an event noticed twice is sent once. If Redis
  is away the event waits in memory (bounded) and is enqueued later.
- Every configured replica runs a delivery thread: it claims due items (a
  lease, not a removal), POSTs each with a short timeout, and on a 2xx answer
  finishes it. Anything else is retried after 1 s, 2 s, 4 s, ... at most 5
  min apart; an item undelivered 24 h after it was enqueued is marked failed.
  A process killed mid-delivery leaves its items leased: they come due again
  when the lease runs out, so a receiver may see an event twice (dedupe by
  X-Orderroute-Delivery), never zero times.
- The queue holds at most `capacity` items: beyond it the oldest are dropped,
  logged and counted (`dropped`).
- `deliveries(limit)` is the log of the last deliveries (every replica's).
"""

from __future__ import annotations

import collections
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from service.app.clock import Clock
from service.app.notifications import Event
from service.app.webhooks import GIVE_UP_AFTER, WebhookConfig, backoff, body_of, delivery_id, headers
from service.errors import StorageError
from service.storage.ports import ClaimedWebhook, DeliveryRecord, WebhookItem, WebhookQueue

log = logging.getLogger(__name__)

Post = Callable[[str, bytes, Mapping[str, str], float], int]
"""POSTs a body with headers within a timeout; returns the HTTP status, raises OSError without an answer."""

CAPACITY = 10_000
PENDING = 1_000
"""Events kept in memory while the queue cannot be reached."""
REMEMBERED = 10_000
"""Event ids this process enqueued, skipped without asking Redis (a supervisor notices a verdict every tick)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx answer is a failed delivery: the body is not POSTed elsewhere


_OPENER = urllib.request.build_opener(_NoRedirects)


def post_with_urllib(url: str, body: bytes, sent_headers: Mapping[str, str], timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers=dict(sent_headers), method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


class Webhooks:
    """The Notifier that delivers to the configured webhooks (none configured: it only reads the log)."""

    def __init__(
        self,
        queue: WebhookQueue,
        config: WebhookConfig | None,
        clock: Clock,
        *,
        post: Post = post_with_urllib,
        timeout: float = 5.0,
        interval: float = 1.0,
        batch: int = 10,
        lease: timedelta | None = None,
        capacity: int = CAPACITY,
        give_up_after: timedelta = GIVE_UP_AFTER,
    ) -> None:
        self._queue = queue
        self.config = config
        self._clock = clock
        self._post = post
        self._timeout = timeout
        self._interval = interval
        self._batch = batch
        self._lease = lease or timedelta(seconds=timeout * batch + 30)
        """Longer than a claimed batch takes: a live worker finishes its items before others may take them."""
        self._capacity = capacity
        self._give_up_after = give_up_after
        self._pending: collections.deque[Event] = collections.deque(maxlen=PENDING)
        self._remembered: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
        self.delivered = 0
        self.retried = 0
        self.failed = 0
        self.dropped = 0
        """Items dropped because the queue was full, or events because Redis stayed away too long."""

    # ------------------------------------------------------------ Notifier

    def notify(self, *events: Event) -> None:
        config = self.config
        if config is None:
            return
        for event in events:
            if not config.wants(event.kind):
                continue
            with self._lock:
                if event.id in self._remembered:
                    continue
            try:
                self._enqueue(event, config)
            except StorageError as exc:
                with self._lock:
                    if len(self._pending) == self._pending.maxlen:
                        self.dropped += 1
                    self._pending.append(event)
                log.warning("webhook event %s (%s) waits in memory: %s", event.id, event.kind, exc)
        self._wake.set()

    def _enqueue(self, event: Event, config: WebhookConfig) -> None:
        body = body_of(event).decode("ascii")
        items = [
            WebhookItem(delivery_id(event.id, url), event.id, str(event.kind), url, body, event.at)
            for url in config.urls
        ]
        enqueued = self._queue.enqueue(event.id, items, self._clock(), self._capacity)
        with self._lock:
            self._remembered[event.id] = None
            while len(self._remembered) > REMEMBERED:
                self._remembered.popitem(last=False)
        if enqueued.dropped:
            self.dropped += len(enqueued.dropped)
            log.warning(
                "webhook queue full (%d items): dropped the %d oldest, first %s",
                self._capacity,
                len(enqueued.dropped),
                enqueued.dropped[0].event_id,
            )
            now = self._clock()
            self._queue.log(
                [
                    DeliveryRecord(i.event_id, i.kind, i.url, "dropped", 0, "queue full", 0, now)
                    for i in enqueued.dropped
                ]
            )

    # ------------------------------------------------------------ reading

    def deliveries(self, limit: int) -> list[DeliveryRecord]:
        """The last deliveries (of every replica), newest first."""
        return self._queue.deliveries(limit)

    def depth(self) -> int:
        return self._queue.depth()

    # ------------------------------------------------------------ delivering

    def deliver_due(self) -> int:
        """One round: enqueue what waited in memory, then deliver the items due; returns how many were claimed."""
        config = self.config
        if config is None:
            return 0
        while self._pending:
            event = self._pending[0]
            self._enqueue(event, config)  # raises StorageError: they wait for the next round
            self._pending.popleft()
        claimed = self._queue.claim(self._clock(), self._lease, self._batch)
        for item in claimed:
            self._deliver(item, config)
        return len(claimed)

    def _deliver(self, claimed: ClaimedWebhook, config: WebhookConfig) -> None:
        item = claimed.item
        body = item.body.encode("ascii")
        status, error = 0, ""
        try:
            status = self._post(item.url, body, headers(item.kind, item.event_id, body, config.secret), self._timeout)
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except (OSError, ValueError) as exc:  # refused, timed out, unreachable, a malformed answer
            error = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        now = self._clock()

        def record(state: str) -> DeliveryRecord:
            return DeliveryRecord(item.event_id, item.kind, item.url, state, status, error, claimed.attempt, now)

        if not error:
            self._queue.finish(claimed, record("delivered"))
            self.delivered += 1
        elif now - item.created_at >= self._give_up_after:
            self._queue.finish(claimed, record("failed"))
            self.failed += 1
            log.warning(
                "webhook %s to %s failed for good after %d attempts: %s",
                item.event_id,
                item.url,
                claimed.attempt,
                error,
            )
        else:
            wait = backoff(claimed.attempt)
            self._queue.retry(claimed, now + wait, record("retrying"))
            self.retried += 1
            log.info(
                "webhook %s to %s: %s; attempt %d again in %s",
                item.event_id,
                item.url,
                error,
                claimed.attempt + 1,
                wait,
            )

    def start(self) -> None:
        if self.config is not None and self.config.urls:
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                while self.deliver_due() == self._batch and not self._stop.is_set():
                    pass
            except StorageError as exc:
                log.warning("webhooks: %s (next round retries)", exc.message)
            except Exception:
                log.exception("webhooks: unexpected error")
            self._wake.wait(self._interval)
            self._wake.clear()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.ident is not None:
            self._thread.join(self._timeout + 5)
