"""A bounded map from an order's canonical key (rules.canonical) to what the engine answered for it:
the rules that matched and the facts that were missing. The oldest entry goes first when it is full, so
memory stays flat however many distinct orders come; the counts say how well it serves.

When it does not serve (a stream where nearly every order is a case of its own), keys cost time for
nothing: after a trial of TRIAL lookups that hit less than MIN_HIT_RATE, the next REST orders go
straight to the engine without a key, then it tries again. So a stream it cannot help costs it a
trial in every REST + TRIAL orders, and a stream that turns friendly is noticed within REST orders.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

Answer = tuple[tuple[int, ...], tuple[str, ...]]
"""(indexes of the rules that fired, ascending; the facts the order lacks)."""
MEMO_SIZE = 65_536
"""Entries per version by default: a few hundred bytes each, some 30 MB at the bound."""
TRIAL = 2_048
MIN_HIT_RATE = 0.05
REST = 16_384


@dataclass(frozen=True, slots=True)
class MemoStats:
    size: int
    capacity: int
    hits: int
    misses: int
    """Cases the engine evaluated (an order whose case another order of its batch took there is a hit)."""
    evictions: int
    bypassed: int = 0
    """Orders sent straight to the engine while the memo rested after a trial it did not pass."""

    @property
    def hit_rate(self) -> float:
        looked = self.hits + self.misses
        return self.hits / looked if looked else 0.0


class Memo:
    def __init__(self, capacity: int = MEMO_SIZE) -> None:
        self.capacity = capacity
        self._answers: dict[Hashable, Answer] = {}
        self._lock = threading.Lock()
        self._hits = self._misses = self._evictions = self._bypassed = 0
        self._trial_hits = self._trial_looked = 0
        self._resting = 0
        """Orders still to send straight to the engine."""

    @property
    def is_resting(self) -> bool:
        return self._resting > 0

    def resting(self, orders: int) -> bool:
        """Whether these orders should skip the memo (and are counted as bypassed)."""
        if self._resting <= 0:  # read without the lock: a stale answer costs one batch either way
            return False
        with self._lock:
            self._resting -= orders
            self._bypassed += orders
        return True

    def get_many(self, keys: Sequence[Hashable]) -> list[Answer | None]:
        get = self._answers.get
        return [get(key) for key in keys]

    def count(self, orders: int, evaluated: int) -> None:
        """`orders` looked up, of which `evaluated` went to the engine (once per distinct case): the
        rest are hits, also those that shared a case with another order of their batch."""
        with self._lock:
            self._hits += orders - evaluated
            self._misses += evaluated
            self._trial_hits += orders - evaluated
            self._trial_looked += orders
            if self._trial_looked >= TRIAL:
                if self._trial_hits < MIN_HIT_RATE * self._trial_looked:
                    self._resting = REST
                self._trial_hits = self._trial_looked = 0

    def put(self, key: Hashable, answer: Answer) -> None:
        with self._lock:
            answers = self._answers
            if key not in answers and len(answers) >= self.capacity:
                del answers[next(iter(answers))]  # the oldest: a dict keeps insertion order
                self._evictions += 1
            answers[key] = answer

    def stats(self) -> MemoStats:
        with self._lock:
            return MemoStats(
                len(self._answers), self.capacity, self._hits, self._misses, self._evictions, self._bypassed
            )
