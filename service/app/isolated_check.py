"""Rule set checks (parse, validate, compile, run the rule set's own tests) in a child process.

durable_rules can loop forever holding the GIL, or crash the process, on rule
sets beyond limits nobody measured yet. A check runs in a long-lived child
(started with `spawn`, never forked from the gRPC server) with a time and a
memory limit: a hang or crash there kills only the child, which is replaced,
and the caller gets a clear refusal naming the source; the server goes on
routing. Checks are serialised (one child); the child restarts on demand.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from rules import CheckResult
from rules._child_check import serve
from service.errors import InvalidArgument

log = logging.getLogger(__name__)

CHECK_SECONDS = 30.0
"""A check of the largest rule set allowed takes well under a second here; beyond this it hangs."""
CHECK_MEMORY_BYTES = 2 * 1024**3
START_SECONDS = 60.0
"""For the child to import the rule engine and say it is ready (not counted in a check's time)."""


class IsolatedChecker:
    def __init__(self, timeout: float = CHECK_SECONDS, memory_bytes: int = CHECK_MEMORY_BYTES) -> None:
        self._timeout = timeout
        self._memory = memory_bytes
        self._lock = threading.Lock()
        self._child: BaseProcess | None = None
        self._connection: Connection | None = None

    def __call__(self, source: str, file: str) -> CheckResult:
        """rules.check(source, file), or InvalidArgument on `source` if checking it hangs or crashes."""
        with self._lock:
            connection = self._connect()
            connection.send((source, file))
            name = file or "the rule set"
            try:
                if not connection.poll(self._timeout):
                    self._stop()
                    log.warning("checking %s took longer than %g s; the check process is replaced", file, self._timeout)
                    raise InvalidArgument("source", f"checking {name} took longer than {self._timeout:g} s")
                answer = connection.recv()
            except (EOFError, OSError):
                code = self._stop()
                log.warning("checking %s ended the check process (exit %s); it is replaced", file, code)
                raise InvalidArgument("source", f"checking {name} crashed the rule engine (exit {code})") from None
            if isinstance(answer, MemoryError):
                self._stop()
                raise InvalidArgument("source", f"checking {name} needed more memory than a check may use")
            if isinstance(answer, Exception):
                raise answer  # a defect in the checker, reported as one (INTERNAL), not blamed on the source
            assert isinstance(answer, CheckResult), answer
            return answer

    def _connect(self) -> Connection:
        if self._child is None or not self._child.is_alive() or self._connection is None:
            self._stop()
            context = multiprocessing.get_context("spawn")
            parent, child = context.Pipe()
            self._child = context.Process(target=serve, args=(child, self._memory), name="rule-check", daemon=True)
            self._child.start()
            child.close()
            if not parent.poll(START_SECONDS) or parent.recv() != "ready":
                raise RuntimeError("the rule check process did not start")
            self._connection = parent
        return self._connection

    def _stop(self) -> int | None:
        """Ends the child (killed if it still runs a second after its pipe closed); its exit code."""
        child, connection = self._child, self._connection
        self._child = self._connection = None
        if connection is not None:
            connection.close()
        if child is None:
            return None
        child.join(1)
        if child.exitcode is None:
            child.kill()
            child.join(5)
        return child.exitcode

    def close(self) -> None:
        with self._lock:
            self._stop()


_shared: IsolatedChecker | None = None
_shared_lock = threading.Lock()


def shared_checker() -> IsolatedChecker:
    """The process' one checker: replicas and test apps in one process share its child."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = IsolatedChecker()
            atexit.register(_shared.close)
        return _shared
