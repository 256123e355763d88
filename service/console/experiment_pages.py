"""The console's gray-release pages (the experiments list, starting one, its results, acting on it, a
transition's snapshot) and a rule set's order health. Every action is a call of the API with the
person's token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import grpc
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from service.console.api import ApiError, ServiceApi
from service.console.experiments import (
    ACTION_MARKS,
    delivery_line,
    list_row,
    results_page,
    snapshot_lines,
    start_form,
    start_request,
)
from service.console.health import SPAN_WORDS, SPANS, health_page
from service.console.i18n import Language
from service.console.sessions import Session

Handler = Callable[[Request, Session, Mapping[str, str]], Response]
Render = Callable[..., Response]
LISTED = 50
"""Experiments the list shows (newest first); each costs a results read."""
ACTIONS = ("ramp", "pause", "resume", "promote", "rollback", "abort")
REFUSALS = (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ABORTED)
"""What the API answers a person can act on: shown on the page, not as an error page."""


def experiment_routes(
    api: ServiceApi,
    render: Render,
    signed_in: Callable[..., Callable[[Request], Awaitable[Response]]],
    language: Callable[[Request], Language],
    actor: Callable[[Session, Mapping[str, str]], str],
) -> list[Route]:
    def listing(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        lang = language(request)
        rows = []
        for e in api.experiments(session.token)[:LISTED]:
            got = api.experiment(e.id, session.token)
            rows.append(list_row(e, api.results(e.id, session.token), got.transitions, lang))
        names = [s.name for s in api.rule_sets(session.token)]
        may_start = session.caller.may("reviewer")
        return render(request, "experiments.html", session, rows=rows, names=names, may_start=may_start)

    def new(request: Request, session: Session, form: Mapping[str, str], error: str = "") -> Response:
        name = request.query_params.get("rule_set", "") or form.get("rule_set", "")
        page = start_form(name, api.versions(name, session.token), language(request))
        status = 409 if error else 200
        return render(
            request, "experiment_new.html", session, status, page=page, error=error, sent=form, person=session.person
        )

    def start(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        name = form.get("rule_set", "")
        try:
            started = api.start_experiment(start_request(name, form, actor(session, form)), session.token)
        except ValueError as exc:
            return new(request, session, form, error=str(exc))
        except ApiError as exc:
            if exc.code not in REFUSALS:
                raise
            return new(request, session, form, error=exc.message)
        return RedirectResponse(f"/experiments/{quote(started.id)}", status_code=303)

    def results(request: Request, session: Session, form: Mapping[str, str], error: str = "") -> Response:
        experiment_id, lang = request.path_params["id"], language(request)
        got = api.experiment(experiment_id, session.token)
        page = results_page(
            api.results(experiment_id, session.token), got, api.history(experiment_id, session.token), lang
        )
        may_act = session.caller.may("reviewer")
        values: dict[str, Any] = {"page": page, "error": error, "may_act": may_act, "person": session.person}
        return render(request, "experiment.html", session, 409 if error else 200, **values)

    def act(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        experiment_id, action = request.path_params["id"], request.path_params["action"]
        if action not in ACTIONS:
            return render(request, "error.html", session, 404, error=action, code="NOT_FOUND")
        try:
            share = round(float(form.get("share", "") or 0) * 100) if action == "ramp" else 0
            api.change_experiment(
                action,
                experiment_id,
                form.get("reason", "").strip(),
                form.get("etag", ""),
                actor(session, form),
                session.token,
                share,
            )
        except ValueError:
            return results(request, session, form, error=language(request).gettext("share: a number in percent"))
        except ApiError as exc:
            if exc.code not in REFUSALS:
                raise
            return results(request, session, form, error=exc.message)
        return RedirectResponse(f"/experiments/{quote(experiment_id)}", status_code=303)

    def health(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        name, span = request.path_params["name"], request.query_params.get("span", "1h")
        seconds, bucket = SPANS.get(span, SPANS["1h"])
        reply = api.order_health(name, seconds, bucket, session.token)
        page = health_page(name, span if span in SPANS else "1h", reply, language(request))
        return render(request, "health.html", session, page=page, spans=SPAN_WORDS)

    def notifications(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        lang = language(request)
        reply = api.deliveries(session.token)
        lines = [delivery_line(d, lang) for d in reply.deliveries]
        return render(request, "notifications.html", session, reply=reply, lines=lines)

    def snapshot(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        experiment_id, index = request.path_params["id"], request.path_params["index"]
        got = api.experiment(experiment_id, session.token)
        if not 0 <= index < len(got.transitions):
            return render(request, "error.html", session, 404, error=str(index), code="NOT_FOUND")
        t = got.transitions[index]
        verdict, rows = snapshot_lines(t, language(request))
        action = language(request).gettext(ACTION_MARKS.get(t.action, t.action))
        values = {"experiment": got.experiment, "t": t, "action": action, "verdict": verdict, "rows": rows}
        return render(request, "experiment_snapshot.html", session, **values)

    return [
        Route("/experiments", signed_in(listing)),
        Route("/experiments", signed_in(start, form=True), methods=["POST"]),
        Route("/experiments/new", signed_in(new)),
        Route("/experiments/{id}", signed_in(results)),
        Route("/experiments/{id}/transitions/{index:int}", signed_in(snapshot)),
        Route("/experiments/{id}/{action}", signed_in(act, form=True), methods=["POST"]),
        Route("/rule-sets/{name}/health", signed_in(health)),
        Route("/notifications", signed_in(notifications)),
    ]
