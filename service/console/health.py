"""Order health in the console: per rule set, decisions per minute by version and arm, the paths they
took, the default rule's share, decision latency, and the outcome KPIs, over a chosen span (the
OrderHealthService's minute counters)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup
from orderroute.v1 import orderroute_pb2 as pb

from service.client.reading import UNIT_WORDS
from service.console.charts import Line, lines_over_time
from service.console.i18n import Language
from service.console.pages import when

SPANS = {"1h": (3_600, 60), "6h": (6 * 3_600, 300), "24h": (24 * 3_600, 900), "7d": (7 * 24 * 3_600, 3_600)}
"""The spans offered: (seconds, bucket seconds)."""
SPAN_WORDS = {"1h": "last hour", "6h": "last 6 hours", "24h": "last 24 hours", "7d": "last 7 days"}
KPI_WORDS = {
    "exception": "exception rate",
    "manual_intervention": "manual intervention",
    "on_time": "on time",
    "complaint": "complaint rate",
    "fulfilment_hours": "fulfilment hours",
    "logistics_cost_minor": "logistics cost",
    "cancelled": "cancelled",
    "returned": "returned",
}
RATES = frozenset({"exception", "manual_intervention", "on_time", "complaint", "cancelled", "returned"})


@dataclass(frozen=True, slots=True)
class SeriesRow:
    name: str
    """Version and arm, as the page writes them ("v2 candidate")."""
    decisions: str
    per_minute: str
    paths: str
    default_share: str
    latency: str
    kpis: tuple[str, ...]
    """One cell per KPI column."""


@dataclass(frozen=True, slots=True)
class HealthPage:
    name: str
    span: str
    rows: tuple[SeriesRow, ...]
    kpi_columns: tuple[str, ...]
    charts: tuple[tuple[str, Markup], ...]
    """(heading, chart)."""
    decisions: int


def health_page(name: str, span: str, h: pb.GetOrderHealthResponse, lang: Language) -> HealthPage:
    kpis = tuple(m for m in KPI_WORDS if any(k.metric == m for s in h.overall for k in s.outcomes))
    rows = tuple(_row(s, kpis, lang) for s in h.overall)
    ends = (when(h.buckets[0].start, lang), when(h.buckets[-1].start, lang)) if h.buckets else ("", "")
    keys = [(s.version, s.arm) for s in h.overall]

    def per_series(value: str) -> list[Line]:
        return [
            Line(_series_name(version, arm, lang), tuple(_value(b, version, arm, value) for b in h.buckets))
            for version, arm in keys
        ]

    def per_minute(v: float) -> str:
        return lang.gettext("%(value)s/min", value=lang.number(v, 1))

    def share(v: float) -> str:
        return lang.gettext("%(value)s%%", value=lang.number(v * 100, 1))

    def micros(v: float) -> str:
        return lang.gettext("%(value)s µs", value=lang.number(v, 0))

    def amount(v: float) -> str:
        return lang.number(v, 1)

    def chart(title: str, lines: list[Line], axis: Callable[[float], str], most: float = math.inf) -> None:
        charts.append((title, lines_over_time(lines, title, ends, axis, most)))

    latency = [
        Line(label, tuple(getattr(b, field) if b.HasField(field) else None for b in h.buckets))
        for label, field in ((lang.gettext("p50"), "latency_p50_micros"), (lang.gettext("p99"), "latency_p99_micros"))
    ]
    charts: list[tuple[str, Markup]] = []
    chart(lang.gettext("Decisions per minute, by version and arm"), per_series("per_minute"), per_minute)
    chart(lang.gettext("Default rule's share of decisions"), per_series("default_share"), share, 1.0)
    chart(lang.gettext("Decision latency"), latency, micros)
    for metric in kpis:
        rate = metric in RATES
        chart(
            lang.gettext(KPI_WORDS[metric]),
            per_series("kpi:" + metric),
            share if rate else amount,
            1.0 if rate else math.inf,
        )
    return HealthPage(
        name,
        span,
        rows,
        tuple(lang.gettext(KPI_WORDS[m]) for m in kpis),
        tuple(charts),
        sum(b.decisions for b in h.buckets),
    )


def _series_name(version: int, arm: int, lang: Language) -> str:
    if arm == pb.ARM_CANDIDATE:
        return lang.gettext("v%(version)s candidate", version=version)
    if arm == pb.ARM_BASELINE:
        return lang.gettext("v%(version)s baseline", version=version)
    return lang.gettext("v%(version)s", version=version)


def _value(bucket: pb.HealthBucket, version: int, arm: int, what: str) -> float | None:
    s = next((s for s in bucket.series if s.version == version and s.arm == arm), None)
    if s is None:
        return 0.0 if what == "per_minute" else None
    if what == "per_minute":
        return s.decisions_per_minute
    if what == "default_share":
        return s.default_rule_bp / 10_000
    k = next((k for k in s.outcomes if k.metric == what.removeprefix("kpi:")), None)
    return k.mean if k is not None else None


def _row(s: pb.HealthSeries, kpis: Sequence[str], lang: Language) -> SeriesRow:
    paths = ", ".join(f"{p.path} {lang.number(p.decisions)}" for p in s.paths[:4])
    latency = (
        lang.gettext(
            "%(p50)s / %(p99)s µs", p50=lang.number(s.latency_p50_micros, 0), p99=lang.number(s.latency_p99_micros, 0)
        )
        if s.HasField("latency_p50_micros") and s.HasField("latency_p99_micros")
        else "–"
    )
    found = {k.metric: k for k in s.outcomes}
    cells = []
    for metric in kpis:
        k = found.get(metric)
        if k is None:
            cells.append("–")
        elif metric in RATES:
            cells.append(
                lang.gettext("%(value)s%% of %(n)s", value=lang.number(k.mean * 100, 2), n=lang.number(k.reports))
            )
        else:
            unit = lang.gettext(UNIT_WORDS.get(metric, "per order"))
            cells.append(lang.gettext("%(value)s %(unit)s", value=lang.number(k.mean, 2), unit=unit))
    return SeriesRow(
        _series_name(s.version, s.arm, lang),
        lang.number(s.decisions),
        lang.number(s.decisions_per_minute, 1),
        paths,
        lang.gettext("%(value)s%%", value=lang.number(s.default_rule_bp / 100, 2)),
        latency,
        tuple(cells),
    )
