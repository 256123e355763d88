"""Maturity windows: a metric compares only decisions old enough for their outcome to be known.

Outcomes come in days after an order is routed (on time at delivery, a return
weeks later). The reports that happen to be in at some moment are different
orders in the two arms as soon as the candidate changes when outcomes come in
(a faster carrier reports sooner, and its late deliveries later still). So each
metric has a window: a decision *matures* once the hour it was made in has
ended and the window has passed. A report that comes earlier is held back and
analysed at maturity; a matured decision without a report is missing; a report
that comes after maturity is late: counted, never analysed. Both arms then
compare the same cohorts of decisions, each frozen when it matured, and the
share of matured decisions with a report (the coverage) is compared between
the arms as the traffic split is (a candidate whose outcomes go missing more
often cannot be judged on the rest). A window of 0 compares every report as it
comes (the share of decisions reported so far is shown, not tested).

Decisions are counted per hour (HOUR_MS) so that an arm's matured decisions can
be counted at any moment from a few hundred numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from experiments.statistics import SRM_ALPHA, SampleRatio, sample_ratio

HOUR_MS = 3_600_000
MAX_WINDOW_MS = 90 * 24 * HOUR_MS
"""The longest window accepted (ninety days): beyond it no experiment would ever see a result."""


class Arrival(StrEnum):
    """What becomes of one reported value."""

    ANALYSED = "analysed"
    """Compared now (a window of 0; a correction of a value analysed already is, too)."""
    HELD = "held"
    """Before maturity: analysed when the decision matures."""
    LATE = "late"
    """After maturity, with nothing reported before: counted, not analysed."""


def to_ms(window: timedelta) -> int:
    return round(window.total_seconds() * 1000)


def due_ms(decided_ms: int, window_ms: int) -> int:
    """When a decision made at `decided_ms` matures for a metric with this window (0: no window)."""
    if window_ms <= 0:
        return 0
    return (decided_ms // HOUR_MS + 1) * HOUR_MS + window_ms


def arrival(decided_ms: int, window_ms: int, now_ms: int) -> Arrival:
    """Where a metric's first report for a decision goes (the Redis script decides the same)."""
    due = due_ms(decided_ms, window_ms)
    if due == 0:
        return Arrival.ANALYSED
    return Arrival.HELD if now_ms < due else Arrival.LATE


def matured(decided_hours: Mapping[int, int], window_ms: int, now_ms: int) -> int:
    """The decisions counted per hour (hour -> decisions) that have matured by `now_ms`."""
    return sum(
        count for hour, count in decided_hours.items() if window_ms <= 0 or due_ms(hour * HOUR_MS, window_ms) <= now_ms
    )


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many matured decisions of each arm have a metric reported in time."""

    metric: str
    window_ms: int
    matured: tuple[int, int]
    """Baseline, candidate: decisions past the window (all decisions for a window of 0)."""
    analysed: tuple[int, int]
    """Their reports that are analysed."""
    late: tuple[int, int]
    """Reports that came after maturity."""
    test: SampleRatio | None
    """Whether the analysed reports split between the arms as the matured decisions do (tested only
    with a window: without one, recent decisions are not reported yet in either arm)."""

    @property
    def shares(self) -> tuple[float | None, float | None]:
        (b, c), (mb, mc) = self.analysed, self.matured
        return (b / mb if mb else None, c / mc if mc else None)

    @property
    def mismatch(self) -> bool:
        return self.test is not None and self.test.mismatch


def coverage(
    metric: str,
    window_ms: int,
    matured_decisions: tuple[int, int],
    analysed: tuple[int, int],
    late: tuple[int, int],
    alpha: float = SRM_ALPHA,
    tested: bool = True,
) -> Coverage:
    test = None
    if tested and window_ms > 0 and all(matured_decisions):
        mb, mc = matured_decisions
        # min(): the counts live in separate keys, and a lost decision count must not break the test.
        test = sample_ratio(min(analysed[0], mb), min(analysed[1], mc), mc / (mb + mc), alpha=alpha)
    return Coverage(metric, window_ms, matured_decisions, analysed, late, test)
