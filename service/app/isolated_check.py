"""Rule set checks (parse, validate, compile, run the rule set's own tests) in a child process.

durable_rules can loop forever holding the GIL, or crash the process, on rule
sets beyond limits nobody measured yet. A check runs in a long-lived child
(started with `spawn`, never forked from the gRPC server) with a time and a
memory limit: a hang or crash there kills only the child, which is replaced,
and the caller gets a clear refusal naming the source; the server goes on
routing. Checks are serialised (one child); the child restarts on demand.

A child is also replaced after RECYCLE_CHECKS checks, or as soon as a check
leaves it holding more than RECYCLE_RSS_BYTES, so whatever the engine keeps per
check stays bounded. A check's own rulesets are freed (rules.engine), but
durable_rules leaks the ruleset, and one of its 131,071 handles, whenever it
refuses to create one (src/rules/rete.c `createRuleset` takes the handle before
building the tree and drops both on an error): ~300 KB per engine-rejected
source. Without the bound, a child would grow until its address-space limit
turned valid sources into refusals. Replacing it costs the next check ~0.5 s.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from rules import CheckResult
from rules._child_check import serve
from service.app.child_process import start_child, stop_child
from service.errors import InvalidArgument

log = logging.getLogger(__name__)

CHECK_SECONDS = 30.0
"""A check of the largest rule set allowed takes well under a second here; beyond this it hangs."""
CHECK_MEMORY_BYTES = 2 * 1024**3
START_SECONDS = 60.0
"""For the child to import the rule engine and say it is ready (not counted in a check's time)."""
RECYCLE_CHECKS = 500
"""Checks one child answers before a new one takes over (its start, ~0.5 s, is paid once per this many)."""
RECYCLE_RSS_BYTES = 256 * 1024**2
"""A child holding more than this after a check is replaced (it starts at ~30 MB; the largest rule
set allowed needs well under this; the address-space limit, CHECK_MEMORY_BYTES, is far above)."""


class IsolatedChecker:
    def __init__(
        self,
        timeout: float = CHECK_SECONDS,
        memory_bytes: int = CHECK_MEMORY_BYTES,
        recycle_checks: int = RECYCLE_CHECKS,
        recycle_rss_bytes: int = RECYCLE_RSS_BYTES,
    ) -> None:
        self._timeout = timeout
        self._memory = memory_bytes
        self._recycle_checks = recycle_checks
        self._recycle_rss_bytes = recycle_rss_bytes
        self._lock = threading.Lock()
        self._child: BaseProcess | None = None
        self._connection: Connection | None = None
        self._checks = 0
        """Checks the current child has answered."""
        self.recycled = 0
        """Children replaced to bound their memory (not counting those a hang or crash ended)."""

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
            self._recycle_if_spent()
            if isinstance(answer, Exception):
                raise answer  # a defect in the checker, reported as one (INTERNAL), not blamed on the source
            assert isinstance(answer, CheckResult), answer
            return answer

    def _recycle_if_spent(self) -> None:
        """Ends the child once it answered its share of checks or holds too much (the next check starts
        a new one): what the engine leaks in it can never grow past that."""
        self._checks += 1
        child = self._child
        resident = _resident_bytes(child.pid) if child is not None and child.pid is not None else None
        if self._checks < self._recycle_checks and (resident is None or resident <= self._recycle_rss_bytes):
            return
        held = "unknown" if resident is None else f"{resident / 1024**2:.0f} MiB"
        log.info("the check process answered %d checks and holds %s; it is replaced", self._checks, held)
        self._stop()
        self.recycled += 1

    def _connect(self) -> Connection:
        if self._child is None or not self._child.is_alive() or self._connection is None:
            self._stop()
            self._child, self._connection = start_child(serve, (self._memory,), "rule-check", START_SECONDS)
            self._checks = 0
        return self._connection

    def _stop(self) -> int | None:
        """Ends the child (killed if it still runs a second after its pipe closed); its exit code."""
        child, connection = self._child, self._connection
        self._child = self._connection = None
        return stop_child(child, connection)

    def close(self) -> None:
        with self._lock:
            self._stop()


def _resident_bytes(pid: int) -> int | None:
    """The resident set size of a process (Linux /proc), None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


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
