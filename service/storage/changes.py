"""Telling replicas about changes, and following them: a pub/sub subscriber that reloads at once.

Every activation and experiment change is announced on `orderroute:changes`
(`announce`, after the durable write). Each (re)subscription also reloads, so changes
announced while this replica was cut off from Redis are picked up as soon
as it is back; the supervisor's periodic reconciliation covers any message
lost in between.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from service.errors import ServiceError
from service.storage.connection import REDIS_ERRORS, RedisClient
from service.storage.keys import CHANGES_CHANNEL

log = logging.getLogger(__name__)


def announce(client: RedisClient, rule_set: str) -> None:
    """Tells every replica that `rule_set` changed. Best effort: reconciliation covers a lost message."""
    try:
        client.publish(CHANGES_CHANNEL, rule_set)
    except REDIS_ERRORS as exc:
        log.warning("change of %s not announced (replicas reconcile within a second): %s", rule_set, exc)


class ChangeListener:
    def __init__(self, client: RedisClient, on_change: Callable[[], None], retry_seconds: float = 0.5) -> None:
        self._client = client
        self._on_change = on_change
        self._retry = retry_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="changes", daemon=True)
        self.reloads = 0

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            pubsub: Any = None
            try:
                pubsub = self._client.pubsub()  # type: ignore[no-untyped-call]
                pubsub.subscribe(CHANGES_CHANNEL)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if message is not None and message["type"] in ("subscribe", "message"):
                        self._reload()
            except REDIS_ERRORS as exc:
                log.info("change feed interrupted (%s); resubscribing", exc)
                self._stop.wait(self._retry)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):  # closing a broken connection may fail any way
                        pubsub.close()

    def _reload(self) -> None:
        try:
            self._on_change()
            self.reloads += 1
        except ServiceError as exc:
            log.warning("reload after a change failed (the supervisor retries): %s", exc.message)
