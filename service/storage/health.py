"""Order health: what the operations dashboard shows, counted per rule set and minute.

The writers of decision records and outcomes (DecisionStore.write, DecisionStore.apply_outcomes) count
each batch here, in Python, into one set of counters per (rule set, minute); the adapter then adds them
to that minute's hash (Redis: HINCRBY, one round trip) that expires after the retention. Every field
is a plain count, so minutes, and replicas writing the same minute, merge by addition:

    d|VERSION|ARM|PATH      decisions of VERSION served in ARM (baseline, candidate, none) that took PATH
    f|VERSION|ARM           of them, decided by the default rule alone
    l|VERSION|ARM|BUCKET    of them, evaluated in latency bucket BUCKET (latency_bucket: log scale, µs)
    n|VERSION|ARM|METRIC    outcome reports of a built-in METRIC (experiments.model.METRICS) that came in
                            that minute (a report replacing an earlier value of the metric is not counted
                            again: its difference goes into the sum)
    s|VERSION|ARM|METRIC    the sum of their values, in thousandths

A decision counts in the minute it was made; an outcome in the minute it was reported (a delivery is
known days after its decision, when that decision's minute may have expired).

The latency histogram has a fixed log scale (GROWTH per bucket, about 9%), the same for every minute and
replica, so quantiles of any span are read from the summed counts; a quantile so read lies within one
bucket of the exact one.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from experiments.model import METRICS
from service.storage.records import DecisionRecord

MINUTE_MS = 60_000
DEFAULT_RETENTION = timedelta(days=7)
"""How long a minute's counters are kept (serve --health-retention-days)."""
GROWTH = 2 ** (1 / 8)
"""Upper / lower edge of a latency bucket."""
LOWEST_MICROS = 0.1
"""Bucket 0 holds everything faster than this; bucket i >= 1 holds [LOWEST * GROWTH**(i-1), LOWEST * GROWTH**i)."""
LAST_BUCKET = 1 + 8 * 30
"""The slowest bucket, from about 107 s on (LOWEST * 2**30 µs)."""
_PER_OCTAVE = 8
NONE_ARM = "none"
"""The arm of a decision outside an experiment, or of one its experiment could not randomise."""
SCALE = 1000
"""Outcome sums are kept in thousandths (whole numbers: HINCRBY, exact merging)."""


def latency_bucket(micros: float) -> int:
    if micros < LOWEST_MICROS:
        return 0
    return min(LAST_BUCKET, 1 + int(math.log2(micros / LOWEST_MICROS) * _PER_OCTAVE))


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """[low, high) in µs of a latency bucket."""
    if bucket <= 0:
        return 0.0, LOWEST_MICROS
    return LOWEST_MICROS * GROWTH ** (bucket - 1), LOWEST_MICROS * GROWTH**bucket


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0..1) of the counted values, in µs: the geometric middle of the bucket holding
    the value of rank floor(q * (n - 1)) (numpy's default percentile interpolates between that value and
    the next, so the two differ by at most a bucket). None without values."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = math.floor(q * (total - 1))
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen > rank:
            low, high = bucket_bounds(bucket)
            return math.sqrt(low * high) if low > 0 else high / 2
    raise AssertionError("unreachable: rank < total")


def arm_name(record: DecisionRecord) -> str:
    return str(record.arm) if record.arm is not None else NONE_ARM


Counts = dict[tuple[str, int], Counter[str]]
"""(rule set, minute since 1970) -> field -> amount to add."""


def count_decisions(records: Iterable[DecisionRecord]) -> Counts:
    """One batch of decision records as the fields to add per rule set and minute."""
    grouped: Counter[tuple[str, int, int, str, str, bool, int]] = Counter(
        (
            r.rule_set,
            r.at_ms // MINUTE_MS,
            r.version,
            arm_name(r),
            r.path,
            r.default_rule,
            latency_bucket(r.eval_ns / 1000),
        )
        for r in records
    )
    out: Counts = defaultdict(Counter)
    for (rule_set, minute, version, arm, path, default_rule, bucket), n in grouped.items():
        fields = out[(rule_set, minute)]
        fields[f"d|{version}|{arm}|{path}"] += n
        fields[f"l|{version}|{arm}|{bucket}"] += n
        if default_rule:
            fields[f"f|{version}|{arm}"] += n
    return dict(out)


def count_outcomes(
    items: Sequence[tuple[DecisionRecord, Mapping[str, float]]], earlier: Sequence[Mapping[str, float]], now_ms: int
) -> Counts:
    """Outcome reports (with the values each replaced, as apply_outcomes returns them) as the fields to add
    in the minute they came in. Built-in metrics only: declared ones are the experiment's business."""
    out: Counts = defaultdict(Counter)
    minute = now_ms // MINUTE_MS
    for (record, values), before in zip(items, earlier, strict=True):
        fields = out[(record.rule_set, minute)]
        prefix = f"{record.version}|{arm_name(record)}"
        for metric, value in values.items():
            if metric not in METRICS:
                continue
            if metric in before:
                fields[f"s|{prefix}|{metric}"] += round((float(value) - before[metric]) * SCALE)
            else:
                fields[f"n|{prefix}|{metric}"] += 1
                fields[f"s|{prefix}|{metric}"] += round(float(value) * SCALE)
    return {k: v for k, v in out.items() if v}


@dataclass(slots=True)
class Tally:
    """One version in one arm over some minutes: what its fields add up to."""

    paths: Counter[str] = field(default_factory=Counter)
    default_rule: int = 0
    latency: Counter[int] = field(default_factory=Counter)
    reports: Counter[str] = field(default_factory=Counter)
    sums: Counter[str] = field(default_factory=Counter)
    """Metric -> sum of its values, in thousandths."""

    @property
    def decisions(self) -> int:
        return sum(self.paths.values())

    def add(self, other: Tally) -> None:
        self.paths.update(other.paths)
        self.default_rule += other.default_rule
        self.latency.update(other.latency)
        self.reports.update(other.reports)
        self.sums.update(other.sums)

    def mean(self, metric: str) -> float | None:
        n = self.reports[metric]
        return self.sums[metric] / SCALE / n if n > 0 else None


@dataclass(frozen=True, slots=True)
class HealthMinute:
    minute: int
    """Minutes since 1970 (UTC)."""
    tallies: Mapping[tuple[int, str], Tally]
    """(version, arm) -> its counts in this minute."""


def minute_from_fields(minute: int, fields: Mapping[str, int]) -> HealthMinute:
    """A minute's hash read back (fields this version does not know are skipped)."""
    tallies: dict[tuple[int, str], Tally] = defaultdict(Tally)
    for name, value in fields.items():
        kind, _, rest = name.partition("|")
        parts = rest.split("|", 2)
        if len(parts) < 2 or not parts[0].lstrip("-").isdigit():
            continue
        tally = tallies[(int(parts[0]), parts[1])]
        tail = parts[2] if len(parts) == 3 else ""
        if kind == "d":
            tally.paths[tail] += value
        elif kind == "f":
            tally.default_rule += value
        elif kind == "l" and tail.isdigit():
            tally.latency[int(tail)] += value
        elif kind == "n":
            tally.reports[tail] += value
        elif kind == "s":
            tally.sums[tail] += value
    return HealthMinute(minute, dict(tallies))
