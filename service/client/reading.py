"""Experiment results as a person reads them, the same on the console's page and in the terminal: a
status that says what to do and why, and a row per metric in one set of units (points for rates, the
metric's own unit for amounts, relative percent only where labelled so).

Words come from a `Words` (rules.wording): English in the terminal, the page's language in the console,
whose catalog holds every message of this module.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from orderroute.v1 import orderroute_pb2 as pb

from experiments.model import METRICS, MetricKind
from rules.wording import Words

GUARDRAIL_ACTOR = "orderroute-guardrail"
"""Who the supervisor's guardrail aborts are recorded as (service.app.GUARDRAIL_ACTOR)."""
CONFIDENCE = "95%"
"""The experiments' error budget is 5% (experiments.model)."""

STATUS_WORDS = {
    "not-enough-data": "Not enough data",
    "running": "Running: no difference yet",
    "promote": "Promote recommended",
    "roll-back": "Roll back recommended",
    "unhealthy": "Unhealthy: sample ratio mismatch",
    "aborted-by-guardrail": "Aborted by guardrail",
    "aborted": "Aborted",
    "promoted": "Concluded: promoted",
    "rolled-back": "Concluded: rolled back",
    "paused": "Paused",
}
UNIT_WORDS = {
    "fulfilment_hours": "hours",
    "logistics_cost_minor": "minor units",
}


@dataclass(frozen=True, slots=True)
class Missing:
    """What the verdict still waits for."""

    baseline: int
    """More units with an outcome on the primary metric in the baseline."""
    candidate: int
    time: timedelta

    @property
    def anything(self) -> bool:
        return bool(self.baseline or self.candidate or self.time > timedelta(0))


@dataclass(frozen=True, slots=True)
class Status:
    key: str
    """A key of STATUS_WORDS; also the badge's CSS class."""
    label: str
    reason: str
    verdict_shown: bool
    """Whether the minimums are met (before that the verdict stays hidden, the counts do not)."""
    promote_allowed: bool
    """False on a sample ratio mismatch (nothing can be trusted) or once the experiment has ended."""


def missing(r: pb.GetResultsResponse) -> Missing:
    e = r.experiment
    primary = next((m for m in r.metrics if m.metric == e.primary_metric), None)
    have = (primary.baseline_units, primary.candidate_units) if primary is not None else (0, 0)
    ran = r.computed_at.ToDatetime() - e.created_at.ToDatetime()
    left = max(timedelta(seconds=e.min_duration_seconds) - ran, timedelta(0))
    return Missing(max(e.min_samples - have[0], 0), max(e.min_samples - have[1], 0), left)


def status_of(r: pb.GetResultsResponse, transitions: Sequence[pb.ExperimentTransition], words: Words) -> Status:
    e = r.experiment
    wait = missing(r)
    shown = not wait.anything

    def status(key: str, reason: str, promote: bool = False) -> Status:
        return Status(key, words.gettext(STATUS_WORDS[key]), reason, shown, promote)

    ended = transitions[-1] if transitions else None
    if e.state == pb.EXPERIMENT_STATE_ABORTED:
        if ended is not None and ended.actor == GUARDRAIL_ACTOR:
            return status("aborted-by-guardrail", guardrail_evidence(ended, e, words))
        return status("aborted", ended.reason if ended is not None else "")
    if e.state in (pb.EXPERIMENT_STATE_PROMOTED, pb.EXPERIMENT_STATE_ROLLED_BACK):
        key = "promoted" if e.state == pb.EXPERIMENT_STATE_PROMOTED else "rolled-back"
        return status(key, ended.reason if ended is not None else "")
    if r.verdict == pb.VERDICT_INVALID:
        return status("unhealthy", sample_ratio_words(r.sample_ratio, words))
    if not shown:
        return status("not-enough-data", waiting_words(wait, words), promote=True)
    if e.state == pb.EXPERIMENT_STATE_PAUSED:
        return status("paused", r.reason, promote=True)
    if r.verdict == pb.VERDICT_CANDIDATE_BETTER:
        return status("promote", _primary_words(r, words) or r.reason, promote=True)
    if r.verdict == pb.VERDICT_CANDIDATE_WORSE:
        return status("roll-back", r.reason, promote=True)  # the primary metric, or a guardrail
    reason = r.reason
    if r.samples_needed:
        reason = words.gettext(
            "%(reason)s; about %(orders)s more candidate orders to tell the smallest effect worth detecting",
            reason=r.reason,
            orders=words.number(r.samples_needed),
        )
    return status("running", reason, promote=True)


def sample_ratio_words(s: pb.SampleRatio, words: Words) -> str:
    """The split as observed beside the configured one, and the test's p-value."""
    return words.gettext(
        "%(candidate)s of %(total)s units in the candidate (%(observed)s; expected %(expected)s), p = %(p)s",
        candidate=words.number(s.candidate_units),
        total=words.number(s.baseline_units + s.candidate_units),
        observed=words.gettext("%(value)s%%", value=words.number(s.observed_share * 100, 2)),
        expected=words.gettext("%(value)s%%", value=words.number(s.expected_share * 100, 2)),
        p=words.number(s.p_value, 4),
    )


def _primary_words(r: pb.GetResultsResponse, words: Words) -> str:
    """The primary metric's change and interval, as its row writes them ("" until it has one)."""
    m = next((m for m in r.metrics if m.metric == r.experiment.primary_metric), None)
    if m is None or not (m.HasField("difference") and m.HasField("low") and m.HasField("high")):
        return ""
    return words.gettext(
        "%(metric)s changed by %(change)s (interval %(low)s to %(high)s)",
        metric=m.metric,
        change=change_words(m.difference, not m.relative, words),
        low=change_words(m.low, not m.relative, words),
        high=change_words(m.high, not m.relative, words),
    )


def waiting_words(wait: Missing, words: Words) -> str:
    parts = []  # only what is still short: an arm that has its outcomes is not named
    if wait.baseline:
        parts.append(words.gettext("%(n)s more outcomes in the baseline", n=words.number(wait.baseline)))
    if wait.candidate:
        parts.append(words.gettext("%(n)s more outcomes in the candidate", n=words.number(wait.candidate)))
    if wait.time > timedelta(0):
        parts.append(words.gettext("%(hours)s more hours", hours=words.number(wait.time.total_seconds() / 3600, 1)))
    return words.gettext("waiting for %(what)s", what=words.gettext(" and ").join(parts))


# ------------------------------------------------------------ metrics


@dataclass(frozen=True, slots=True)
class ArmCell:
    value: str
    """The arm's mean in the metric's unit ("4.1%", "52.3 hours")."""
    raw: str
    """The count or sum behind it ("37 of 900", "47,070 hours over 900")."""
    units: int


@dataclass(frozen=True, slots=True)
class MetricRow:
    metric: str
    role: str
    description: str
    is_rate: bool
    higher_is_better: bool
    baseline: ArmCell | None
    candidate: ArmCell | None
    change: str
    """The difference in the row's unit: points for a rate, relative percent (labelled) otherwise."""
    low: str
    high: str
    relative_change: str
    """For a rate, the change relative to the baseline (labelled); empty otherwise."""
    verdict: str
    difference: float | None
    """As the API gives it (a fraction), for the chart."""
    interval: tuple[float, float] | None
    limit: float | None
    """A guardrail's limit (a fraction, worse direction), for the chart."""
    breached: bool


def metric_rows(r: pb.GetResultsResponse, words: Words, verdict_shown: bool = True) -> tuple[MetricRow, ...]:
    declared = {d.name: d for d in r.experiment.metrics}
    guardrails = {g.metric: g for g in r.guardrails}
    rows = []
    for m in r.metrics:
        spec = METRICS.get(m.metric)
        is_rate = not m.relative
        higher = spec.higher_is_better if spec is not None else declared[m.metric].higher_is_better
        description = spec.description if spec is not None else declared[m.metric].description
        has = m.HasField("difference")
        guard = guardrails.get(m.metric)
        rows.append(
            MetricRow(
                m.metric,
                m.role,
                words.gettext(description) if description else "",
                is_rate,
                higher,
                _arm(m.baseline, m.metric, is_rate, words) if m.HasField("baseline") else None,
                _arm(m.candidate, m.metric, is_rate, words) if m.HasField("candidate") else None,
                change_words(m.difference, is_rate, words) if has else "",
                change_words(m.low, is_rate, words) if m.HasField("low") else "",
                change_words(m.high, is_rate, words) if m.HasField("high") else "",
                _relative(m, words) if has and is_rate else "",
                verdict_words(m.verdict, words) if verdict_shown else hidden_words(words),
                m.difference if has else None,
                (m.low, m.high) if m.HasField("low") and m.HasField("high") else None,
                guard.limit if guard is not None else None,
                bool(guard.breached) if guard is not None else False,
            )
        )
    return tuple(rows)


def change_words(x: float, is_rate: bool, words: Words) -> str:
    """A change in the row's unit: "+1.20 points" for a rate, "+3.1% relative" otherwise."""
    if math.isinf(x):
        return words.gettext("unbounded")
    sign = "+" if x > 0 else "-" if x < 0 else ""
    if is_rate:
        return words.gettext("%(sign)s%(value)s points", sign=sign, value=words.number(abs(x) * 100, 2))
    return words.gettext("%(sign)s%(value)s%% relative", sign=sign, value=words.number(abs(x) * 100, 1))


def limit_words(limit: float, is_rate: bool, words: Words) -> str:
    """A guardrail's limit: "worse by at most 1 point", "worse by at most 5% relative"."""
    if is_rate and math.isclose(limit, 0.01):
        return words.gettext("worse by at most 1 point")
    if is_rate:
        return words.gettext("worse by at most %(value)s points", value=words.number(limit * 100, 2))
    return words.gettext("worse by at most %(value)s%% relative", value=words.number(limit * 100, 1))


def hidden_words(words: Words) -> str:
    return words.gettext("hidden until the minimums are met")


def verdict_words(verdict: int, words: Words) -> str:
    return words.gettext(VERDICT_WORDS.get(verdict, "no difference yet"))


VERDICT_WORDS: dict[int, str] = {
    pb.VERDICT_CANDIDATE_BETTER: "candidate better",
    pb.VERDICT_CANDIDATE_WORSE: "candidate worse",
    pb.VERDICT_NO_DIFFERENCE_YET: "no difference yet",
    pb.VERDICT_INVALID: "invalid",
}


def _arm(a: pb.ArmEstimate, metric: str, is_rate: bool, words: Words) -> ArmCell:
    if is_rate:
        value = words.gettext("%(value)s%%", value=words.number(a.mean * 100, 2))
        raw = words.gettext("%(count)s of %(n)s", count=words.number(round(a.mean * a.n)), n=words.number(a.n))
        return ArmCell(value, raw, a.n)
    unit = words.gettext(UNIT_WORDS.get(metric, "per order"))
    value = words.gettext("%(value)s %(unit)s", value=words.number(a.mean, 2), unit=unit)
    raw = words.gettext(
        "%(sum)s %(unit)s over %(n)s", sum=words.number(round(a.mean * a.n, 2)), unit=unit, n=words.number(a.n)
    )
    return ArmCell(value, raw, a.n)


def _relative(m: pb.MetricResult, words: Words) -> str:
    base = m.baseline.mean if m.HasField("baseline") else 0.0
    if not base:
        return ""
    return change_words(m.difference / base, False, words)


# ------------------------------------------------------------ the decision rule


def decision_rule(e: pb.Experiment, words: Words) -> str:
    """The experiment's rule in words, as it stands before any data: when promoting is recommended and
    when the candidate is aborted."""
    values = {"metric": e.primary_metric, "confidence": CONFIDENCE, "outcomes": words.number(e.min_samples)}
    if e.min_duration_seconds:
        rule = words.gettext(
            "Promote is recommended when %(metric)s is better with %(confidence)s always-valid confidence, after "
            "at least %(outcomes)s outcomes per arm and %(hours)s hours",
            hours=words.number(e.min_duration_seconds / 3600, 1),
            **values,
        )
    else:
        rule = words.gettext(
            "Promote is recommended when %(metric)s is better with %(confidence)s always-valid confidence, after "
            "at least %(outcomes)s outcomes per arm",
            **values,
        )
    guards = [
        words.gettext("%(metric)s %(limit)s", metric=g.metric, limit=limit_words(g.limit, _is_rate(g.metric, e), words))
        for g in e.guardrails
    ]
    if guards:
        rule += words.gettext(
            "; the candidate is aborted as soon as it is worse than a guardrail allows (%(guardrails)s)",
            guardrails=words.gettext("; ").join(guards),
        )
    return rule + "."


def guardrail_evidence(t: pb.ExperimentTransition, e: pb.Experiment, words: Words) -> str:
    """Why the guardrail stopped the candidate, from the results kept with the abort: each breached
    guardrail's change and interval then, in the page's units."""
    kept = json.loads(t.results_json or "{}")
    lines = []
    for metric, g in (kept.get("guardrails") or {}).items():
        m = (kept.get("metrics") or {}).get(metric) or {}
        if not g.get("breached") or m.get("difference") is None:
            continue
        is_rate = _is_rate(metric, e)
        limit = next((x.limit for x in e.guardrails if x.metric == metric), 0.0)
        values = {
            "metric": metric,
            "change": change_words(m["difference"], is_rate, words),
            "limit": limit_words(limit, is_rate, words),
        }
        if g.get("excess_low") is not None:  # the guardrail's own (one-sided, always-valid) bound
            line = words.gettext(
                "%(metric)s changed by %(change)s: past its limit (%(limit)s) by at least %(past)s",
                past=change_words(g["excess_low"], is_rate, words),
                **values,
            )
        else:
            line = words.gettext("%(metric)s changed by %(change)s, past its limit (%(limit)s)", **values)
        lines.append(line)
    return words.gettext("; ").join(lines) or t.reason


def _is_rate(metric: str, e: pb.Experiment) -> bool:
    spec = METRICS.get(metric)
    if spec is not None:
        return spec.kind is MetricKind.RATE
    declared = {d.name: d for d in e.metrics}
    return metric in declared and declared[metric].kind == pb.METRIC_KIND_RATE


# ============================================================ logged orders: replay and rule insights
# Figures read back from the decision log with inputs (DecisionService): the outcomes recorded for orders
# as they were routed, so observational, not causal. A rate in percent and its differences in points;
# an amount and its differences in its own unit.

OUTCOME_RATES = frozenset({"on_time", "exception", "complaint"})
"""The yes/no outcomes of a replay's and the rule insights' figures (rules.insights.RATES); the others
(logistics_cost_minor, fulfilment_hours) are amounts."""


def outcome_words(metric: str, value: float, words: Words) -> str:
    """A mean of recorded outcomes in the metric's unit: "4.1%" for a rate, "52.3 hours" for an amount."""
    if metric in OUTCOME_RATES:
        return words.gettext("%(value)s%%", value=words.number(value * 100, 2))
    unit = words.gettext(UNIT_WORDS[metric]) if metric in UNIT_WORDS else ""
    return words.gettext("%(value)s %(unit)s", value=words.number(value, 2), unit=unit).strip()


def outcome_change_words(metric: str, value: float, words: Words) -> str:
    """A difference of two groups' means: "+1.2 points" for a rate, "+3.5 hours" for an amount."""
    if metric in OUTCOME_RATES:
        return change_words(value, True, words)
    sign = "+" if value > 0 else "-" if value < 0 else ""
    unit = words.gettext(UNIT_WORDS[metric]) if metric in UNIT_WORDS else ""
    return words.gettext("%(sign)s%(value)s %(unit)s", sign=sign, value=words.number(abs(value), 2), unit=unit).strip()


def outcome_tone(metric: str, low: float, high: float) -> str:
    """worse, better or unclear: the side of zero a difference's whole interval is on, as the metric reads
    (more exceptions, complaints, cost or hours is worse; fewer orders on time is worse)."""
    if not (low > 0 or high < 0):
        return "unclear"
    spec = METRICS.get(metric)
    higher_is_better = spec.higher_is_better if spec is not None else False
    return "better" if (low > 0) == higher_is_better else "worse"
