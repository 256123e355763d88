"""Webhooks on the wire: the JSON body of an event, its signature and headers, the retry schedule, and
the configuration (which URLs, which events, which secret). Pure: no I/O.

    body: {"event": kind, "text": sentence, "at": ISO-8601 UTC, "data": {...}, "id": event id}
    X-Orderroute-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed by the secret>
    X-Orderroute-Event:     the kind
    X-Orderroute-Delivery:  the event id (the same on every retry: receivers dedupe by it)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from service.app.notifications import Event, EventKind

FIRST_RETRY = timedelta(seconds=1)
LONGEST_WAIT = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(hours=24)
"""An item still undelivered this long after it was enqueued is marked failed and dropped."""
SIGNATURE_HEADER = "X-Orderroute-Signature"
EVENT_HEADER = "X-Orderroute-Event"
DELIVERY_HEADER = "X-Orderroute-Delivery"


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    urls: tuple[str, ...]
    secret: bytes = field(repr=False)
    events: frozenset[EventKind] = frozenset(EventKind)

    def wants(self, kind: EventKind) -> bool:
        return bool(self.urls) and kind in self.events


def body_of(event: Event) -> bytes:
    """The exact bytes sent (and signed): compact JSON, ASCII only."""
    document = {
        "event": str(event.kind),
        "text": event.text,
        "at": iso_utc(event.at),
        "data": event.data,
        "id": event.id,
    }
    return json.dumps(document, separators=(",", ":"), default=str).encode("ascii")


def iso_utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def signature(body: bytes, secret: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def headers(kind: str, event_id: str, body: bytes, secret: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "orderroute-webhooks",
        SIGNATURE_HEADER: signature(body, secret),
        EVENT_HEADER: kind,
        DELIVERY_HEADER: event_id,
    }


def backoff(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1, 2, ...): 1 s, 2 s, 4 s, ... at most 5 min."""
    doublings = min(max(attempt, 1) - 1, 20)  # 2**20 s is far past the cap already
    return min(FIRST_RETRY * (1 << doublings), LONGEST_WAIT)


def parse_events(listed: str) -> frozenset[EventKind]:
    """A comma-separated list of event kinds ('' or 'all': every kind); ValueError names what is unknown."""
    names = [n.strip() for n in listed.split(",") if n.strip()]
    if not names or names == ["all"]:
        return frozenset(EventKind)
    known = {str(k) for k in EventKind}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown event {', '.join(map(repr, unknown))}; choose from {', '.join(sorted(known))}")
    return frozenset(EventKind(n) for n in names)


def check_urls(urls: Iterable[str]) -> tuple[str, ...]:
    """The URLs, each http(s) with a host; ValueError names the first that is not."""
    checked: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// URL with a host")
        if url not in checked:
            checked.append(url)
    return tuple(checked)


def delivery_id(event_id: str, url: str) -> str:
    """The queue key of one event for one URL."""
    return f"{event_id}:{hashlib.sha256(url.encode()).hexdigest()[:12]}"
