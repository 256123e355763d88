"""Guardrail limits written with their unit, so none can be misread: points for a rate
(`exception=+1pt`), percent of the baseline for an amount (`logistics_cost_minor=+5%`).

A bare number is what the API takes (a fraction: 0.01 is one point, or 1%) and is accepted where
it can only mean that; a bare number that would be absurd (a rate limit of 1 is 100 points) is
refused with the spelled-out alternative, as is a unit that does not fit the metric.
"""

from __future__ import annotations

from collections.abc import Mapping

from experiments.model import METRICS, MetricKind
from service.cli._common import CliError, closest

BUILT_IN: Mapping[str, MetricKind] = {name: spec.kind for name, spec in METRICS.items()}
"""Metric -> kind: the built-in metrics; an experiment's declared ones are added to it."""


def limit_pairs(items: list[str], kinds: Mapping[str, MetricKind] = BUILT_IN) -> dict[str, float]:
    """--guardrail METRIC=LIMIT options -> metric: the limit as the API takes it (a fraction)."""
    out = {}
    for item in items:
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not value:
            raise CliError(f"guardrail {item!r}: write METRIC=LIMIT, e.g. exception=+1pt or logistics_cost_minor=+5%")
        out[name] = limit(_metric(name, kinds), value, kinds)
    return out


def limit(metric: str, text: str, kinds: Mapping[str, MetricKind] = BUILT_IN) -> float:
    rate = kinds[metric] is MetricKind.RATE
    unit = "pt" if rate else "%"
    number, written = text.lstrip("+"), ""
    for suffix in ("pt", "%"):
        if number.endswith(suffix):
            number, written = number[: -len(suffix)].strip(), suffix
    try:
        value = float(number)
    except ValueError:
        raise CliError(f"guardrail {metric}={text}: {number!r} is not a number; write e.g. {metric}=+1{unit}") from None
    if value <= 0:
        raise CliError(f"guardrail {metric}={text}: a limit is how much worse is allowed, more than 0")
    if written and written != unit:
        kind = "a rate, in points" if rate else "an amount, in percent of the baseline"
        raise CliError(f"guardrail {metric}={text}: {metric} is {kind}; write {metric}=+{number}{unit}")
    if written:
        return value / 100
    if value >= 1:
        meant = f"{value * 100:g} points" if rate else f"+{value * 100:g}%"
        raise CliError(f"guardrail {metric}={text} would allow {meant}; write {metric}=+{value:g}{unit}")
    return value


def shown(metric: str, value: float, kinds: Mapping[str, MetricKind] = BUILT_IN) -> str:
    """A limit as limit() reads it back."""
    unit = "pt" if kinds.get(metric) is MetricKind.RATE else "%"
    return f"+{value * 100:g}{unit}"


def _metric(name: str, kinds: Mapping[str, MetricKind]) -> str:
    if name in kinds:
        return name
    meant = closest(name, kinds)
    hint = f"; did you mean {meant}?" if meant else ""
    raise CliError(f"guardrail {name!r}: not a metric{hint} (one of {', '.join(kinds)}; declare others with --metric)")
