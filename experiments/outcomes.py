"""Outcome reports: what happened to a routed order, as metric values.

Built-in metrics (experiments.model.METRICS) are fields of the report; metrics an experiment declared
come by name and are checked twice: their form when the report arrives (check_declared_values), and
against the experiment's declarations once the decision, and so the experiment, is known
(check_against_experiment).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from experiments._errors import InvalidOutcome
from experiments.model import METRICS, Experiment, MetricKind

MAX_AMOUNT = 1e12
METRIC_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
"""A declared metric's name: it goes into storage keys and metric labels as it is."""


def check_outcome(values: Mapping[str, object], where: str = "outcome") -> dict[str, float]:
    """Built-in metric -> value (rates as 0/1); raises InvalidOutcome naming the field."""
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
            out[name] = _in_range(path, float(value))
    return out


def check_declared_values(values: Mapping[str, float], where: str = "outcome") -> dict[str, float]:
    """Declared-metric name -> value, checked for form only (which experiment declares them is not known
    yet); raises InvalidOutcome naming `where.metrics["name"]`."""
    out: dict[str, float] = {}
    for name, value in values.items():
        path = declared_path(where, name)
        if name in METRICS:
            raise InvalidOutcome(path, f"{name} is a built-in metric: report it as {where}.{name}")
        if not METRIC_NAME.fullmatch(name):
            raise InvalidOutcome(
                path, "a metric name is lower-case letters, digits and '_', starting with a letter, at most 40"
            )
        if not math.isfinite(value):
            raise InvalidOutcome(path, "must be a finite number")
        out[name] = _in_range(path, float(value))
    return out


def check_against_experiment(experiment: Experiment, values: Mapping[str, float], where: str = "outcome") -> None:
    """Raises InvalidOutcome naming the first declared-metric value that `experiment` does not declare,
    or that does not fit its kind (a rate is 1 or 0, a count a whole number)."""
    declared = {m.name: m for m in experiment.declared}
    for name, value in values.items():
        if name in METRICS:
            continue
        path = declared_path(where, name)
        spec = declared.get(name)
        if spec is None:
            names = ", ".join(declared) or "none"
            raise InvalidOutcome(path, f"experiment {experiment.id} does not declare {name} (it declares: {names})")
        if spec.kind is MetricKind.RATE and value not in (0.0, 1.0):
            raise InvalidOutcome(path, f"{name} is a rate: report 1 (yes) or 0 (no), got {value:g}")
        if spec.kind is MetricKind.COUNT and not value.is_integer():
            raise InvalidOutcome(path, f"{name} is a count: report a whole number, got {value:g}")


def declared_path(where: str, name: str) -> str:
    return f'{where}.metrics["{name[:40]}"]'


def _in_range(path: str, value: float) -> float:
    if not 0 <= value <= MAX_AMOUNT:
        raise InvalidOutcome(path, f"must be from 0 to {MAX_AMOUNT:g}, got {value:g}")
    return value
