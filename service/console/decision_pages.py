"""The console's pages over the decision log with inputs (DecisionService): why an order went where it did
(a logged decision, the order's inputs as logged, and every rule's trace), what a candidate would change on
the logged orders (replay), and per rule how the orders it decided fared beside the rest (rule insights).
Figures from logged orders are observational, not causal, and the pages say so. Each handler calls the API
(service.console.api) and hands plain view models to one template."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import grpc
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rules.model import RuleSet
from rules.parse import parse_rule_set
from service.console.api import ApiError, ServiceApi
from service.console.i18n import Language
from service.console.insights_view import insights_form, insights_request, insights_view
from service.console.logged_decision import LoggedDecision, logged_decision
from service.console.replay_view import replay_form, replay_request, replay_view
from service.console.sessions import Session

Render = Callable[..., Response]
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
