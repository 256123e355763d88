"""Charts as SVG drawn on the server (no script, no CDN): a metric's interval as a bar around zero, and
its interval over time as a line with a band. Each carries a text alternative for screen readers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from service.client.reading import MetricRow

BAR_WIDTH, BAR_HEIGHT = 260, 26
LINE_WIDTH, LINE_HEIGHT = 640, 170
PAD = 28


@dataclass(frozen=True, slots=True)
class Sample:
    """One point of a metric's interval over time."""

    at: datetime
    difference: float | None
    low: float | None
    high: float | None
    action: str


def tone(row: MetricRow) -> str:
    """better, worse or unclear: which side of zero the whole interval is on, as the metric reads."""
    if row.interval is None:
        return "unclear"
    low, high = row.interval
    if low > 0 or high < 0:
        return "better" if (low > 0) == row.higher_is_better else "worse"
    return "unclear"


def interval_bar(row: MetricRow, scale: float, label: str) -> Markup:
    """The interval of the difference on an axis from -scale to +scale, the zero line, the estimate as a
    dot and, for a guardrail, its limit on the worse side."""
    x = _axis(scale, PAD / 2, BAR_WIDTH - PAD / 2)
    parts = [f'<line class="zero" x1="{x(0):.1f}" y1="2" x2="{x(0):.1f}" y2="{BAR_HEIGHT - 2}"/>']
    if row.interval is not None:
        low, high = (x(v) for v in row.interval)
        width = max(high - low, 1.5)
        parts.append(f'<rect class="band {tone(row)}" x="{low:.1f}" y="8" width="{width:.1f}" height="10" rx="2"/>')
    if row.difference is not None:
        parts.append(f'<circle class="estimate" cx="{x(row.difference):.1f}" cy="13" r="3.5"/>')
    if row.limit is not None:
        at = x(-row.limit if row.higher_is_better else row.limit)
        parts.append(f'<line class="limit" x1="{at:.1f}" y1="1" x2="{at:.1f}" y2="{BAR_HEIGHT - 1}"/>')
    return _svg(BAR_WIDTH, BAR_HEIGHT, "bar", label, parts)


def interval_over_time(
    samples: Sequence[Sample], label: str, marker_words: dict[str, str], times: tuple[str, str] = ("", "")
) -> Markup:
    """The difference and its interval per sample, oldest left, the zero line over them; a dashed line
    and its word where the experiment was ramped, paused, resumed... (marker_words: action -> word);
    `times`: the first and last sample's time as the page writes them."""
    if not samples:
        return _svg(LINE_WIDTH, LINE_HEIGHT, "line", label, [])
    first, last = samples[0].at.timestamp(), samples[-1].at.timestamp()
    span = max(last - first, 1.0)
    scale = _line_scale(samples)
    x = _axis_time(first, span)
    y = _axis(scale, LINE_HEIGHT - PAD, PAD / 2)
    parts = [
        f'<text class="tick" x="2" y="{y(scale) + 4:.1f}">{_points(scale)}</text>',
        f'<text class="tick" x="2" y="{y(-scale) + 4:.1f}">{_points(-scale)}</text>',
        f'<text class="time" x="{PAD}" y="{LINE_HEIGHT - 8}">{escape(times[0])}</text>',
        f'<text class="time" x="{LINE_WIDTH - 8}" y="{LINE_HEIGHT - 8}" text-anchor="end">{escape(times[1])}</text>',
    ]
    for run in _runs(samples):
        top = " ".join(f"{x(s.at.timestamp()):.1f},{y(_clip(s.high, scale)):.1f}" for s in run)
        bottom = " ".join(f"{x(s.at.timestamp()):.1f},{y(_clip(s.low, scale)):.1f}" for s in reversed(run))
        parts.append(f'<polygon class="band" points="{top} {bottom}"/>')
        line = " ".join(f"{x(s.at.timestamp()):.1f},{y(_clip(s.difference, scale)):.1f}" for s in run)
        parts.append(f'<polyline class="estimate" points="{line}"/>')
    parts.append(f'<line class="zero" x1="{PAD}" y1="{y(0):.1f}" x2="{LINE_WIDTH - 8}" y2="{y(0):.1f}"/>')
    for s in samples:
        if s.action:
            at = x(s.at.timestamp())
            word = escape(marker_words.get(s.action, s.action))
            parts.append(
                f'<g class="marker {escape(s.action)}"><title>{word}</title>'
                f'<line x1="{at:.1f}" y1="{PAD / 2}" x2="{at:.1f}" y2="{LINE_HEIGHT - PAD}"/>'
                f'<text x="{at + 2:.1f}" y="{PAD / 2 + 8}">{word}</text></g>'
            )
    return _svg(LINE_WIDTH, LINE_HEIGHT, "line", label, parts)


def _line_scale(samples: Sequence[Sample]) -> float:
    """An axis that shows the latest interval and every estimate: the first looks' intervals are wide
    (they narrow as data comes) and run off the edges rather than flatten the rest."""
    latest = next((s for s in reversed(samples) if s.low is not None and s.high is not None), None)
    ends = [abs(v) for v in (latest.low, latest.high) if v is not None and math.isfinite(v)] if latest else []
    estimates = [abs(s.difference) for s in samples if s.difference is not None and math.isfinite(s.difference)]
    return _nice(max([*ends, *estimates], default=0.0) * 1.2)


def _runs(samples: Sequence[Sample]) -> list[list[Sample]]:
    """Stretches of samples with an interval (a gap where the metric had none yet)."""
    runs: list[list[Sample]] = [[]]
    for s in samples:
        if s.difference is None or s.low is None or s.high is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(s)
    return [r for r in runs if r]


def _svg(width: int, height: int, kind: str, label: str, parts: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart {kind}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(parts)}</svg>'
    )


def _axis(scale: float, at_low: float, at_high: float) -> Callable[[float], float]:
    def place(v: float) -> float:
        v = max(-scale, min(scale, v))
        return at_low + (v + scale) / (2 * scale) * (at_high - at_low)

    return place


def _axis_time(first: float, span: float) -> Callable[[float], float]:
    return lambda t: PAD + (t - first) / span * (LINE_WIDTH - PAD - 8)


def _clip(v: float | None, scale: float) -> float:
    return 0.0 if v is None else max(-scale, min(scale, v))


def _nice(v: float) -> float:
    """A round axis end at or above v (0.01, 0.02, 0.05, 0.1 ...; 0.01 for nothing to show)."""
    if not v > 0:
        return 0.01
    step = 10.0 ** math.floor(math.log10(v))
    return float(next(m * step for m in (1, 2, 5, 10) if m * step >= v))


def _points(v: float) -> str:
    return f"{v * 100:+g}"


def bar_scale(rows: Sequence[MetricRow]) -> float:
    """One axis for a section's bars, so their lengths compare: the widest bound or limit, rounded up."""
    ends = [
        abs(v)
        for r in rows
        for v in (*(r.interval or ()), r.difference or 0.0, r.limit or 0.0)
        if v is not None and math.isfinite(v)
    ]
    return _nice(max(ends, default=0.01))


@dataclass(frozen=True, slots=True)
class Line:
    """One series of a line chart: its name and a value per bucket (None: nothing in that bucket)."""

    name: str
    values: tuple[float | None, ...]


COLOURS = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#57606a")


def lines_over_time(
    lines: Sequence[Line], label: str, ends: tuple[str, str], axis: Callable[[float], str], most: float = math.inf
) -> Markup:
    """Series over the same buckets, from zero up; a legend names each line. `ends` labels the first and
    last bucket; `axis` writes the top of the scale ("1,200/min", "5%"), which is at most `most` (1 for
    a share)."""
    count = max((len(line.values) for line in lines), default=0)
    top = max((v for line in lines for v in line.values if v is not None), default=0.0)
    top = min(_nice(top * 1.1) if top > 0 else 1.0, most)
    height = LINE_HEIGHT + 14 * ((len(lines) + 2) // 3)

    def x(i: int) -> float:
        return PAD + i / max(count - 1, 1) * (LINE_WIDTH - PAD - 8)

    def y(v: float) -> float:
        return LINE_HEIGHT - PAD - v / top * (LINE_HEIGHT - PAD - PAD / 2)

    parts = [
        f'<line class="zero" x1="{PAD}" y1="{y(0):.1f}" x2="{LINE_WIDTH - 8}" y2="{y(0):.1f}"/>',
        f'<text class="tick" x="2" y="{y(top) + 4:.1f}">{escape(axis(top))}</text>',
        f'<text class="time" x="{PAD}" y="{LINE_HEIGHT - 8}">{escape(ends[0])}</text>',
        f'<text class="time" x="{LINE_WIDTH - 8}" y="{LINE_HEIGHT - 8}" text-anchor="end">{escape(ends[1])}</text>',
    ]
    for n, line in enumerate(lines):
        colour = COLOURS[n % len(COLOURS)]
        for run in _present(line.values):
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            if len(run) == 1:
                i, v = run[0]
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2" fill="{colour}"/>')
            else:
                parts.append(f'<polyline class="series" points="{points}" stroke="{colour}"/>')
        lx, ly = PAD + (n % 3) * 200, LINE_HEIGHT + 4 + 14 * (n // 3)
        parts.append(
            f'<rect x="{lx}" y="{ly}" width="10" height="10" fill="{colour}"/>'
            f'<text class="legend" x="{lx + 14}" y="{ly + 9}">{escape(line.name)}</text>'
        )
    return _svg(LINE_WIDTH, height, "line", label, parts)


def _present(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, v))
    return [r for r in runs if r]
