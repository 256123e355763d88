"""What every RPC passes through: lenient request parsing, the caller's check, telemetry, and the one
place an error becomes a gRPC status (service.api.statuses: code, message and rich details).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Container
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from google.rpc import status_pb2
from orderroute.v1 import orderroute_pb2 as pb

from service.api.auth import CURRENT_CALLER, Authenticator, Caller, actor_for
from service.api.statuses import abort, rich_status, status_of
from service.errors import InvalidArgument, StorageError
from service.telemetry import Telemetry

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def error_to_proto(exc: Exception) -> status_pb2.Status:
    """A per-item error of a batch call: the status a call of its own would have ended with."""
    return rich_status(exc)


@dataclass(frozen=True, slots=True)
class Edge:
    """What every servicer does around a call: telemetry, and authentication when configured."""

    telemetry: Telemetry
    auth: Authenticator | None = None
    rule_sets: Container[str] = ()
    """Names that may label metrics; any other requested name is labelled "other" (labels stay bounded)."""

    def label(self, rule_set: str) -> str:
        return rule_set if not rule_set or rule_set in self.rule_sets else "other"

    def caller(self, method: str, context: grpc.ServicerContext) -> Caller | None:
        """Who calls, checked against the method's roles; None when authentication is off."""
        if self.auth is None:
            return None
        admitted = CURRENT_CALLER.get()
        if admitted is not None:
            return admitted  # authenticated and authorized for this call by the gate (service.api.admission)
        caller = self.auth.authenticate(context.invocation_metadata())
        self.auth.authorize(caller, method)
        return caller


@dataclass(frozen=True, slots=True)
class Malformed:
    """A request body that does not parse as its message type (handled answers INVALID_ARGUMENT)."""

    type_name: str
    reason: str


def lenient(message_type: Any) -> Callable[[bytes], Any]:
    """A request deserializer that never raises: gRPC itself would answer INTERNAL for bad bytes."""

    def parse(data: bytes) -> Any:
        try:
            return message_type.FromString(data)
        except Exception as exc:  # noqa: BLE001 - any decoding failure is the caller's bad input
            return Malformed(message_type.DESCRIPTOR.name, str(exc) or type(exc).__name__)

    return parse


def add_service(
    server: grpc.Server, servicer: Any, service: Any, pool_of: Callable[[str], Executor] | None = None
) -> None:
    """Registers every method of `service` (a descriptor) on `servicer`, with lenient request parsing;
    `pool_of(method)` names the thread pool a method runs in (None: the server's own)."""
    handlers = {
        method.name: (
            grpc.unary_stream_rpc_method_handler if method.server_streaming else grpc.unary_unary_rpc_method_handler
        )(
            _in_pool(getattr(servicer, method.name), pool_of(method.name) if pool_of else None),
            request_deserializer=lenient(getattr(pb, method.input_type.name)),
            response_serializer=getattr(pb, method.output_type.name).SerializeToString,
        )
        for method in service.methods
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.full_name, handlers),))
    server.add_registered_method_handlers(service.full_name, handlers)


def _in_pool(behavior: Callable[..., Any], pool: Executor | None) -> Callable[..., Any]:
    if pool is None:
        return behavior

    def run(request: Any, context: grpc.ServicerContext) -> Any:
        return behavior(request, context)

    run.experimental_thread_pool = pool  # type: ignore[attr-defined]  # read by grpc's server
    return run


def handled(method: F) -> F:
    """Checks the caller, turns any error into the right status, logs what is a bug."""
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        edge: Edge = self.edge
        telemetry = edge.telemetry
        try:
            label = edge.label(getattr(request, "rule_set", ""))
            with telemetry.rpc(name, label, self.SERVICE, context.invocation_metadata) as span:
                token = CURRENT_CALLER.set(edge.caller(name, context))
                try:
                    reply = method(self, _parsed(request), context)
                except Exception as exc:
                    if span.is_recording():
                        span.set_attribute("rpc.grpc.status_code", status_of(exc)[0].value[0])
                    raise
                finally:
                    CURRENT_CALLER.reset(token)
                if span.is_recording():
                    span.set_attribute("rpc.grpc.status_code", 0)
                    _describe(span, reply)
                return reply
        except Exception as exc:
            if isinstance(exc, StorageError):
                telemetry.redis_error(name)
            if status_of(exc)[0] is grpc.StatusCode.INTERNAL:
                log.exception("bug in %s", name)
            error = exc
        abort(context, error)

    return wrapper  # type: ignore[return-value]


def handled_stream(method: F) -> F:
    """`handled` for a server-streaming method: checks the caller, then streams what the method yields;
    an error, before or during the stream, ends it with the right status."""
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        edge: Edge = self.edge
        try:
            with edge.telemetry.rpc(
                name, edge.label(getattr(request, "rule_set", "")), self.SERVICE, context.invocation_metadata
            ):
                token = CURRENT_CALLER.set(edge.caller(name, context))
                try:
                    yield from method(self, _parsed(request), context)
                finally:
                    CURRENT_CALLER.reset(token)
                return
        except Exception as exc:
            if isinstance(exc, StorageError):
                edge.telemetry.redis_error(name)
            if status_of(exc)[0] is grpc.StatusCode.INTERNAL:
                log.exception("bug in %s", name)
            error = exc
        abort(context, error)

    return wrapper  # type: ignore[return-value]


def _parsed(request: Any) -> Any:
    if type(request) is Malformed:
        raise InvalidArgument("request", f"not a valid {request.type_name} message: {request.reason}")
    return request


def _describe(span: Any, reply: Any) -> None:
    """Span attributes that say what was decided (only when the span is sampled)."""
    decision = getattr(reply, "decision", None)
    if isinstance(decision, pb.Decision):
        span.set_attributes(
            {
                "orderroute.rule_set": decision.rule_set,
                "orderroute.version": decision.version,
                "orderroute.arm": pb.Arm.Name(decision.arm),
                "orderroute.path": decision.path,
                "orderroute.matched_rules": len(decision.matched_rules),
            }
        )
    elif isinstance(reply, pb.RouteBatchResponse):
        span.set_attribute("orderroute.orders", len(reply.results))


MAX_REQUEST_ID = 128


def request_id(value: str) -> str:
    """An optional request id, checked: short enough to keep as a key."""
    if len(value) > MAX_REQUEST_ID:
        raise InvalidArgument("request_id", f"must be at most {MAX_REQUEST_ID} characters, got {len(value):,}")
    return value


def require(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidArgument(field, "is required")
    return value


def actor(requested: str, field: str = "actor") -> str:
    """Who the audit entry names: the authenticated caller, or the request's field without auth."""
    return require(actor_for(requested), field)
