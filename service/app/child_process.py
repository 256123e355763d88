"""A helper process started with `spawn` (never forked from a threaded server), talked to over a pipe.

The target is called as target(connection, *args) and sends "ready" once it can
take work; service.app.isolated_check and loadtest.engine_fuzz keep one each.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any


def start_child(
    target: Callable[..., None], args: tuple[Any, ...], name: str, start_seconds: float
) -> tuple[BaseProcess, Connection]:
    """The started process and the parent's end of its pipe, once it said it is ready."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(child, *args), name=name, daemon=True)
    process.start()
    child.close()
    try:
        ready = parent.poll(start_seconds) and parent.recv() == "ready"
    except (EOFError, OSError):
        ready = False
    if not ready:
        stop_child(process, parent)
        raise RuntimeError(f"the {name} process did not start")
    return process, parent


def stop_child(process: BaseProcess | None, connection: Connection | None) -> int | None:
    """Closes the pipe and ends the process (killed if it still runs a second later); its exit code."""
    if connection is not None:
        connection.close()
    if process is None:
        return None
    process.join(1)
    if process.exitcode is None:
        process.kill()
        process.join(5)
    return process.exitcode
