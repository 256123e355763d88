"""Gray releases in the console: the experiments list, the results page (status with its reason, a row
per metric with its interval as a bar, the interval over time, sample ratio, outcome coverage, the
transitions with their snapshots) and the start form, as view models (service.client.reading holds
the words and units the terminal shares)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from markupsafe import Markup
from orderroute.v1 import orderroute_pb2 as pb

from experiments.model import DEFAULT_GUARDRAILS, METRICS, MetricKind
from service.client.reading import (
    MetricRow,
    Status,
    change_words,
    decision_rule,
    limit_words,
    metric_rows,
    sample_ratio_words,
    status_of,
)
from service.client.replay_summary import shadow_lines
from service.console.charts import Sample, bar_scale, interval_bar, interval_over_time
from service.console.i18n import Language
from service.console.pages import when

ACTION_MARKS = {
    "start": "started",
    "ramp": "ramped",
    "pause": "paused",
    "resume": "resumed",
    "promote": "promoted",
    "rollback": "rolled back",
    "abort": "aborted",
}
POINTS, RELATIVE = "points", "relative percent"
UNIT_CHOICES = (
    ("customer", "customer (a customer's orders stay on one side)"),
    ("order", "order (each order on its own)"),
)


@dataclass(frozen=True, slots=True)
class ListRow:
    id: str
    rule_set: str
    versions: str
    share: str
    unit: str
    state: str
    status: Status
    started: str
    outcomes: str
    """Decisions with an outcome, baseline / candidate."""


@dataclass(frozen=True, slots=True)
class ChartedRow:
    row: MetricRow
    bar: Markup
    over_time: Markup


@dataclass(frozen=True, slots=True)
class ArmLine:
    arm: str
    decisions: str
    units: str
    outcomes: str
    coverage: str
    """Share of the arm's decisions with an outcome so far."""


@dataclass(frozen=True, slots=True)
class TransitionLine:
    index: int
    action: str
    actor: str
    reason: str
    at: str
    share: str


@dataclass(frozen=True, slots=True)
class ResultsPage:
    experiment: pb.Experiment
    status: Status
    rule: str
    goal: tuple[ChartedRow, ...]
    guardrails: tuple[ChartedRow, ...]
    arms: tuple[ArmLine, ...]
    sample_ratio: pb.SampleRatio
    srm_words: str
    transitions: tuple[TransitionLine, ...]
    points: int
    """Points of the results kept over time."""
    guardrail_limits: dict[str, str]
    share: str
    unit: str
    shadow: tuple[str, ...] = ()
    """The candidate replayed over the baseline's logged orders, in lines (service.client.replay_summary)."""

    @property
    def running(self) -> bool:
        return self.experiment.state == pb.EXPERIMENT_STATE_RUNNING

    @property
    def paused(self) -> bool:
        return self.experiment.state == pb.EXPERIMENT_STATE_PAUSED


def share_words(bp: int, lang: Language) -> str:
    return lang.gettext("%(share)s%%", share=lang.number(bp / 100, 2))


STATE_NAMES: dict[int, str] = {
    pb.EXPERIMENT_STATE_RUNNING: "running",
    pb.EXPERIMENT_STATE_PAUSED: "paused",
    pb.EXPERIMENT_STATE_PROMOTED: "promoted",
    pb.EXPERIMENT_STATE_ROLLED_BACK: "rolled back",
    pb.EXPERIMENT_STATE_ABORTED: "aborted",
}


def state_words(state: int, lang: Language) -> str:
    return lang.gettext(STATE_NAMES.get(state, "running"))


def list_row(
    e: pb.Experiment, r: pb.GetResultsResponse, transitions: Sequence[pb.ExperimentTransition], lang: Language
) -> ListRow:
    arms = {a.arm: a for a in r.arms}
    outcomes = "/".join(
        lang.number(arms[a].outcomes) if a in arms else "0" for a in (pb.ARM_BASELINE, pb.ARM_CANDIDATE)
    )
    return ListRow(
        e.id,
        e.rule_set,
        lang.gettext("v%(baseline)s → v%(candidate)s", baseline=e.baseline_version, candidate=e.candidate_version),
        share_words(e.traffic_bp, lang),
        unit_words(e.unit, lang),
        state_words(e.state, lang),
        status_of(r, transitions, lang),
        when(e.created_at, lang),
        outcomes,
    )


def unit_words(unit: int, lang: Language) -> str:
    return lang.gettext("order") if unit == pb.ASSIGNMENT_UNIT_ORDER_ID else lang.gettext("customer")


def results_page(
    r: pb.GetResultsResponse, got: pb.GetExperimentResponse, history: pb.GetResultsHistoryResponse, lang: Language
) -> ResultsPage:
    e = r.experiment
    status = status_of(r, got.transitions, lang)
    rows = metric_rows(r, lang, status.verdict_shown)
    goal = [row for row in rows if row.role != "guardrail"]
    guards = [row for row in rows if row.role == "guardrail"]
    marks = {action: lang.gettext(word) for action, word in ACTION_MARKS.items()}
    points = history.points
    span = (when(points[0].at, lang), when(points[-1].at, lang)) if points else ("", "")

    def charted(section: Sequence[MetricRow]) -> tuple[ChartedRow, ...]:
        scale = bar_scale(section)
        return tuple(
            ChartedRow(
                row,
                interval_bar(row, scale, _bar_label(row, lang)),
                interval_over_time(_samples(history, row.metric), _line_label(row, lang), marks, span),
            )
            for row in section
        )

    limits = {g.metric: limit_words(g.limit, not g.relative, lang) for g in r.guardrails}
    return ResultsPage(
        e,
        status,
        decision_rule(e, lang),
        charted(goal),
        charted(guards),
        tuple(_arm_line(a, lang) for a in r.arms),
        r.sample_ratio,
        sample_ratio_words(r.sample_ratio, lang),
        tuple(
            TransitionLine(
                i,
                lang.gettext(ACTION_MARKS.get(t.action, t.action)),
                t.actor,
                t.reason,
                when(t.at, lang),
                share_words(t.traffic_bp, lang),
            )
            for i, t in enumerate(got.transitions)
        ),
        int(history.stored),
        limits,
        share_words(e.traffic_bp, lang),
        unit_words(e.unit, lang),
        tuple(shadow_lines(r, lang)) if r.HasField("shadow") or e.state == pb.EXPERIMENT_STATE_RUNNING else (),
    )


def _arm_line(a: pb.ArmSummary, lang: Language) -> ArmLine:
    arm = lang.gettext("candidate") if a.arm == pb.ARM_CANDIDATE else lang.gettext("baseline")
    covered = lang.gettext("%(share)s%%", share=lang.number(a.outcomes / a.decisions * 100, 1)) if a.decisions else "–"
    return ArmLine(arm, lang.number(a.decisions), lang.number(a.units), lang.number(a.outcomes), covered)


def _samples(history: pb.GetResultsHistoryResponse, metric: str) -> list[Sample]:
    out = []
    for p in history.points:
        m = next((m for m in p.metrics if m.metric == metric), None)
        has = m is not None and m.HasField("difference") and m.HasField("low") and m.HasField("high")
        out.append(
            Sample(
                p.at.ToDatetime(tzinfo=UTC),
                m.difference if has and m is not None else None,
                m.low if has and m is not None else None,
                m.high if has and m is not None else None,
                p.action,
            )
        )
    return out


def _bar_label(row: MetricRow, lang: Language) -> str:
    if row.interval is None:
        return lang.gettext("%(metric)s: no interval yet", metric=row.metric)
    return lang.gettext(
        "%(metric)s: %(change)s, from %(low)s to %(high)s",
        metric=row.metric,
        change=row.change,
        low=row.low,
        high=row.high,
    )


def _line_label(row: MetricRow, lang: Language) -> str:
    unit = lang.gettext(POINTS if row.is_rate else RELATIVE)
    return lang.gettext("%(metric)s over time, in %(unit)s", metric=row.metric, unit=unit)


def snapshot_lines(t: pb.ExperimentTransition, lang: Language) -> tuple[str, tuple[tuple[str, str, str, str], ...]]:
    """A transition's results as it kept them: the verdict and reason, and per metric its change and
    interval (as the page reads them: points for rates, relative percent otherwise)."""
    kept: dict[str, Any] = json.loads(t.results_json or "{}")
    verdict = f"{lang.gettext(str(kept.get('verdict', '')))}: {kept.get('reason', '')}" if kept else ""
    rows = []
    for metric, m in (kept.get("metrics") or {}).items():
        is_rate = _kind(metric) is MetricKind.RATE
        cells = [
            change_words(m[k], is_rate, lang) if m.get(k) is not None else "–" for k in ("difference", "low", "high")
        ]
        rows.append((metric, *cells))
    return verdict, tuple((a, b, c, d) for a, b, c, d in rows)


def _kind(metric: str) -> MetricKind:
    spec = METRICS.get(metric)
    return spec.kind if spec is not None else MetricKind.AMOUNT


# ------------------------------------------------------------ the rule set's timeline

EXPERIMENT_ACTION = "experiment-"
"""Prefixes an experiment's transition among a rule set's audit entries ("experiment-ramp")."""


def timeline_entries(
    e: pb.Experiment, transitions: Sequence[pb.ExperimentTransition]
) -> list[tuple[pb.AuditEntry, str]]:
    """An experiment's transitions as entries of its rule set's timeline, each with the link to the
    results kept at that moment."""
    return [
        (
            pb.AuditEntry(
                action=EXPERIMENT_ACTION + t.action,
                version=e.candidate_version,
                actor=t.actor,
                reason=f"{e.id}: {t.reason}",
                at=t.at,
            ),
            f"/experiments/{e.id}/transitions/{i}",
        )
        for i, t in enumerate(transitions)
    ]


# ------------------------------------------------------------ notifications

DELIVERY_STATES = {
    "delivered": "delivered",
    "retrying": "retrying",
    "failed": "failed (given up)",
    "dropped": "dropped (queue full)",
}


@dataclass(frozen=True, slots=True)
class DeliveryLine:
    at: str
    event: str
    url: str
    state: str
    """A key of DELIVERY_STATES: the row's CSS class."""
    state_words: str
    status: str
    attempts: str
    error: str
    event_id: str


def delivery_line(d: pb.WebhookDelivery, lang: Language) -> DeliveryLine:
    return DeliveryLine(
        when(d.at, lang),
        d.event,
        d.url,
        d.state,
        lang.gettext(DELIVERY_STATES.get(d.state, d.state)),
        str(d.status) if d.status else "–",
        lang.number(d.attempts),
        d.error,
        d.event_id,
    )


# ------------------------------------------------------------ starting one


@dataclass(frozen=True, slots=True)
class StartForm:
    rule_set: str
    versions: tuple[tuple[int, str], ...]
    """Approved versions other than the active one: (number, label)."""
    metrics: tuple[tuple[str, str], ...]
    guardrails: tuple[tuple[str, str, str], ...]
    """(metric, its label, the default limit in points or percent)."""
    units: tuple[tuple[str, str], ...]


def start_form(name: str, versions: Sequence[pb.RuleSetVersion], lang: Language) -> StartForm:
    ready = (pb.REVIEW_STATE_APPROVED, pb.REVIEW_STATE_NOT_REQUIRED)
    candidates = tuple(
        (v.version, lang.gettext("v%(version)s: %(comment)s", version=v.version, comment=v.comment))
        for v in versions
        if v.review_state in ready and not v.active
    )
    defaults = {g.metric: g.limit for g in DEFAULT_GUARDRAILS}
    return StartForm(
        name,
        candidates,
        tuple((m.name, f"{m.name}: {lang.gettext(m.description)}") for m in METRICS.values()),
        tuple(
            (
                m.name,
                f"{m.name} ({lang.gettext(POINTS if m.kind is MetricKind.RATE else RELATIVE)})",
                lang.number(defaults[m.name] * 100, 2) if m.name in defaults else "",
            )
            for m in METRICS.values()
        ),
        tuple((value, lang.gettext(label)) for value, label in UNIT_CHOICES),
    )


def start_request(name: str, form: Mapping[str, str], actor: str) -> pb.StartExperimentRequest:
    """The form as a StartExperimentRequest; ValueError naming the field when a value is wrong."""
    share = _number(form, "share", "a share in percent, e.g. 5 or 7.5")
    if not 0.1 <= share <= 100:
        raise ValueError("share: from 0.1% to 100%")
    guardrails = []
    for metric in METRICS:
        text = form.get(f"guardrail:{metric}", "").strip()
        if text:
            limit = _number(form, f"guardrail:{metric}", "a limit in points (rates) or percent (amounts)")
            guardrails.append(pb.GuardrailSpec(metric=metric, limit=limit / 100))
    return pb.StartExperimentRequest(
        rule_set=name,
        candidate_version=int(_number(form, "candidate", "a version number")),
        traffic_bp=round(share * 100),
        unit=pb.ASSIGNMENT_UNIT_ORDER_ID if form.get("unit") == "order" else pb.ASSIGNMENT_UNIT_CUSTOMER_ID,
        primary_metric=form.get("primary", "on_time"),
        guardrails=guardrails,
        min_samples=int(_number(form, "min_outcomes", "a whole number of outcomes per arm")),
        min_duration_seconds=round(_number(form, "min_hours", "a number of hours") * 3600),
        actor=actor,
        reason=form.get("reason", ""),
    )


def _number(form: Mapping[str, str], field: str, want: str) -> float:
    text = form.get(field, "").strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{field}: {want}, got {text!r}") from None
