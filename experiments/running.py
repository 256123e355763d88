"""Results that never take back what they said: every interval is the intersection of all the
intervals shown before it, every p-value the least one seen.

A confidence sequence is valid at every look at once, so the intersection of its intervals up to
now is as valid as each of them (Howard et al., 2021) and only narrows; likewise the smallest
always-valid p-value seen so far is still one. Without this a reviewer can watch "candidate
better" appear and go again, or a p-value rise, with no new information but noise.

The store keeps one Bounds per metric ("on_time") and per guardrail ("guardrail:exception") for
each experiment, and narrows them with each new look (narrowed: the Redis script does the same);
experiments.results takes them in and gives the narrowed ones back. Two looks that disagree
entirely (intervals that do not meet, which a valid sequence does with at most alpha chance)
keep the earlier interval rather than show an empty one.

What is narrowed is one effect for the whole experiment: the epoch differences are combined with
weights that change at a ramp (experiments.estimates), which is exact when the effect is the same
in every epoch, the assumption the combination is built on, and in an A/A comparison, where it is
zero throughout. A candidate whose effect changes between epochs keeps the bounds of the earlier
ones until the new data disagree with them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

GUARDRAIL = "guardrail:"


@dataclass(frozen=True, slots=True)
class Bounds:
    low: float = -math.inf
    high: float = math.inf
    p: float = 1.0

    def narrowed(self, new: Bounds) -> Bounds:
        """This look's bounds after those seen before (self); a bound that is not a number says nothing."""
        new = Bounds(
            *(
                old if math.isnan(x) else x
                for old, x in zip((self.low, self.high, self.p), (new.low, new.high, new.p), strict=True)
            )
        )
        low, high = max(self.low, new.low), min(self.high, new.high)
        if low > high:
            low, high = self.low, self.high
        return Bounds(low, high, min(self.p, new.p))


Running = Mapping[str, Bounds]
"""Per metric name, and per GUARDRAIL + metric name, the bounds seen so far."""


def narrowed(before: Running, new: Running) -> dict[str, Bounds]:
    """Every key's bounds after this look's."""
    out = dict(before)
    for key, bounds in new.items():
        out[key] = before.get(key, Bounds()).narrowed(bounds)
    return out
