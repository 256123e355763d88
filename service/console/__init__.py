"""The web console: rule sets in a browser, for the people who change routing.

Server-rendered pages (Starlette, Jinja2, htmx vendored and pinned, no build step); a client of the
gRPC API like the CLI, so every action passes the same validation, roles and audit.

    server    start_console: uvicorn on its own thread (orderroute serve, orderroute console)
    app       create_app: routes, sessions, language, CSRF
    pages     view models of the pages, from API messages
    tables    a rule set version as a decision table (cells in rules.wording's plain words)
    i18n      English and Simplified Chinese (the catalog in locale/), locale formats
    sessions  signed session cookies, CSRF tokens
    api       the gRPC calls the console makes, with the signed-in person's token

May import: rules (pure), service.client, the generated orderroute.v1 code. Nothing of the server
side (service.app, service.storage, service.api).
"""

from service.console.app import ConsoleSettings, create_app
from service.console.server import DEFAULT_PORT, ConsoleError, RunningConsole, start_console

__all__ = ["DEFAULT_PORT", "ConsoleError", "ConsoleSettings", "RunningConsole", "create_app", "start_console"]
