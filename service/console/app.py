"""The console as a Starlette application: sessions, language, CSRF, and the pages' routes."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import grpc
from jinja2 import Environment, FileSystemLoader, select_autoescape
from orderroute.v1 import orderroute_pb2 as pb
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from rules.editing import EditError, add_test
from service.console.api import ApiError, Caller, ServiceApi
from service.console.blast import blast_routes
from service.console.decision_pages import decision_routes
from service.console.drafts import Checks, checks_view, draft_page, operator_choices
from service.console.edits import edited
from service.console.experiment_pages import experiment_routes
from service.console.experiments import timeline_entries
from service.console.i18n import LANGUAGE_NAMES, LOCALES, Language, negotiate
from service.console.pages import change_lines, history_lines, rule_set_row, version_page, version_row
from service.console.sessions import COOKIE, Session, Sessions
from service.console.trials import (
    CompareLine,
    compare_view,
    expectation,
    order_document,
    order_of,
    trial_view,
    tried_text,
    try_panel,
)

HERE = Path(__file__).parent
KEPT_CHOICES = ("rule", "fact", "scope", "group", "field", "op")
"""What the draft's editing forms had chosen, chosen again on the page after an edit."""
PRODUCT = "orderroute"
"""A name, the same in every language."""
HTMX = "htmx-2.0.11.min.js"
"""Vendored and pinned (0BSD); its SHA-256 is checked by tests/service/console/test_assets.py."""
ERROR_STATUS = {
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
}
NOTICES = {
    "approved": "You approved this version.",
    "rejected": "You rejected this version.",
    "activated": "This version is active now.",
    "published": "Published: a reviewer can approve it now.",
}
"""What a finished action shows on the page it returns to (?done=...)."""
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    auth_enabled: bool
    """Whether the service checks tokens (then everyone signs in with theirs)."""
    secure_cookies: bool = False
    """Set under TLS: the session cookie is then sent over HTTPS only."""
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    """Signs session cookies; a new one per process unless set (sessions then end at a restart)."""


def create_app(channel: grpc.Channel, settings: ConsoleSettings) -> Starlette:
    api = ServiceApi(channel)
    sessions = Sessions(settings.secret)
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(),
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def language(request: Request) -> Language:
        return Language(negotiate(request.cookies.get("lang"), request.headers.get("accept-language", "")))

    def session_of(request: Request) -> Session | None:
        return sessions.find(request.cookies.get(COOKIE))

    def render(request: Request, template: str, session: Session | None, status: int = 200, **values: Any) -> Response:
        lang = language(request)
        page = templates.get_template(template).render(
            _=lang.gettext,
            lang=lang,
            languages=[(code, LANGUAGE_NAMES[code]) for code in LOCALES],
            here=quote(request.url.path),
            caller=session.caller if session else None,
            csrf=session.csrf if session else "",
            open_access=not settings.auth_enabled,
            htmx=HTMX,
            product=PRODUCT,
            **values,
        )
        response = HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)
        return response

    def signed_in(
        handler: Callable[[Request, Session, Mapping[str, str]], Response], form: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """The handler with the request's session (and, for a form, its fields once its CSRF token is
        checked): without authentication everyone has a session; with it, whoever has none (or whose
        token the service no longer takes) signs in first. The handler runs on a worker thread: it
        waits on gRPC calls."""

        async def run(request: Request) -> Response:
            session = session_of(request)
            fresh = None
            if session is None and not settings.auth_enabled:
                fresh, session = sessions.create("", Caller(False, "", frozenset()))
            if session is None:
                return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)
            fields: dict[str, str] = {}
            if form:
                posted = await request.form()
                fields = {k: str(v) for k, v in posted.items()}
                if not session.csrf_ok(fields.get("csrf", "")):
                    return render(request, "error.html", session, 403, error="CSRF", code="PERMISSION_DENIED")
            try:
                response = await run_in_threadpool(handler, request, session, fields)
            except ApiError as exc:
                if exc.code is grpc.StatusCode.UNAUTHENTICATED:
                    return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)
                status = ERROR_STATUS.get(exc.code, 400)
                response = render(request, "error.html", session, status, error=exc.message, code=exc.code.name)
            if fresh is not None:
                _set_session(response, fresh, settings)
            return response

        return run

    def home(request: Request) -> Response:
        return RedirectResponse("/rule-sets", status_code=303)

    def sign_in_form(request: Request) -> Response:
        if not settings.auth_enabled:
            return RedirectResponse("/rule-sets", status_code=303)
        return render(request, "sign_in.html", None, next=_local(request.query_params.get("next", "")), error="")

    async def sign_in(request: Request) -> Response:
        form = await request.form()
        token, target = str(form.get("token", "")).strip(), _local(str(form.get("next", "")))
        lang = language(request)
        try:
            caller = api.caller(token) if token else None
        except ApiError as exc:
            caller = None
            if exc.code is not grpc.StatusCode.UNAUTHENTICATED:
                return render(request, "sign_in.html", None, 503, next=target, error=exc.message)
        if caller is None:
            error = lang.gettext("That token is not one the service knows. Paste the whole token.")
            return render(request, "sign_in.html", None, 401, next=target, error=error)
        cookie, _ = sessions.create(token, caller)
        response = RedirectResponse(target or "/rule-sets", status_code=303)
        _set_session(response, cookie, settings)
        return response

    async def sign_out(request: Request) -> Response:
        form = await request.form()
        session = session_of(request)
        if session is None or not session.csrf_ok(str(form.get("csrf", ""))):
            return Response("CSRF", status_code=403)
        sessions.end(request.cookies.get(COOKIE))
        response = RedirectResponse("/sign-in" if settings.auth_enabled else "/rule-sets", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    def switch_language(request: Request) -> Response:
        code = request.path_params["code"]
        response = RedirectResponse(_local(request.query_params.get("next", "")) or "/", status_code=303)
        if code in LOCALES:
            response.set_cookie("lang", code, max_age=365 * 86400, samesite="strict", httponly=True)
        return response

    def rule_sets(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        lang = language(request)
        experiments = api.unfinished_experiments(session.token)
        rows = [
            rule_set_row(s, api.latest_audit_entry(s.name, session.token), experiments.get(s.name), lang)
            for s in api.rule_sets(session.token)
        ]
        return render(request, "rule_sets.html", session, rows=rows)

    def rule_set(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        name = request.path_params["name"]
        versions = api.versions(name, session.token)
        active = next((v.version for v in versions if v.active), 0)
        rows = [version_row(v, active, language(request)) for v in versions]
        may_author = session.caller.may("author")
        return render(request, "rule_set.html", session, name=name, rows=rows, active=active, may_author=may_author)

    def version(
        request: Request, session: Session, _: Mapping[str, str], notice: str = "", error: str = "", **trial: Any
    ) -> Response:
        name, number = request.path_params["name"], request.path_params["version"]
        lang = language(request)
        shown = api.version(name, number, session.token)
        active_version = shown if shown.active else api.version(name, 0, session.token)
        page = version_page(shown, session.caller, active_version.version, lang)
        checks = checks_of(shown, session)
        changes = () if shown.active else change_lines(active_version, shown, lang)
        notice = notice or lang.gettext(NOTICES.get(request.query_params.get("done", ""), "")) if not error else ""
        values = {**try_panel(lang), **trial}
        status = 409 if error else 200
        extra = {"checks": checks, "lines": changes, "name": name, "new_version": number}
        return render(
            request, "version.html", session, status, page=page, notice=notice, error=error, **values, **extra
        )

    def checks_of(shown: pb.RuleSetVersion, session: Session) -> Checks | None:
        """The version's checks, for those who may run them (authors and reviewers)."""
        if not (session.caller.may("author") or session.caller.may("reviewer")):
            return None
        return checks_view(api.validate(shown.source, f"{shown.name} v{shown.version}", session.token))

    def try_order(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        name, number, lang = request.path_params["name"], request.path_params["version"], language(request)
        text, trial, problem = "", None, ""
        try:
            text = tried_text(form)
            trial = trial_view(api.try_version(name, number, order_of(text), session.token), lang)
        except ValueError as exc:
            problem = str(exc)
        except ApiError as exc:
            if exc.code is not grpc.StatusCode.INVALID_ARGUMENT:
                raise
            problem = exc.message
        marks = trial.marks if trial is not None else {}
        if request.headers.get("HX-Request"):  # htmx swaps the result in (and the marked table); else the page
            page = version_page(api.version(name, number, session.token), session.caller, 0, lang)
            table: dict[str, Any] = {"page": page, "oob_table": "_version_table.html", "marks": marks}
            return render(request, "_trial.html", session, trial=trial, problem=problem, **table)
        return version(request, session, form, trial=trial, problem=problem, order_text=text, filled=form, marks=marks)

    # ------------------------------------------------------------ drafts

    def draft(request: Request, session: Session, form: Mapping[str, str], error: str = "", **trial: Any) -> Response:
        name, owner = request.path_params["name"], actor(session, {})
        if not owner:
            return render(request, "draft_name.html", session, name=name)
        found = api.draft(name, owner, session.token)
        if found is None:  # a new draft starts from the active version
            active = api.version(name, 0, session.token)
            found = api.save_draft(name, active.source, active.version, owner, session.token)
        check = api.validate(found.source, f"{name} (draft)", session.token)
        page = draft_page(found, check, (form or request.query_params).get("fact", ""), language(request))
        values = {**try_panel(language(request)), **trial}
        chosen = {key: (form or request.query_params).get(key, "") for key in KEPT_CHOICES}
        status = 409 if error else 200
        return render(request, "draft.html", session, status, page=page, error=error, chosen=chosen, **values)

    def draft_name(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        actor(session, form)
        return RedirectResponse(f"/rule-sets/{quote(request.path_params['name'])}/draft", status_code=303)

    def draft_operators(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        choices = operator_choices(request.query_params.get("fact", ""))
        return render(request, "_operators.html", session, operators=choices)

    def draft_edit(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        name, owner = request.path_params["name"], actor(session, form)
        found = api.draft(name, owner, session.token)
        if found is None:
            return RedirectResponse(f"/rule-sets/{quote(name)}/draft", status_code=303)
        try:
            source = edited(found.source, form)
        except (EditError, ValueError) as exc:
            return draft(request, session, form, error=str(exc))
        api.save_draft(name, source, found.base_version, owner, session.token)
        kept = urlencode({key: form[key] for key in KEPT_CHOICES if form.get(key)})  # the next edit starts there
        return RedirectResponse(f"/rule-sets/{quote(name)}/draft" + (f"?{kept}" if kept else ""), status_code=303)

    def draft_yaml(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        """Saves the YAML as typed; htmx (as the person types) gets the checks back, a plain form the page."""
        name, owner = request.path_params["name"], actor(session, form)
        found = api.draft(name, owner, session.token)
        base = found.base_version if found is not None else 0
        saved = api.save_draft(name, form.get("source", ""), base, owner, session.token)
        if request.headers.get("HX-Request"):
            check = api.validate(saved.source, f"{name} (draft)", session.token)
            page = draft_page(saved, check, "", language(request))
            return render(request, "_draft_checks.html", session, page=page)
        return RedirectResponse(f"/rule-sets/{quote(name)}/draft", status_code=303)

    def draft_try(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        name, owner, lang = request.path_params["name"], actor(session, form), language(request)
        found = api.draft(name, owner, session.token)
        text, trial, problem, active_version = "", None, "", 0
        compare: tuple[CompareLine, ...] = ()
        try:
            text = tried_text(form)
            order = order_of(text)
            reply = api.try_source(found.source if found else "", order, session.token)
            trial = trial_view(reply, lang) if reply.HasField("decision") else None
            problem = "" if trial else lang.gettext("The draft has errors: fix them to try an order.")
            if trial is not None:  # beside what the active version decides for the same order
                active = api.try_version(name, 0, order, session.token)
                compare, active_version = compare_view(trial, trial_view(active, lang)), active.decision.version
        except ValueError as exc:
            problem = str(exc)
        except ApiError as exc:
            if exc.code is not grpc.StatusCode.INVALID_ARGUMENT:
                raise
            problem = exc.message
        saving: dict[str, Any] = {
            "save_to": f"/rule-sets/{quote(name)}/draft/save-test" if trial else "",
            "tried_order": text,
            "compare": compare,
            "active_version": active_version,
        }
        saving["marks"] = trial.marks if trial is not None else {}
        if request.headers.get("HX-Request"):
            if trial is not None and found is not None:  # the table too, its rows marked for this order
                check = pb.ValidateRuleSetResponse(diagnostics=reply.diagnostics, tests=reply.tests)
                saving |= {"page": draft_page(found, check, "", lang), "oob_table": "_draft_table.html"}
            return render(request, "_trial.html", session, trial=trial, problem=problem, **saving)
        return draft(request, session, form, trial=trial, problem=problem, order_text=text, filled=form, **saving)

    def draft_save_test(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        """The tried order and what the draft decided for it, as a test case of the draft."""
        name, owner = request.path_params["name"], actor(session, form)
        found = api.draft(name, owner, session.token)
        if found is None:
            return RedirectResponse(f"/rule-sets/{quote(name)}/draft", status_code=303)
        text = form.get("order", "")
        try:
            reply = api.try_source(found.source, order_of(text), session.token)
            if not reply.HasField("decision"):
                raise ValueError(language(request).gettext("The draft has errors: fix them to try an order."))
            source = add_test(
                found.source,
                form.get("test_name", "").strip() or "tried order",
                order_document(text),
                expectation(reply),
            )
        except (EditError, ValueError) as exc:
            return draft(request, session, form, error=str(exc))
        api.save_draft(name, source, found.base_version, owner, session.token)
        return RedirectResponse(f"/rule-sets/{quote(name)}/draft", status_code=303)

    def draft_publish(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        name, owner = request.path_params["name"], actor(session, form)
        found = api.draft(name, owner, session.token)
        if found is None:
            return RedirectResponse(f"/rule-sets/{quote(name)}/draft", status_code=303)
        try:
            published = api.publish(found.source, form.get("comment", ""), owner, session.token)
        except ApiError as exc:
            if exc.code is not grpc.StatusCode.INVALID_ARGUMENT:
                raise
            return draft(request, session, form, error=exc.message)
        api.delete_draft(name, owner, session.token)
        number = published.version.version
        return RedirectResponse(f"/rule-sets/{quote(name)}/versions/{number}?done=published", status_code=303)

    def draft_discard(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        name = request.path_params["name"]
        api.delete_draft(name, actor(session, form), session.token)
        return RedirectResponse(f"/rule-sets/{quote(name)}", status_code=303)

    def review(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        name, number = request.path_params["name"], request.path_params["version"]
        approve = form.get("decision") == "approve"
        try:
            api.review(name, number, approve, form.get("comment", ""), actor(session, form), session.token)
        except ApiError as exc:
            if exc.code not in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT):
                raise
            return version(request, session, form, error=exc.message)
        done = "approved" if approve else "rejected"
        return RedirectResponse(f"/rule-sets/{quote(name)}/versions/{number}?done={done}", status_code=303)

    def activate(request: Request, session: Session, form: Mapping[str, str]) -> Response:
        name, number = request.path_params["name"], request.path_params["version"]
        reason, bypass = form.get("reason", "").strip(), form.get("bypass", "").strip()
        try:
            api.activate(name, number, reason, bypass, actor(session, form), session.token)
        except ApiError as exc:
            if exc.code not in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT):
                raise
            return version(request, session, form, error=exc.message)
        return RedirectResponse(f"/rule-sets/{quote(name)}/versions/{number}?done=activated", status_code=303)

    def changes(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        name, lang = request.path_params["name"], language(request)
        old, new = (_version_param(request, key) for key in ("from", "to"))
        before, after = api.version(name, old, session.token), api.version(name, new, session.token)
        lines = change_lines(before, after, lang)
        return render(
            request, "changes.html", session, name=name, old=before.version, new_version=after.version, lines=lines
        )

    def history(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        name, lang = request.path_params["name"], language(request)
        entries, active = history_entries(name, session, request)
        lines = history_lines(entries, active, session.caller, lang)
        filters = {k: request.query_params.get(k, "") for k in ("actor", "action", "since", "until")}
        return render(request, "history.html", session, name=name, lines=lines, filters=filters)

    def history_csv(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        name = request.path_params["name"]
        entries, _active = history_entries(name, session, request)
        return Response(
            audit_csv(entries),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}-history.csv"', **SECURITY_HEADERS},
        )

    def history_entries(name: str, session: Session, request: Request) -> tuple[list[tuple[pb.AuditEntry, str]], int]:
        """The rule set's audit and its experiments' transitions, newest first, as the filters ask."""
        wanted = HistoryFilter.of(request.query_params)
        entries = [(e, "") for e in api.audit(name, session.token)]
        for experiment in api.experiments(session.token):
            if experiment.rule_set == name:
                entries += timeline_entries(experiment, api.experiment(experiment.id, session.token).transitions)
        kept = [x for x in entries if wanted.keeps(x[0])]
        kept.sort(key=lambda x: (x[0].at.seconds, x[0].at.nanos), reverse=True)
        return kept, api.version(name, 0, session.token).version if kept else 0

    return Starlette(
        routes=[
            Route("/", home),
            Route("/sign-in", sign_in_form, methods=["GET"]),
            Route("/sign-in", sign_in, methods=["POST"]),
            Route("/sign-out", sign_out, methods=["POST"]),
            Route("/language/{code}", switch_language),
            Route("/rule-sets", signed_in(rule_sets)),
            Route("/rule-sets/{name}", signed_in(rule_set)),
            Route("/rule-sets/{name}/versions/{version:int}", signed_in(version)),
            Route("/rule-sets/{name}/versions/{version:int}/review", signed_in(review, form=True), methods=["POST"]),
            Route("/rule-sets/{name}/versions/{version:int}/try", signed_in(try_order, form=True), methods=["POST"]),
            Route(
                "/rule-sets/{name}/versions/{version:int}/activate", signed_in(activate, form=True), methods=["POST"]
            ),
            Route("/rule-sets/{name}/changes", signed_in(changes)),
            Route("/rule-sets/{name}/draft", signed_in(draft)),
            Route("/rule-sets/{name}/draft/name", signed_in(draft_name, form=True), methods=["POST"]),
            Route("/rule-sets/{name}/draft/operators", signed_in(draft_operators)),
            Route("/rule-sets/{name}/draft/edit", signed_in(draft_edit, form=True), methods=["POST"]),
            Route("/rule-sets/{name}/draft/yaml", signed_in(draft_yaml, form=True), methods=["POST"]),
            Route("/rule-sets/{name}/draft/try", signed_in(draft_try, form=True), methods=["POST"]),
            Route("/rule-sets/{name}/draft/save-test", signed_in(draft_save_test, form=True), methods=["POST"]),
            Route("/rule-sets/{name}/draft/publish", signed_in(draft_publish, form=True), methods=["POST"]),
            Route("/rule-sets/{name}/draft/discard", signed_in(draft_discard, form=True), methods=["POST"]),
            Route("/rule-sets/{name}/history", signed_in(history)),
            Route("/rule-sets/{name}/history.csv", signed_in(history_csv)),
            *experiment_routes(api, render, signed_in, language, actor),
            *blast_routes(api, render, signed_in, language),
            *decision_routes(api, render, signed_in, language, actor),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
    )


def _set_session(response: Response, cookie: str, settings: ConsoleSettings) -> None:
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", secure=settings.secure_cookies)


def actor(session: Session, form: Mapping[str, str]) -> str:
    """Who the audit names: the token's name (the service takes it from the token), or without
    authentication the name the person gave (on this form, or earlier in the session)."""
    given = form.get("actor", "").strip()
    if given and not session.caller.name:
        session.person = given
    return session.caller.name or given or session.person


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """Which history entries a person asked for: by who (part of the name), what, and from / to a day."""

    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    @staticmethod
    def of(params: Mapping[str, str]) -> HistoryFilter:
        return HistoryFilter(
            params.get("actor", "").strip().lower(),
            params.get("action", ""),
            _day(params, "since"),
            _day(params, "until"),
        )

    def keeps(self, e: pb.AuditEntry) -> bool:
        day = e.at.ToDatetime(tzinfo=UTC).date()
        return (
            (not self.actor or self.actor in e.actor.lower())
            and (not self.action or e.action == self.action)
            and (self.since is None or day >= self.since)
            and (self.until is None or day <= self.until)
        )


def _day(params: Mapping[str, str], key: str) -> date | None:
    try:
        return date.fromisoformat(params.get(key, ""))
    except ValueError:
        return None  # the date input sends YYYY-MM-DD; anything else filters nothing


def _version_param(request: Request, key: str) -> int:
    try:
        return max(int(request.query_params.get(key, "0")), 0)
    except ValueError:
        return 0


def audit_csv(entries: list[tuple[pb.AuditEntry, str]]) -> str:
    """The history as CSV: one row per entry, newest first, times in UTC (ISO 8601); an experiment's
    transition with the path of its results snapshot."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["at_utc", "action", "version", "actor", "reason", "bypass_reason", "previous_version", "snapshot"]
    writer.writerow(header)
    for e, snapshot in entries:
        at = e.at.ToDatetime(tzinfo=UTC).isoformat()
        row = [at, e.action, e.version, e.actor, e.reason, e.bypass_reason, e.previous_version or "", snapshot]
        writer.writerow(row)
    return out.getvalue()


def _local(target: str) -> str:
    """Only a path on this console: a link elsewhere is not followed after sign-in (open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else ""
