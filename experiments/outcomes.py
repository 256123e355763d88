"""Outcome reports: what happened to a routed order, as metric values."""

from __future__ import annotations

import math
from collections.abc import Mapping

from experiments._errors import InvalidOutcome
from experiments.model import METRICS, MetricKind

MAX_AMOUNT = 1e12


def check_outcome(values: Mapping[str, object], where: str = "outcome") -> dict[str, float]:
    """Metric -> value (rates as 0/1); raises InvalidOutcome naming the field."""
    out: dict[str, float] = {}
    for name, value in values.items():
        spec = METRICS.get(name)
        path = f"{where}.{name}"
        if spec is None:
            raise InvalidOutcome(path, f"unknown metric; one of {', '.join(METRICS)}")
        if spec.kind is MetricKind.RATE:
            if not isinstance(value, bool):
                raise InvalidOutcome(path, "must be true or false")
            out[name] = 1.0 if value else 0.0
        else:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InvalidOutcome(path, "must be a finite number")
            if not 0 <= value <= MAX_AMOUNT:
                raise InvalidOutcome(path, f"must be from 0 to {MAX_AMOUNT:g}, got {value}")
            out[name] = float(value)
    if not out:
        raise InvalidOutcome(where, "reports no metric; set at least one of " + ", ".join(METRICS))
    return out
