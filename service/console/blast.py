"""A version's blast radius on its review page: what it would change on the latest logged orders,
fetched by htmx after the page has loaded (a replay of a few thousand orders takes longer than the page
itself); without JavaScript the page links to the full replay instead."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.client.replay_summary import BLAST_ORDERS, fidelity_line, field_changes
from service.console.api import ApiError, ServiceApi
from service.console.i18n import Language
from service.console.sessions import Session

Handler = Callable[[Request, Session, Mapping[str, str]], Response]


def blast_routes(
    api: ServiceApi,
    render: Callable[..., Response],
    signed_in: Callable[[Handler], Callable[[Request], Awaitable[Response]]],
    language: Callable[[Request], Language],
) -> list[Route]:
    def blast(request: Request, session: Session, _: Mapping[str, str]) -> Response:
        name, number, lang = request.path_params["name"], request.path_params["version"], language(request)
        values: dict[str, Any] = {"name": name, "version": number, "lines": (), "fidelity": "", "error": ""}
        try:
            request_ = pb.ReplayRuleSetRequest(rule_set=name, candidate_version=number, limit=BLAST_ORDERS, latest=True)
            report = api.replay(request_, session.token)
            values.update(lines=field_changes(report, lang), fidelity=fidelity_line(report, lang))
        except ApiError as exc:
            values["error"] = exc.message
        return render(request, "_blast_radius.html", session, **values)

    return [Route("/rule-sets/{name}/versions/{version:int}/blast", signed_in(blast))]
