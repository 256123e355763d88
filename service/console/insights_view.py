"""The rule insights page as the console shows it: per rule the orders it matched and decided, and the
outcomes of those it decided beside the rest's with intervals, the worst first (observational)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup
from orderroute.v1 import orderroute_pb2 as pb

from experiments.model import METRICS
from rules.wording import OUTPUT_LABELS
from service.client.reading import OUTCOME_RATES, MetricRow, outcome_change_words, outcome_tone, outcome_words
from service.console.charts import bar_scale, interval_bar
from service.console.health import KPI_WORDS
from service.console.i18n import Language
from service.console.replay_view import DEFAULT_LIMIT, Choice, limit_of, version_choices, window_of

INSIGHT_KPIS = ("exception", "on_time", "complaint", "logistics_cost_minor", "fulfilment_hours")
"""The outcomes rule insights compare, in the order the rules are ranked by (worst exception rate first)."""
GLANCE_KPIS = ("exception", "on_time")
"""The outcomes the overview table shows for every rule (the others are in each rule's section)."""


@dataclass(frozen=True, slots=True)
class InsightsForm:
    versions: tuple[Choice, ...]
    since: str
    until: str
    limit: str


def insights_form(versions: Sequence[pb.RuleSetVersion], params: Mapping[str, str], lang: Language) -> InsightsForm:
    """The form as asked, or its defaults: the active version, all the log keeps, DEFAULT_LIMIT orders."""
    active = next((v.version for v in versions if v.active), 0)
    asked = params.get("version", "")
    choices = tuple(version_choices(versions, asked if asked.isdigit() else str(active), lang))
    return InsightsForm(
        choices, params.get("since", ""), params.get("until", ""), params.get("limit", "") or str(DEFAULT_LIMIT)
    )


def insights_request(name: str, params: Mapping[str, str], lang: Language) -> pb.GetRuleInsightsRequest:
    version = params.get("version", "")
    request = pb.GetRuleInsightsRequest(
        rule_set=name, limit=limit_of(params, lang), version=int(version) if version.isdigit() else 0
    )
    window_of(request, params, lang)
    return request


@dataclass(frozen=True, slots=True)
class KpiLine:
    metric: str
    label: str
    is_rate: bool
    decided: str
    decided_interval: str
    decided_reports: str
    rest: str
    rest_interval: str
    rest_reports: str
    difference: str
    """"" when either side has no report."""
    difference_interval: str
    tone: str
    """worse, better or unclear (the difference's interval excludes 0, as the metric reads)."""
    chart: Markup


@dataclass(frozen=True, slots=True)
class GlanceCell:
    """One outcome of a rule in the overview table: "12% vs 2%" and "+10 points"; the difference is ""
    when either side has no report, both are "" when no order has one."""

    compared: str
    difference: str
    tone: str


NO_GLANCE = GlanceCell("", "", "unclear")


@dataclass(frozen=True, slots=True)
class RuleInsightView:
    rule_id: str
    priority: int
    is_default: bool
    matched: str
    decided: str
    fields: tuple[tuple[str, str, str], ...]
    """(label, field, orders)."""
    kpis: tuple[KpiLine, ...]
    worse: tuple[str, ...]
    """The KPIs whose difference is surely worse than the rest's (their labels)."""
    priority_shown: str
    """The priority as a number of the page's language."""
    exception: GlanceCell
    on_time: GlanceCell
    worse_elsewhere: tuple[str, ...]
    """The surely worse KPIs the overview has no column for (their labels)."""


@dataclass(frozen=True, slots=True)
class InsightsView:
    name: str
    version: int
    orders: int
    reported: int
    not_reproduced: int
    rules: tuple[RuleInsightView, ...]


def insights_view(r: pb.GetRuleInsightsResponse, lang: Language) -> InsightsView:
    return InsightsView(
        r.rule_set,
        r.version,
        r.orders,
        r.reported,
        r.not_reproduced,
        tuple(_rule_insight(rule, lang) for rule in r.rules),
    )


def _rule_insight(rule: pb.RuleInsight, lang: Language) -> RuleInsightView:
    found = {k.metric: k for k in rule.kpis}
    kpis = tuple(_kpi_line(found[m], lang) for m in INSIGHT_KPIS if m in found)
    fields = tuple(
        (lang.gettext(OUTPUT_LABELS.get(f.field, f.field)), f.field, lang.number(f.orders)) for f in rule.fields
    )
    by_metric = {k.metric: k for k in kpis}
    return RuleInsightView(
        rule.rule_id,
        rule.priority,
        rule.default_rule,
        lang.number(rule.matched),
        lang.number(rule.decided),
        fields,
        kpis,
        tuple(k.label for k in kpis if k.tone == "worse"),
        lang.number(rule.priority),
        _glance(by_metric.get("exception"), lang),
        _glance(by_metric.get("on_time"), lang),
        tuple(k.label for k in kpis if k.tone == "worse" and k.metric not in GLANCE_KPIS),
    )


def _glance(k: KpiLine | None, lang: Language) -> GlanceCell:
    if k is None:
        return NO_GLANCE
    return GlanceCell(lang.gettext("%(decided)s vs %(rest)s", decided=k.decided, rest=k.rest), k.difference, k.tone)


def _kpi_line(k: pb.KpiComparison, lang: Language) -> KpiLine:
    metric = k.metric
    compared = bool(k.decided.reports and k.rest.reports)
    spec = METRICS.get(metric)
    is_rate = metric in OUTCOME_RATES
    # An amount's interval needs two reports on each side (rules.insights gives the estimate alone).
    has_interval = compared and (is_rate or min(k.decided.reports, k.rest.reports) >= 2)
    tone = outcome_tone(metric, k.difference_low, k.difference_high) if has_interval else "unclear"

    def side(e: pb.KpiEstimate) -> tuple[str, str, str]:
        if not e.reports:
            return lang.gettext("none reported"), "", "0"
        if not is_rate and e.reports < 2:
            return outcome_words(metric, e.mean, lang), "", lang.number(e.reports)
        interval = lang.gettext(
            "%(low)s to %(high)s", low=outcome_words(metric, e.low, lang), high=outcome_words(metric, e.high, lang)
        )
        return outcome_words(metric, e.mean, lang), interval, lang.number(e.reports)

    row = MetricRow(
        metric,
        "",
        "",
        is_rate,
        spec.higher_is_better if spec is not None else False,
        None,
        None,
        "",
        "",
        "",
        "",
        "",
        k.difference if compared else None,
        (k.difference_low, k.difference_high) if has_interval else None,
        None,
        False,
    )
    label = lang.gettext(KPI_WORDS[metric])
    chart = interval_bar(
        row, bar_scale([row]), lang.gettext("%(metric)s: the difference and its interval", metric=label)
    )
    difference = outcome_change_words(metric, k.difference, lang) if compared else ""
    interval = (
        lang.gettext(
            "%(low)s to %(high)s",
            low=outcome_change_words(metric, k.difference_low, lang),
            high=outcome_change_words(metric, k.difference_high, lang),
        )
        if has_interval
        else ""
    )
    return KpiLine(metric, label, is_rate, *side(k.decided), *side(k.rest), difference, interval, tone, chart)
