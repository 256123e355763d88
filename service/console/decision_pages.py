"""The console's pages over the decision log with inputs (DecisionService): why an order went where it did
(a logged decision, the order's inputs as logged, and every rule's trace), what a candidate would change on
the logged orders (replay), and per rule how the orders it decided fared beside the rest (rule insights).
Figures from logged orders are observational, not causal, and the pages say so. Each handler calls the API
(service.console.api) and hands plain view models to one template."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from markupsafe import Markup
from orderroute.v1 import orderroute_pb2 as pb
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from experiments.model import METRICS
from rules.facts import LINE_FACTS, ORDER_FACTS, FactType
from rules.model import AllOf, AnyOf, Compare, Condition, LineScope, Not, RuleSet
from rules.parse import parse_rule_set
from rules.replay import OUTCOME_METRICS
from rules.wording import OUTPUT_LABELS, comparison_words, fact_label
from service.client.reading import OUTCOME_RATES, MetricRow, outcome_change_words, outcome_tone, outcome_words
from service.client.replay_summary import changed_line, fidelity_line
from service.console.api import ApiError, ServiceApi
from service.console.charts import bar_scale, interval_bar
from service.console.health import KPI_WORDS
from service.console.i18n import Language
from service.console.pages import when
from service.console.sessions import Session
from service.console.trials import DECISION_FIELDS

Render = Callable[..., Response]
DEFAULT_LIMIT = 20_000
"""Orders a replay or the rule insights read unless asked for more (about 2 s of the service's time)."""
MOST_ORDERS = 1_000_000
"""The most the API reads in one call."""
DRAFT = "draft"
"""The candidate value that names the signed-in person's draft."""
HASHED_PREFIX = "hmac:"
"""How the input log marks a value it replaced by its keyed hash (service.app.masking)."""
INSIGHT_KPIS = ("exception", "on_time", "complaint", "logistics_cost_minor", "fulfilment_hours")
"""The outcomes rule insights compare, in the order the rules are ranked by (worst exception rate first)."""
REFUSALS = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION)
"""What the API answers that the person can correct on the form: shown there, not as an error page."""


def decision_routes(
    api: ServiceApi,
    render: Render,
    signed_in: Callable[..., Callable[[Request], Awaitable[Response]]],
    language: Callable[[Request], Language],
    actor: Callable[[Session, Mapping[str, str]], str],
) -> list[Route]:
    def lookup(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        lang, params = language(request), request.query_params
        key, rule_set = params.get("q", "").strip(), params.get("rule_set", "").strip()
        names = [s.name for s in api.rule_sets(session.token)]
        shown: list[LoggedDecision] = []
        not_found, problem, status = False, "", 200
        if key:
            try:
                found = api.explain(key, session.token, rule_set)
            except ApiError as exc:
                if exc.code is grpc.StatusCode.NOT_FOUND:
                    found, not_found, status = [], True, 404
                elif exc.code is grpc.StatusCode.INVALID_ARGUMENT:
                    found, problem, status = [], exc.message, 400
                else:
                    raise
            versions: dict[tuple[str, int], RuleSet | None] = {}
            for d in found:
                if (d.rule_set, d.version) not in versions:
                    versions[(d.rule_set, d.version)] = _rule_set(api, d.rule_set, d.version, session.token)
                shown.append(logged_decision(d, versions[(d.rule_set, d.version)], lang))
        values = {"q": key, "rule_set": rule_set, "names": names, "not_found": not_found, "problem": problem}
        return render(request, "decisions.html", session, status, decisions=shown, **values)

    def replay(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        name, lang, params = request.path_params["name"], language(request), request.query_params
        versions = api.versions(name, session.token)
        owner = actor(session, {})
        draft = api.draft(name, owner, session.token) if owner and session.caller.may("author") else None
        form = replay_form(name, versions, draft is not None, params, lang)
        result, problem, status = None, "", 200
        if params.get("run"):
            try:
                asked = replay_request(name, params, draft, lang)
                result = replay_view(api.replay(asked, session.token), form.candidate_label, lang)
            except ValueError as exc:
                problem, status = str(exc), 400
            except ApiError as exc:
                if exc.code not in REFUSALS:
                    raise
                problem, status = exc.message, 400
        return render(request, "replay.html", session, status, form=form, result=result, problem=problem)

    def insights(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        name, lang, params = request.path_params["name"], language(request), request.query_params
        versions = api.versions(name, session.token)
        form, view, problem, status = insights_form(versions, params, lang), None, "", 200
        try:
            asked = insights_request(name, params, lang)
            view = insights_view(api.insights(asked, session.token), lang)
        except ValueError as exc:
            problem, status = str(exc), 400
        except ApiError as exc:
            if exc.code not in REFUSALS:
                raise
            problem, status = exc.message, 400
        return render(request, "insights.html", session, status, name=name, form=form, view=view, problem=problem)

    return [
        Route("/decisions", signed_in(lookup)),
        Route("/rule-sets/{name}/replay", signed_in(replay)),
        Route("/rule-sets/{name}/insights", signed_in(insights)),
    ]


def _rule_set(api: ServiceApi, name: str, version: int, token: str) -> RuleSet | None:
    """The version that made a decision, parsed, to word its tests in the page's language (None: the
    service's English words are shown)."""
    try:
        source = api.version(name, version, token).source
    except ApiError:
        return None
    parsed, _ = parse_rule_set(source, f"{name} v{version}")
    return parsed


# ------------------------------------------------------------ a logged decision


@dataclass(frozen=True, slots=True)
class DecidedField:
    label: str
    field: str
    value: str
    decided_by: str


@dataclass(frozen=True, slots=True)
class FactLine:
    path: str
    label: str
    value: str
    masked: str
    """"" (logged as given), "hashed" (its keyed hash was logged) or "dropped" (not logged)."""


@dataclass(frozen=True, slots=True)
class FactList:
    """A list of records among the inputs (the order's lines, its candidate warehouses): a row each."""

    path: str
    columns: tuple[tuple[str, str, str], ...]
    """(name, masked: "", "hashed" or "dropped", the fact's description for a line's fact)."""
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class TestLine:
    fact: str
    label: str
    test: str
    """The test in words, in the page's language ("at least 3")."""
    scope: str
    """"" on the order; any_line, all_lines or no_line."""
    negated: bool
    value: str
    """The order's value in words ("unknown" when the order lacks it; each line's for a line scope)."""
    held: str
    """yes, no or unknown."""
    missing: bool


@dataclass(frozen=True, slots=True)
class TracedRule:
    rule_id: str
    priority: int
    is_default: bool
    matched: str
    """yes, no or unknown."""
    decided: str
    """The labels of the fields it decided ("" when none)."""
    tests: tuple[TestLine, ...]


@dataclass(frozen=True, slots=True)
class LoggedDecision:
    decision_id: str
    order_id: str
    rule_set: str
    version: int
    content_hash: str
    at: str
    experiment_id: str
    arm: str
    """baseline or candidate ("" outside an experiment)."""
    decided: tuple[DecidedField, ...]
    matched: tuple[str, ...]
    default_rule_used: bool
    missing: tuple[str, ...]
    masked: tuple[FactLine, ...]
    facts: tuple[FactLine, ...]
    lists: tuple[FactList, ...]
    rules: tuple[TracedRule, ...]
    disagreements: tuple[str, ...]


TRUTH = {pb.TRUTH_TRUE: "yes", pb.TRUTH_FALSE: "no", pb.TRUTH_UNKNOWN: "unknown"}


def logged_decision(d: pb.ExplainedDecision, rule_set: RuleSet | None, lang: Language) -> LoggedDecision:
    """A logged decision as the page shows it; `rule_set` (the version that made it) words its tests in
    the page's language."""
    deciders: dict[str, list[str]] = {}
    for r in d.rules:
        for name in r.decided:
            deciders.setdefault(name, []).append(r.rule_id)
    logged = json.loads(d.decided_json or "{}")
    decided = tuple(
        DecidedField(
            lang.gettext(OUTPUT_LABELS[f]), f, _value_words(logged.get(f), lang), ", ".join(deciders.get(f, []))
        )
        for f in DECISION_FIELDS
        if f in logged
    )
    facts, lists = _inputs(json.loads(d.inputs_json or "{}"), frozenset(d.masked), lang)
    masked = tuple(_masked_line(path, facts, lists, lang) for path in d.masked)
    worded = _test_words(rule_set, lang) if rule_set is not None else {}
    missing = frozenset(d.missing_facts)
    rules = []
    for i, r in enumerate(d.rules):
        labels = ", ".join(lang.gettext(OUTPUT_LABELS.get(f, f)) for f in r.decided)
        words = worded.get(r.rule_id, ())
        if [fact for fact, _ in words] != [t.fact for t in r.tests]:
            words = tuple((t.fact, t.test) for t in r.tests)  # the version reads otherwise: the service's words
        tests = tuple(
            _test_line(t, test, missing, frozenset(d.masked), lang) for t, (_, test) in zip(r.tests, words, strict=True)
        )
        is_default = i == len(d.rules) - 1 and not r.tests
        rules.append(TracedRule(r.rule_id, r.priority, is_default, TRUTH.get(r.matched, "unknown"), labels, tests))
    return LoggedDecision(
        d.decision_id,
        d.order_id,
        d.rule_set,
        d.version,
        d.content_hash[:19],
        when(d.decided_at, lang),
        d.experiment_id,
        {pb.ARM_BASELINE: "baseline", pb.ARM_CANDIDATE: "candidate"}.get(d.arm, ""),
        decided,
        tuple(d.matched_rules),
        d.default_rule_used,
        tuple(d.missing_facts),
        masked,
        facts,
        lists,
        tuple(rules),
        tuple(d.disagreements),
    )


def _test_line(
    t: pb.TestExplanation, test: str, missing: frozenset[str], masked: frozenset[str], lang: Language
) -> TestLine:
    """A test's line; the order's value as the engine saw it: a fact it lacked is marked missing (as the
    decision logged them), one the log masked says so, and one merely not given (no tags) is "–"."""
    value = json.loads(t.value_json or "null")
    path = f"lines.{t.fact}" if t.scope else t.fact
    lacking = path in missing
    if t.scope:
        lines = value if isinstance(value, list) else []
        shown = "; ".join(_value_words(v, lang) for v in lines) or lang.gettext("no lines")
        absent = bool(lines) and all(v is None for v in lines)
    else:
        shown, absent = _value_words(value, lang), value is None
    if absent and path in masked:
        shown = lang.gettext("masked: not logged")
    elif absent and not lacking:
        shown = "–"
    held = TRUTH.get(t.held, "unknown")
    return TestLine(t.fact, fact_label(t.fact, lang), test, t.scope, t.negated, shown, held, lacking)


def _test_words(rule_set: RuleSet, lang: Language) -> dict[str, tuple[tuple[str, str], ...]]:
    """Rule id -> its tests as (fact, words), in the order rules.explain traces them."""
    return {
        rule.id: tuple(_compares(rule.when, lang)) if rule.when is not None else ()
        for rule in (*rule_set.rules, rule_set.default)
    }


def _compares(condition: Condition, lang: Language) -> Iterator[tuple[str, str]]:
    match condition:
        case Compare():
            yield condition.fact, comparison_words(condition, lang)
        case AllOf(items) | AnyOf(items):
            for item in items:
                yield from _compares(item, lang)
        case Not(item) | LineScope(_, item):
            yield from _compares(item, lang)


def _value_words(value: Any, lang: Language) -> str:
    """A logged value as the page writes it: "unknown" for none, yes / no, numbers for the language."""
    if value is None:
        return lang.gettext("unknown")
    if isinstance(value, bool):
        return lang.gettext("yes") if value else lang.gettext("no")
    if isinstance(value, int | float):
        return lang.number(value, 6)
    if isinstance(value, list):
        return ", ".join(_value_words(v, lang) for v in value) or "–"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value) if value != "" else "–"


def _inputs(
    facts: Mapping[str, Any], masked: frozenset[str], lang: Language
) -> tuple[tuple[FactLine, ...], tuple[FactList, ...]]:
    """The order's facts as logged, a line each (dotted paths), and its lists of records as tables."""
    lines: list[FactLine] = []
    lists: list[FactList] = []
    for path, value in _flattened(facts, ""):
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lists.append(_fact_list(path, value, masked, lang))
            continue
        mark = _mark(path, [value]) if path in masked else ""
        lines.append(FactLine(path, _label(path, lang), _value_words(value, lang), mark))
    return tuple(lines), tuple(lists)


def _flattened(value: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for key, inner in value.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(inner, dict):
            yield from _flattened(inner, path)
        else:
            yield path, inner


def _fact_list(path: str, records: Sequence[Mapping[str, Any]], masked: frozenset[str], lang: Language) -> FactList:
    names: list[str] = []
    for record in records:
        names += [k for k in record if k not in names]
    columns = tuple(
        (
            name,
            _mark(f"{path}.{name}", [r.get(name) for r in records]) if f"{path}.{name}" in masked else "",
            _label(f"{path}.{name}", lang) if path == "lines" else "",
        )
        for name in names
    )
    rows = tuple(tuple(_cell(r.get(name)) for name in names) for r in records)
    return FactList(path, columns, rows)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _mark(path: str, values: Sequence[Any]) -> str:
    return "hashed" if any(isinstance(v, str) and v.startswith(HASHED_PREFIX) for v in values) else "dropped"


def _masked_line(path: str, facts: Sequence[FactLine], lists: Sequence[FactList], lang: Language) -> FactLine:
    """A masked path as the page lists it: hashed (its hash is among the inputs) or dropped."""
    shown = next((f for f in facts if f.path == path), None)
    if shown is not None:
        return shown
    head, _, name = path.rpartition(".")
    column = next((mark for lst in lists if lst.path == head for n, mark, _ in lst.columns if n == name), "dropped")
    return FactLine(path, _label(path, lang), "", column)


def _label(path: str, lang: Language) -> str:
    name = path.removeprefix("lines.")
    if path in ORDER_FACTS or path.startswith("attributes.") or (path.startswith("lines.") and name in LINE_FACTS):
        return fact_label(name, lang)
    return ""


# ------------------------------------------------------------ replay


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
    choices = _version_choices(versions, chosen, lang)
    if has_draft:
        choices.insert(0, Choice(DRAFT, lang.gettext("your draft"), chosen == DRAFT))
    label = lang.gettext("your draft") if chosen == DRAFT else lang.gettext("v%(version)s", version=chosen)
    wanted = set(params.getlist("by"))
    by = tuple(Choice(path, _label(path, lang), path in wanted) for path in breakdown_facts())
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


def _version_choices(versions: Sequence[pb.RuleSetVersion], chosen: str, lang: Language) -> list[Choice]:
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
    request = pb.ReplayRuleSetRequest(rule_set=name, limit=_limit(params, lang), latest=params.get("order") != "oldest")
    candidate = params.get("candidate", "")
    if candidate == DRAFT:
        if draft is None:
            raise ValueError(lang.gettext("You have no draft of this rule set: choose a published version."))
        request.candidate_source = draft.source
    elif candidate.isdigit() and int(candidate) > 0:
        request.candidate_version = int(candidate)
    else:
        raise ValueError(lang.gettext("Choose the candidate: a published version or your draft."))
    _window(request, params, lang)
    request.by.extend(p for p in params.getlist("by") if p)
    return request


def _limit(params: Mapping[str, str], lang: Language) -> int:
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


def _window(
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
        (lang.gettext(OUTPUT_LABELS.get(f, f)), _value_words(before.get(f), lang), _value_words(after.get(f), lang))
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


# ------------------------------------------------------------ rule insights


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
    choices = tuple(_version_choices(versions, asked if asked.isdigit() else str(active), lang))
    return InsightsForm(
        choices, params.get("since", ""), params.get("until", ""), params.get("limit", "") or str(DEFAULT_LIMIT)
    )


def insights_request(name: str, params: Mapping[str, str], lang: Language) -> pb.GetRuleInsightsRequest:
    version = params.get("version", "")
    request = pb.GetRuleInsightsRequest(
        rule_set=name, limit=_limit(params, lang), version=int(version) if version.isdigit() else 0
    )
    _window(request, params, lang)
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
    return RuleInsightView(
        rule.rule_id,
        rule.priority,
        rule.default_rule,
        lang.number(rule.matched),
        lang.number(rule.decided),
        fields,
        kpis,
        tuple(k.label for k in kpis if k.tone == "worse"),
    )


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
