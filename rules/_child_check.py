"""The loop of a child process that checks rule sets (service.app.isolated_check starts it).

It imports only the rule language, so it starts quickly under `spawn`; its
address space is capped, so a runaway engine fails here with MemoryError
instead of growing the server.
"""

from __future__ import annotations

import resource
from multiprocessing.connection import Connection

import rules


def serve(connection: Connection, memory_bytes: int) -> None:
    """Answers (source, file) with rules.check(source, file) until the connection closes."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    connection.send("ready")
    while True:
        try:
            source, file = connection.recv()
        except EOFError:
            return
        try:
            connection.send(rules.check(source, file))
        except MemoryError:
            connection.send(MemoryError("the rule set needs more memory than a check may use"))
        except Exception as exc:  # noqa: BLE001 - a defect in the checker: the parent reports it, the loop goes on
            connection.send(RuntimeError(f"rules.check failed: {exc!r}"))
