"""The replay page's form and report as the console shows them: the candidate, the span and the break-down
chosen; what would change, for whom, because of which rules, and how those orders fared (observational)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb
from starlette.datastructures import QueryParams

from rules.facts import LINE_FACTS, ORDER_FACTS, FactType
from rules.replay import OUTCOME_METRICS
from rules.wording import OUTPUT_LABELS
from service.client.reading import outcome_words
from service.client.replay_summary import changed_line, fidelity_line
from service.console.health import KPI_WORDS
from service.console.i18n import Language
from service.console.logged_decision import label_of, value_words
from service.console.trials import DECISION_FIELDS

DEFAULT_LIMIT = 20_000
"""Orders a replay or the rule insights read unless asked for more (about 2 s of the service's time)."""
MOST_ORDERS = 1_000_000
"""The most the API reads in one call."""
DRAFT = "draft"
"""The candidate value that names the signed-in person's draft."""


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    chosen: bool


@dataclass(frozen=True, slots=True)
class ReplayForm:
    name: str
    candidates: tuple[Choice, ...]
    candidate_label: str
    """The chosen candidate as the result names it ("v2", "your draft")."""
    since: str
    until: str
    limit: str
    latest: bool
    by: tuple[Choice, ...]


def breakdown_facts() -> tuple[str, ...]:
    """The fact paths a replay can be broken down by, from the fact schema: the order's enum and yes/no
    facts, where it ships and how it was paid, and its lines' category, enum and yes/no facts."""
    kinds = (FactType.ENUM, FactType.BOOLEAN)
    order = [path for path, spec in ORDER_FACTS.items() if spec.type in kinds]
    order += ["ship_to.country", "ship_to.province", "payment_method"]
    lines = [f"lines.{name}" for name, spec in LINE_FACTS.items() if spec.type in kinds or name == "category"]
    return (*order, *lines)


def replay_form(
    name: str, versions: Sequence[pb.RuleSetVersion], has_draft: bool, params: QueryParams, lang: Language
) -> ReplayForm:
    """The form as asked (or its defaults): the candidate (the newest version that is not active, else the
    newest), all the log keeps, DEFAULT_LIMIT orders, the latest first, no breakdown."""
    newest = max((v.version for v in versions), default=0)
    default = max((v.version for v in versions if not v.active), default=newest)
    asked = params.get("candidate", "")
    chosen = asked if asked == DRAFT and has_draft else asked if asked.isdigit() else str(default)
    choices = version_choices(versions, chosen, lang)
    if has_draft:
        choices.insert(0, Choice(DRAFT, lang.gettext("your draft"), chosen == DRAFT))
    label = lang.gettext("your draft") if chosen == DRAFT else lang.gettext("v%(version)s", version=chosen)
    wanted = set(params.getlist("by"))
    by = tuple(Choice(path, label_of(path, lang), path in wanted) for path in breakdown_facts())
    return ReplayForm(
        name,
        tuple(choices),
        label,
        params.get("since", ""),
        params.get("until", ""),
        params.get("limit", "") or str(DEFAULT_LIMIT),
        params.get("order", "latest") != "oldest",
        by,
    )


def version_choices(versions: Sequence[pb.RuleSetVersion], chosen: str, lang: Language) -> list[Choice]:
    """Every published version, newest first, the active one marked."""
    return [
        Choice(
            str(v.version),
            lang.gettext("v%(version)s (active)", version=v.version)
            if v.active
            else lang.gettext("v%(version)s", version=v.version),
            str(v.version) == chosen,
        )
        for v in sorted(versions, key=lambda v: -v.version)
    ]


def replay_request(name: str, params: QueryParams, draft: pb.Draft | None, lang: Language) -> pb.ReplayRuleSetRequest:
    """The API request the form asks for; ValueError (in the page's language) naming what is wrong."""
    request = pb.ReplayRuleSetRequest(
        rule_set=name, limit=limit_of(params, lang), latest=params.get("order") != "oldest"
    )
    candidate = params.get("candidate", "")
    if candidate == DRAFT:
        if draft is None:
            raise ValueError(lang.gettext("You have no draft of this rule set: choose a published version."))
        request.candidate_source = draft.source
    elif candidate.isdigit() and int(candidate) > 0:
        request.candidate_version = int(candidate)
    else:
        raise ValueError(lang.gettext("Choose the candidate: a published version or your draft."))
    window_of(request, params, lang)
    request.by.extend(p for p in params.getlist("by") if p)
    return request


def limit_of(params: Mapping[str, str], lang: Language) -> int:
    text = params.get("limit", "").replace(",", "").strip()
    try:
        limit = int(text) if text else DEFAULT_LIMIT
    except ValueError:
        limit = 0
    if not 1 <= limit <= MOST_ORDERS:
        raise ValueError(
            lang.gettext("Orders: a whole number from 1 to %(most)s.", most=lang.number(MOST_ORDERS)),
        )
    return limit


def window_of(
    request: pb.ReplayRuleSetRequest | pb.GetRuleInsightsRequest, params: Mapping[str, str], lang: Language
) -> None:
    """From the start of the `since` day to the end of the `until` day (UTC); unset: all the log keeps."""
    since, until = _day(params, "since", lang), _day(params, "until", lang)
    if since is not None and until is not None and until < since:
        raise ValueError(lang.gettext("The last day is before the first."))
    if since is not None:
        request.since.CopyFrom(_stamp(datetime(since.year, since.month, since.day, tzinfo=UTC)))
    if until is not None:
        end = datetime(until.year, until.month, until.day, tzinfo=UTC) + timedelta(days=1)
        request.until.CopyFrom(_stamp(end))


def _day(params: Mapping[str, str], key: str, lang: Language) -> date | None:
    text = params.get(key, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(lang.gettext("%(field)s: a day as YYYY-MM-DD", field=text)) from None


def _stamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


@dataclass(frozen=True, slots=True)
class TransitionLine:
    label: str
    field: str
    from_value: str
    to_value: str
    orders: str
    share: str
    """Of the orders replayed."""


@dataclass(frozen=True, slots=True)
class SegmentLine:
    fact: str
    value: str
    replayed: str
    changed: str
    share: str


@dataclass(frozen=True, slots=True)
class CauseLine:
    rule_id: str
    orders: str
    share: str
    """Of the changed orders."""


@dataclass(frozen=True, slots=True)
class ExampleLine:
    order_id: str
    decision_id: str
    changes: tuple[tuple[str, str, str], ...]
    """(field label, before, after) of every field the candidate changes."""


@dataclass(frozen=True, slots=True)
class ExampleGroup:
    label: str
    field: str
    from_value: str
    to_value: str
    examples: tuple[ExampleLine, ...]


@dataclass(frozen=True, slots=True)
class OutcomeCell:
    value: str
    reports: str


@dataclass(frozen=True, slots=True)
class OutcomeLine:
    group: str
    """changed, unchanged or took."""
    who: str
    cells: tuple[OutcomeCell | None, ...]
    """One per OUTCOME_METRICS (None: nothing reported)."""


@dataclass(frozen=True, slots=True)
class ReplayView:
    candidate: str
    replayed: int
    changed_words: str
    changed: int
    fidelity: str
    not_reproduced: int
    trusted: bool
    not_reproduced_examples: tuple[str, ...]
    fields: tuple[TransitionLine, ...]
    segments: tuple[SegmentLine, ...]
    causes: tuple[CauseLine, ...]
    examples: tuple[ExampleGroup, ...]
    outcome_columns: tuple[str, ...]
    outcomes: tuple[OutcomeLine, ...]


def replay_view(r: pb.ReplayReport, candidate: str, lang: Language) -> ReplayView:
    def share(n: int, of: int) -> str:
        return lang.gettext("%(value)s%%", value=lang.number(n / of * 100 if of else 0.0, 2))

    fields = tuple(
        TransitionLine(
            lang.gettext(OUTPUT_LABELS.get(f.field, f.field)),
            f.field,
            _replayed_value(t.from_value, lang),
            _replayed_value(t.to_value, lang),
            lang.number(t.orders),
            share(t.orders, r.replayed),
        )
        for f in r.fields
        for t in f.transitions
    )
    segments = tuple(
        SegmentLine(
            s.fact,
            _replayed_value(s.value, lang),
            lang.number(s.replayed),
            lang.number(s.changed),
            share(s.changed, s.replayed),
        )
        for s in r.segments
    )
    causes = tuple(CauseLine(c.rule_id, lang.number(c.orders), share(c.orders, r.changed)) for c in r.causes)
    groups: dict[tuple[str, str, str], list[ExampleLine]] = {}
    for e in r.examples:
        groups.setdefault((e.field, e.from_value, e.to_value), []).append(_example(e, lang))
    examples = tuple(
        ExampleGroup(
            lang.gettext(OUTPUT_LABELS.get(f, f)), f, _replayed_value(a, lang), _replayed_value(b, lang), tuple(items)
        )
        for (f, a, b), items in groups.items()
    )
    return ReplayView(
        candidate,
        r.replayed,
        changed_line(r, lang),
        r.changed,
        fidelity_line(r, lang) or lang.gettext("Every logged decision was reproduced by the version that made it."),
        r.not_reproduced,
        r.trusted,
        tuple(r.not_reproduced_examples),
        fields,
        segments,
        causes,
        examples,
        tuple(lang.gettext(KPI_WORDS[m]) for m in OUTCOME_METRICS),
        tuple(_outcome_line(g, lang) for g in r.outcomes),
    )


def _replayed_value(value: str, lang: Language) -> str:
    """A value as the replay report writes it (rules.replay: "True", "-" for none, "unknown", "no lines"),
    in the page's words."""
    words = {"True": "yes", "False": "no", "unknown": "unknown", "no lines": "no lines"}
    if value in words:
        return lang.gettext(words[value])
    return "–" if value in ("-", "") else value


def _example(e: pb.ReplayExample, lang: Language) -> ExampleLine:
    before, after = json.loads(e.before_json or "{}"), json.loads(e.after_json or "{}")
    changes = tuple(
        (lang.gettext(OUTPUT_LABELS.get(f, f)), value_words(before.get(f), lang), value_words(after.get(f), lang))
        for f in DECISION_FIELDS
        if before.get(f) != after.get(f)
    )
    return ExampleLine(e.order_id, e.decision_id, changes)


def _outcome_line(g: pb.ReplayOutcomes, lang: Language) -> OutcomeLine:
    if g.group == "changed":
        who = lang.gettext("Orders the candidate would change")
    elif g.group == "unchanged":
        who = lang.gettext("Orders it would leave as they are")
    else:
        who = lang.gettext(
            "Orders already decided with %(field)s %(value)s",
            field=lang.gettext(OUTPUT_LABELS.get(g.field, g.field)),
            value=g.value,
        )
    found = {k.metric: k for k in g.kpis}
    cells = tuple(
        OutcomeCell(outcome_words(m, found[m].mean, lang), lang.number(found[m].reports))
        if m in found and found[m].reports
        else None
        for m in OUTCOME_METRICS
    )
    return OutcomeLine(g.group, who, cells)
