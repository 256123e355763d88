"""Which calls get a thread, and whose: work classes with their own threads and call slots, and
authentication before any of them is taken.

    class     methods                         threads            call slots (running + waiting)
    route     Route, RouteBatch               --threads          --max-concurrent-rpcs
    outcome   RecordOutcome(s)                OUTCOME_THREADS    OUTCOME_SLOTS
    control   rule sets, experiments          CONTROL_THREADS    CONTROL_SLOTS

A class only ever waits behind its own calls: while Redis is slow, outcome and
control calls (which need it) hold their own threads, and Route (which does
not) keeps its own. A class with all its slots taken answers RESOURCE_EXHAUSTED
at once.

The gate runs on gRPC's polling thread, before a thread or slot is taken: a call
without a valid token, or whose caller may not call the method, is answered
there and then from a small refusal pool, without reading its request, so
unauthenticated streams cannot hold the slots of anyone else. (gRPC's own
`maximum_concurrent_rpcs` still caps everything together, well above the sum.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import grpc

from service.api.auth import CURRENT_CALLER, Authenticator
from service.api.statuses import abort
from service.errors import Busy, PermissionDenied, Unauthenticated
from service.telemetry import Telemetry

OUTCOME_THREADS = 2
OUTCOME_SLOTS = 64
CONTROL_THREADS = 2
CONTROL_SLOTS = 32
REFUSAL_THREADS = 1
"""Refusals never read the request or touch storage: one thread answers thousands a second."""


class WorkClass(StrEnum):
    ROUTE = "route"
    OUTCOME = "outcome"
    CONTROL = "control"


_BY_METHOD = {
    "Route": WorkClass.ROUTE,
    "RouteBatch": WorkClass.ROUTE,
    "RecordOutcome": WorkClass.OUTCOME,
    "RecordOutcomes": WorkClass.OUTCOME,
}


def work_class(method: str) -> WorkClass:
    return _BY_METHOD.get(method, WorkClass.CONTROL)


class CountingPool(futures.ThreadPoolExecutor):
    """A thread pool that knows how many calls it holds, running or waiting (each submit is one
    call; its future ends whether or not the call ever ran its handler)."""

    def __init__(self, threads: int, name: str) -> None:
        super().__init__(max_workers=threads, thread_name_prefix=name)
        self._held = 0
        self._count_lock = threading.Lock()

    @property
    def held(self) -> int:
        return self._held

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> futures.Future[Any]:
        with self._count_lock:
            self._held += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._release)
        return future

    def _release(self, _future: futures.Future[Any]) -> None:
        with self._count_lock:
            self._held -= 1


@dataclass(frozen=True, slots=True)
class Lane:
    pool: CountingPool
    slots: int


class Admission:
    """The lanes of the work classes and the refusal pool, shared by all services of one server."""

    def __init__(self, route_threads: int, route_slots: int) -> None:
        self.lanes = {
            WorkClass.ROUTE: Lane(CountingPool(route_threads, "route"), route_slots),
            WorkClass.OUTCOME: Lane(CountingPool(OUTCOME_THREADS, "outcome"), OUTCOME_SLOTS),
            WorkClass.CONTROL: Lane(CountingPool(CONTROL_THREADS, "control"), CONTROL_SLOTS),
        }
        self.refusals = CountingPool(REFUSAL_THREADS, "refuse")

    @property
    def total_slots(self) -> int:
        return sum(lane.slots for lane in self.lanes.values())

    def pool_of(self, method: str) -> CountingPool:
        return self.lanes[work_class(method)].pool

    def shutdown(self) -> None:
        for pool in (*(lane.pool for lane in self.lanes.values()), self.refusals):
            pool.shutdown(wait=False, cancel_futures=True)


class Gate(grpc.ServerInterceptor):
    """Authenticates, authorizes and admits each call of the service's own methods."""

    def __init__(
        self, admission: Admission, auth: Authenticator | None, telemetry: Telemetry, prefix: str = "/orderroute."
    ) -> None:
        self._admission = admission
        self._auth = auth
        self._telemetry = telemetry
        self._prefix = prefix

    def intercept_service(self, continuation: Callable[[Any], Any], details: grpc.HandlerCallDetails) -> Any:
        full_name: str = details.method
        if not full_name.startswith(self._prefix):
            return continuation(details)  # health and reflection: open, default pool
        method = full_name.rsplit("/", 1)[-1]
        if self._auth is not None:
            try:
                caller = self._auth.authenticate(details.invocation_metadata)
                self._auth.authorize(caller, method)
            except (Unauthenticated, PermissionDenied) as exc:
                return self._refusal(method, "unauthenticated" if isinstance(exc, Unauthenticated) else "denied", exc)
            # gRPC runs the handler in the context this runs in: the servicer sees the caller.
            CURRENT_CALLER.set(caller)
        lane = self._admission.lanes[work_class(method)]
        if lane.pool.held >= lane.slots:
            busy = Busy(f"{work_class(method)} calls are at their limit of {lane.slots}; retry shortly")
            return self._refusal(method, "busy", busy)
        return continuation(details)

    def _refusal(self, method: str, reason: str, exc: Exception) -> grpc.RpcMethodHandler[Any, Any]:
        """A handler that answers at once: request-streaming, so gRPC does not wait for the request."""
        telemetry = self._telemetry

        def refuse(_requests: Any, context: grpc.ServicerContext) -> None:
            telemetry.refused(method, reason)
            abort(context, exc)

        refuse.experimental_thread_pool = self._admission.refusals  # type: ignore[attr-defined]
        return grpc.stream_unary_rpc_method_handler(refuse)
