"""Decision records, written off the Route path.

Route appends a record to a bounded in-memory buffer (no I/O); a background
thread writes the buffer to the DecisionStore in batches every few
milliseconds. If Redis is away the records wait, up to the buffer's bound;
beyond it the oldest are dropped and counted (their outcomes would then be
NOT_FOUND), so routing never blocks on storage.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Sequence

from service.errors import StorageError
from service.storage import DecisionRecord

log = logging.getLogger(__name__)


class DecisionLog:
    def __init__(
        self,
        write: Callable[[Sequence[DecisionRecord]], None],
        capacity: int = 200_000,
        batch: int = 1_000,
        interval: float = 0.02,
        on_error: Callable[[], None] = lambda: None,
    ) -> None:
        self._write = write
        self._on_error = on_error
        self._buffer: collections.deque[DecisionRecord] = collections.deque()
        self._capacity = capacity
        self._batch = batch
        self._interval = interval
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.dropped = 0
        self.written = 0
        self._refusing = False
        """The last write was refused: the writer is backing off."""
        self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
        self._thread.start()

    def extend(self, records: Sequence[DecisionRecord]) -> None:
        """Hot path: one lock per call (a whole RouteBatch), never blocks on I/O."""
        with self._lock:
            self._buffer.extend(records)
            overflow = len(self._buffer) - self._capacity
            if overflow > 0:
                for _ in range(overflow):
                    self._buffer.popleft()
                self.dropped += overflow
            # A full batch is written at once, unless storage is refusing: then the writer's backoff holds
            # (waking it per call would retry, and warn, every few milliseconds all through an outage).
            if len(self._buffer) >= self._batch and not self._refusing:
                self._wake.set()

    @property
    def depth(self) -> int:
        return len(self._buffer)

    def flush(self) -> bool:
        """Writes everything buffered now; False if storage refused (the records stay buffered)."""
        with self._flush_lock:
            while True:
                with self._lock:
                    chunk = [self._buffer.popleft() for _ in range(min(self._batch, len(self._buffer)))]
                if not chunk:
                    return True
                try:
                    self._write(chunk)
                except StorageError as exc:
                    self._on_error()
                    with self._lock:
                        self._buffer.extendleft(reversed(chunk))
                        while len(self._buffer) > self._capacity:
                            self._buffer.popleft()
                            self.dropped += 1
                    log.warning("decision records not written yet (%d buffered): %s", len(self._buffer), exc)
                    return False
                self.written += len(chunk)

    def _run(self) -> None:
        backoff = self._interval
        while not self._stop.is_set():
            self._wake.wait(backoff)
            self._wake.clear()
            written = self.flush()
            self._refusing = not written
            backoff = self._interval if written else min(backoff * 2, 1.0)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(5)
        self.flush()
