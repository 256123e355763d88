"""Creating experiments and moving them through their states.

running ⇄ paused ──► promoted | rolled_back | aborted
   └────────────────► promoted | rolled_back | aborted
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from experiments._errors import InvalidExperiment, WrongState
from experiments.maturity import MAX_WINDOW_MS
from experiments.model import (
    DEFAULT_GUARDRAILS,
    DEFAULT_MIN_DURATION,
    DEFAULT_MIN_SAMPLES,
    DEFAULT_PRIMARY,
    DEFAULT_SHARE_BP,
    METRICS,
    Action,
    Experiment,
    Guardrail,
    MetricKind,
    MetricSpec,
    State,
    Unit,
)
from experiments.outcomes import METRIC_NAME

MIN_SHARE_BP = 10  # 0.1%
MAX_SHARE_BP = 10_000
MAX_DECLARED_METRICS = 10
"""Each declared metric costs storage and a test in the guardrail or secondary family."""


ALLOWED: dict[Action, tuple[tuple[State, ...], State]] = {
    Action.PAUSE: ((State.RUNNING,), State.PAUSED),
    Action.RESUME: ((State.PAUSED,), State.RUNNING),
    Action.PROMOTE: ((State.RUNNING, State.PAUSED), State.PROMOTED),
    Action.ROLLBACK: ((State.RUNNING, State.PAUSED), State.ROLLED_BACK),
    Action.ABORT: ((State.RUNNING, State.PAUSED), State.ABORTED),
}
"""action -> (states it may start from, state it leads to); a ramp keeps the state."""


def check_share(share_bp: int, field: str = "traffic") -> int:
    if not MIN_SHARE_BP <= share_bp <= MAX_SHARE_BP:
        raise InvalidExperiment(field, f"must be from 0.1% to 100% (10 to 10000 basis points), got {share_bp}")
    return share_bp


def new_experiment(
    *,
    id: str,
    rule_set: str,
    baseline_version: int,
    candidate_version: int,
    salt: str,
    created_by: str,
    now: datetime,
    share_bp: int = DEFAULT_SHARE_BP,
    unit: Unit = Unit.CUSTOMER_ID,
    primary_metric: str = "",
    guardrails: Sequence[Guardrail] = (),
    min_samples: int = 0,
    min_duration: timedelta = DEFAULT_MIN_DURATION,
    maturity: Mapping[str, timedelta] | None = None,
    declared: Sequence[MetricSpec] = (),
    declared_limits: Mapping[str, float] | None = None,
) -> Experiment:
    """A running experiment, with the defaults filled in (a metric's maturity window not given is its
    default); raises InvalidExperiment naming the field.

    `declared` metrics are analysed beside the built-in ones; `declared_limits` (metric -> limit) makes
    some of them guardrails, in addition to `guardrails` (or to the default ones when none are given).
    """
    if candidate_version == baseline_version:
        raise InvalidExperiment("candidate_version", f"is the active version ({baseline_version}) already")
    if candidate_version <= 0:
        raise InvalidExperiment("candidate_version", "must be a published version number")
    metrics = {**METRICS, **{m.name: m for m in check_declared(declared)}}
    primary = primary_metric or DEFAULT_PRIMARY
    if primary not in metrics:
        raise InvalidExperiment("primary_metric", f"unknown metric {primary!r}; one of {', '.join(metrics)}")
    limits = declared_limits or {}
    chosen = tuple(guardrails) or DEFAULT_GUARDRAILS
    fields = [f"guardrails[{i}]" for i in range(len(chosen))]
    for index, spec in enumerate(declared):
        if spec.name in limits:
            chosen += (Guardrail(spec.name, limits[spec.name]),)
            fields.append(f"metrics[{index}].guardrail_limit")
    for guardrail, where in zip(chosen, fields, strict=True):
        if guardrail.metric not in metrics:
            raise InvalidExperiment(f"{where}.metric", f"unknown metric {guardrail.metric!r}")
        upper = 1.0 if metrics[guardrail.metric].kind is MetricKind.RATE else 10.0
        if not 0 < guardrail.limit <= upper:
            field = where if where.endswith("guardrail_limit") else f"{where}.limit"
            raise InvalidExperiment(field, f"must be above 0 and at most {upper}, got {guardrail.limit}")
    if len({g.metric for g in chosen}) != len(chosen):
        raise InvalidExperiment("guardrails", "each metric may have one guardrail")
    if min_samples < 0:
        raise InvalidExperiment("min_samples", f"must not be negative, got {min_samples}")
    if min_duration < timedelta(0):
        raise InvalidExperiment("min_duration", f"must not be negative, got {min_duration.total_seconds():g} s")
    windows = {name: spec.maturity for name, spec in metrics.items()}
    for name, window in (maturity or {}).items():
        if name not in metrics:
            raise InvalidExperiment(f"maturity.{name}", f"unknown metric; one of {', '.join(metrics)}")
        if not timedelta(0) <= window <= timedelta(milliseconds=MAX_WINDOW_MS):
            raise InvalidExperiment(f"maturity.{name}", f"must be from 0 to 90 days, got {window.total_seconds():g} s")
        windows[name] = window
    return Experiment(
        id=id,
        rule_set=rule_set,
        baseline_version=baseline_version,
        candidate_version=candidate_version,
        share_bp=check_share(share_bp),
        salt=salt,
        unit=unit,
        primary_metric=primary,
        guardrails=chosen,
        min_samples=min_samples or DEFAULT_MIN_SAMPLES,
        min_duration=min_duration,
        state=State.RUNNING,
        created_at=now,
        created_by=created_by,
        shares=(share_bp,),
        maturity=windows,
        declared=tuple(declared),
    )


def check_declared(declared: Sequence[MetricSpec]) -> Sequence[MetricSpec]:
    """The declared metrics as given; raises InvalidExperiment naming `metrics[i].FIELD`."""
    if len(declared) > MAX_DECLARED_METRICS:
        raise InvalidExperiment("metrics", f"at most {MAX_DECLARED_METRICS} declared metrics, got {len(declared)}")
    seen: set[str] = set()
    for index, spec in enumerate(declared):
        where = f"metrics[{index}]"
        if spec.name in METRICS:
            raise InvalidExperiment(f"{where}.name", f"{spec.name} is a built-in metric; choose another name")
        if not METRIC_NAME.fullmatch(spec.name):
            raise InvalidExperiment(
                f"{where}.name", "lower-case letters, digits and '_', starting with a letter, at most 40 characters"
            )
        if spec.name in seen:
            raise InvalidExperiment(f"{where}.name", f"{spec.name} is declared twice")
        seen.add(spec.name)
        upper = 1.0 if spec.kind is MetricKind.RATE else 10.0
        if not 0 < spec.mde <= upper:
            raise InvalidExperiment(f"{where}.min_effect", f"must be above 0 and at most {upper}, got {spec.mde:g}")
    return declared


def change(experiment: Experiment, action: Action, now: datetime, share_bp: int = 0) -> Experiment:
    """The experiment after `action` (a ramp to `share_bp`); raises WrongState when it is not allowed now."""
    if action is Action.RAMP:
        return ramp(experiment, share_bp)
    return transition(experiment, action, now)


def transition(experiment: Experiment, action: Action, now: datetime) -> Experiment:
    """The experiment after a state-changing `action`; raises WrongState when it is not allowed now."""
    if action not in ALLOWED:
        raise WrongState(f"{action} does not change an experiment's state")
    sources, target = ALLOWED[action]
    if experiment.state not in sources:
        raise WrongState(f"experiment {experiment.id} is {experiment.state}; cannot {action}")
    if action is Action.RESUME:  # orders before and after a pause are different periods
        return _next_epoch(dataclasses.replace(experiment, state=target), experiment.share_bp)
    return dataclasses.replace(experiment, state=target, ended_at=now if target.is_final else None)


def ramp(experiment: Experiment, share_bp: int) -> Experiment:
    if experiment.state.is_final:
        raise WrongState(f"experiment {experiment.id} is {experiment.state}; cannot ramp")
    return _next_epoch(experiment, check_share(share_bp))


def _next_epoch(experiment: Experiment, share_bp: int) -> Experiment:
    shares = experiment.shares or (experiment.share_bp,) * (experiment.epoch + 1)
    return dataclasses.replace(experiment, share_bp=share_bp, epoch=experiment.epoch + 1, shares=(*shares, share_bp))
