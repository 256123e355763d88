"""A circuit breaker per Redis client: once Redis is known to be unreachable, storage-bound calls
fail at once with UNAVAILABLE instead of each holding a server thread for the whole timeout.

    closed     calls go through; FAILURES_TO_OPEN unreachable answers in a row open it
    open       calls fail fast for COOLDOWN_SECONDS
    half-open  one call goes through as a trial (the others still fail fast); its
               success closes the breaker, its failure opens it again

Only "unreachable" (connection refused or timed out) counts: an error reply such as
MISCONF (disk full) comes from a Redis that answers, so it is reported as it is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from service.errors import StorageUnavailable

FAILURES_TO_OPEN = 2
"""One timeout can be a blip; two in a row, with nothing in between succeeding, are an outage."""
COOLDOWN_SECONDS = 1.0
"""How long calls fail fast before one is let through to see whether Redis is back."""


class CircuitBreaker:
    def __init__(
        self,
        failures_to_open: int = FAILURES_TO_OPEN,
        cooldown: float = COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._failures_to_open = failures_to_open
        self._cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0
        self._trial_running = False
        self._last_error = ""

    @property
    def is_open(self) -> bool:
        """True while calls fail fast (a trial may be under way)."""
        return self._failures >= self._failures_to_open

    def before_call(self) -> bool:
        """Raises StorageUnavailable while open; True when this call is the half-open trial."""
        if self._failures < self._failures_to_open:  # closed: no lock on the common path
            return False
        with self._lock:
            if self._failures < self._failures_to_open:
                return False
            if self._clock() >= self._open_until and not self._trial_running:
                self._trial_running = True
                return True
        raise StorageUnavailable(f"storage unavailable: Redis is unreachable ({self._last_error}); failing fast")

    def succeeded(self, trial: bool) -> None:
        if self._failures or trial:
            with self._lock:
                self._failures = 0
                self._trial_running = False

    def failed(self, trial: bool, error: str) -> None:
        """Counts an unreachable answer; opens (or reopens) the breaker when it is one too many."""
        with self._lock:
            self._last_error = error
            self._failures += 1
            if trial:
                self._trial_running = False
            if self._failures >= self._failures_to_open:
                self._open_until = self._clock() + self._cooldown
