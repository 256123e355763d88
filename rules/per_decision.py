"""A value made from a decision once per Decision object, and let go with it: orders that match alike
share one immutable Decision (rules.engine), so its wire form or its logged fields need making once."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from rules.combine import Decision

T = TypeVar("T")


class PerDecision(Generic[T]):
    def __init__(self, make: Callable[[Decision], T], capacity: int = 16_384) -> None:
        self._make = make
        self._capacity = capacity
        self._by_id: dict[int, tuple[weakref.ref[Decision], T]] = {}

    def __len__(self) -> int:
        """Decisions it holds a value for (they are alive)."""
        return len(self._by_id)

    def __call__(self, decision: Decision) -> T:
        entry = self._by_id.get(id(decision))
        if entry is None or entry[0]() is not decision:  # an id can be reused once a decision is gone
            if len(self._by_id) >= self._capacity:
                self._by_id.clear()
            key, by_id = id(decision), self._by_id
            # While the decision lives no other one has its id, so its entry is the one to drop.
            entry = (weakref.ref(decision, lambda _: by_id.pop(key, None)), self._make(decision))
            by_id[key] = entry
        return entry[1]
