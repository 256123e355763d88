"""Order health over time: the per-minute counters (service.storage.health) summed into buckets.

A report covers [since, until) in buckets of a whole number of minutes, aligned to multiples of the
bucket since 1970 (so two reads of the same span agree), every bucket present, empty or not. Per bucket
and per (version, arm): decisions by path, the default rule's share, decision latency p50 / p99 (from
the merged log-scale histogram), and the mean of each built-in outcome metric reported in it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from experiments.model import METRICS
from service.app.clock import Clock, utc_now
from service.errors import InvalidArgument, NotFound, shown
from service.storage import HEALTH_RETENTION, DecisionStore, Tally, quantile

DEFAULT_BUCKET = timedelta(minutes=5)
DEFAULT_SPAN = timedelta(hours=1)
MAX_BUCKETS = 2000
ARM_ORDER = {"baseline": 0, "candidate": 1, "none": 2}


@dataclass(frozen=True, slots=True)
class OutcomeKpi:
    metric: str
    reports: int
    mean: float
    """The rate of a yes/no metric (exception rate, on-time rate ...), the mean of an amount."""


@dataclass(frozen=True, slots=True)
class SeriesHealth:
    """One version in one arm over one bucket (or the whole span)."""

    version: int
    arm: str
    """baseline, candidate or none."""
    decisions: int
    decisions_per_minute: float
    paths: tuple[tuple[str, int], ...]
    """(path, decisions), most first."""
    default_rule: int
    default_rule_bp: int
    """default_rule of decisions, in basis points."""
    latency_p50_micros: float | None
    latency_p99_micros: float | None
    outcomes: tuple[OutcomeKpi, ...]
    """Built-in metrics with reports, in METRICS order."""


@dataclass(frozen=True, slots=True)
class BucketHealth:
    start: datetime
    decisions: int
    decisions_per_minute: float
    default_rule: int
    latency_p50_micros: float | None
    latency_p99_micros: float | None
    series: tuple[SeriesHealth, ...]
    """By version, then arm (baseline, candidate, none)."""


@dataclass(frozen=True, slots=True)
class HealthReport:
    rule_set: str
    since: datetime
    until: datetime
    bucket: timedelta
    buckets: tuple[BucketHealth, ...]
    overall: tuple[SeriesHealth, ...]
    retention: timedelta


class OrderHealth:
    def __init__(
        self,
        store: DecisionStore,
        known: Callable[[str], bool],
        clock: Clock = utc_now,
        retention: timedelta = HEALTH_RETENTION,
    ) -> None:
        self._store = store
        self._known = known
        self._clock = clock
        self.retention = retention

    def report(
        self, rule_set: str, since: datetime | None, until: datetime | None, bucket: timedelta | None
    ) -> HealthReport:
        """Raises InvalidArgument naming the field (rule_set, since, until, bucket_seconds), NotFound for a
        rule set that was never published."""
        if not rule_set.strip():
            raise InvalidArgument("rule_set", "is required")
        step = bucket or DEFAULT_BUCKET
        seconds = step.total_seconds()
        if seconds < 60 or seconds % 60:
            raise InvalidArgument("bucket_seconds", f"must be whole minutes (60, 300, ...), got {seconds:g}")
        end = until or self._clock()
        start = since or end - DEFAULT_SPAN
        if start >= end:
            where = "since" if since is not None else "until"
            raise InvalidArgument(where, f"since ({start.isoformat()}) must be before until ({end.isoformat()})")
        step_m = int(seconds) // 60
        first = _minute(start) // step_m * step_m
        last = -(-_ceil_minute(end) // step_m) * step_m  # exclusive, rounded up to a bucket
        count = (last - first) // step_m
        if count > MAX_BUCKETS:
            raise InvalidArgument(
                "bucket_seconds",
                f"{count:,} buckets of {int(seconds)} s from since to until; at most {MAX_BUCKETS:,}: "
                "use larger buckets or a shorter span",
            )
        if not self._known(rule_set):
            raise NotFound(f"rule set {shown(rule_set)} does not exist", NotFound.RULE_SET)
        # Nothing older than the retention is kept: read only what may exist.
        oldest = _minute(self._clock() - self.retention) - 1
        minutes = self._store.health(rule_set, max(first, oldest), last - 1) if last - 1 >= oldest else []
        per_bucket: dict[int, dict[tuple[int, str], Tally]] = {}
        for m in minutes:
            tallies = per_bucket.setdefault((m.minute - first) // step_m, {})
            for key, tally in m.tallies.items():
                tallies.setdefault(key, Tally()).add(tally)
        overall: dict[tuple[int, str], Tally] = {}
        buckets = []
        for i in range(count):
            tallies = per_bucket.get(i, {})
            for key, tally in tallies.items():
                overall.setdefault(key, Tally()).add(tally)
            total = Tally()
            for tally in tallies.values():
                total.add(tally)
            p50, p99 = quantile(total.latency, 0.5), quantile(total.latency, 0.99)
            buckets.append(
                BucketHealth(
                    _at(first + i * step_m),
                    total.decisions,
                    total.decisions / step_m,
                    total.default_rule,
                    p50,
                    p99,
                    _series(tallies, step_m),
                )
            )
        return HealthReport(
            rule_set,
            _at(first),
            _at(last),
            timedelta(minutes=step_m),
            tuple(buckets),
            _series(overall, count * step_m),
            self.retention,
        )


def _series(tallies: Mapping[tuple[int, str], Tally], minutes: int) -> tuple[SeriesHealth, ...]:
    out = []
    for (version, arm), t in sorted(tallies.items(), key=lambda kv: (kv[0][0], ARM_ORDER.get(kv[0][1], 3))):
        decisions = t.decisions
        outcomes = []
        for metric in METRICS:
            mean = t.mean(metric)
            if mean is not None:
                outcomes.append(OutcomeKpi(metric, t.reports[metric], mean))
        out.append(
            SeriesHealth(
                version,
                arm,
                decisions,
                decisions / minutes,
                tuple(sorted(((p, n) for p, n in t.paths.items() if n), key=lambda pn: (-pn[1], pn[0]))),
                t.default_rule,
                t.default_rule * 10_000 // decisions if decisions else 0,
                quantile(t.latency, 0.5),
                quantile(t.latency, 0.99),
                tuple(outcomes),
            )
        )
    return tuple(out)


def _minute(at: datetime) -> int:
    return int(at.timestamp() // 60)


def _ceil_minute(at: datetime) -> int:
    """The first minute boundary at or after `at`."""
    return -int(-at.timestamp() // 60)


def _at(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)
