"""How an error reaches a caller: a gRPC status code, the human message, and the standard rich
details (`google.rpc.Status` in the `grpc-status-details-bin` trailer) that a Go, Java or Node
client decodes without parsing text.

    every error          ErrorInfo: a stable reason (RULE_SET_NOT_FOUND, EXPERIMENT_WRONG_STATE, ...),
                         domain DOMAIN, and what it is about (metadata)
    a bad field          BadRequest: one FieldViolation naming it (order.lines[0].qty)
    an invalid rule set  BadRequest: a violation per error diagnostic (source:LINE), and each
                         diagnostic whole (orderroute.v1.Diagnostic: file, line, rule, code, hint)
    a state forbids it   PreconditionFailure: what the state is about and why

    service.errors                         -> status
    NotFound                               NOT_FOUND
    FailedPrecondition (RuleSetHeld ...)   FAILED_PRECONDITION
    Conflict                               ABORTED (a concurrent change won: read again, retry)
    InvalidArgument                        INVALID_ARGUMENT, naming the field
    Unauthenticated / PermissionDenied     UNAUTHENTICATED / PERMISSION_DENIED
    Busy                                   RESOURCE_EXHAUSTED (a work class at its call slots)
    StorageUnavailable                     UNAVAILABLE
    StorageError                           INTERNAL (Redis rejected a command: a bug)
    rules.InvalidOrder, experiments.InvalidExperiment / InvalidOutcome
                                           INVALID_ARGUMENT, naming the field
    experiments.WrongState                 FAILED_PRECONDITION
    rules.RuleSetInvalid                   INVALID_ARGUMENT with the first diagnostics
    anything else                          INTERNAL, logged as a bug
"""

from __future__ import annotations

from typing import NoReturn

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from experiments import InvalidExperiment, InvalidOutcome, WrongState
from rules import InvalidOrder, RuleSetInvalid
from service.api.messages import diagnostic_to_proto
from service.errors import (
    Busy,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ServiceError,
    StorageError,
    StorageUnavailable,
    Unauthenticated,
)

DOMAIN = "orderroute.dev"
DETAILS_METADATA = "grpc-status-details-bin"
FIELD_METADATA = "orderroute-field"
"""The bad field's path, also as plain metadata (kept for clients that read it)."""

_STATUS: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (Conflict, grpc.StatusCode.ABORTED),
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (Busy, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (StorageUnavailable, grpc.StatusCode.UNAVAILABLE),
    (InvalidOrder, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidExperiment, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidOutcome, grpc.StatusCode.INVALID_ARGUMENT),
    (WrongState, grpc.StatusCode.FAILED_PRECONDITION),
)
"""First match wins: a subclass before its base (StorageUnavailable before StorageError)."""

_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (InvalidOrder, "INVALID_ORDER"),
    (InvalidExperiment, "INVALID_EXPERIMENT"),
    (InvalidOutcome, "INVALID_OUTCOME"),
    (WrongState, "EXPERIMENT_WRONG_STATE"),
    (RuleSetInvalid, "RULE_SET_INVALID"),
)
"""Reasons of the pure packages' errors (the service's own carry theirs: ServiceError.reason)."""


def status_of(exc: Exception) -> tuple[grpc.StatusCode, str]:
    """The status code and message a caller sees for an error."""
    if isinstance(exc, RuleSetInvalid):
        lines = [d.render() for d in exc.diagnostics if d.is_error][:20]
        return grpc.StatusCode.INVALID_ARGUMENT, "rule set is invalid:\n" + "\n".join(lines)
    for kind, code in _STATUS:
        if isinstance(exc, kind):
            return code, str(getattr(exc, "message", exc))
    if isinstance(exc, StorageError):
        return grpc.StatusCode.INTERNAL, exc.message
    return grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}"


def reason_of(exc: Exception) -> str:
    if isinstance(exc, ServiceError):
        return exc.reason
    return next((reason for kind, reason in _REASONS if isinstance(exc, kind)), "INTERNAL")


def rich_status(exc: Exception) -> status_pb2.Status:
    """The google.rpc.Status of an error: code, message and details."""
    code, message = status_of(exc)
    details: list[Message] = []
    metadata = {"type": type(exc).__name__} if code is not grpc.StatusCode.INTERNAL else {}
    field = getattr(exc, "field", "")
    if field:
        metadata["field"] = field
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[error_details_pb2.BadRequest.FieldViolation(field=field, description=message)]
            )
        )
    if isinstance(exc, RuleSetInvalid):
        errors = [d for d in exc.diagnostics if d.is_error]
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=f"source:{d.line}" if d.line else "source", description=d.render()
                    )
                    for d in errors
                ]
            )
        )
        details.extend(diagnostic_to_proto(d) for d in errors)
    if code is grpc.StatusCode.FAILED_PRECONDITION:
        subject = getattr(exc, "holder", "")
        details.append(
            error_details_pb2.PreconditionFailure(
                violations=[
                    error_details_pb2.PreconditionFailure.Violation(
                        type=reason_of(exc), subject=subject, description=message
                    )
                ]
            )
        )
    info = error_details_pb2.ErrorInfo(reason=reason_of(exc), domain=DOMAIN, metadata=metadata)
    packed = []
    for detail in [info, *details]:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    return status_pb2.Status(code=code.value[0], message=message, details=packed)


def field_of(status: status_pb2.Status) -> str:
    """The first bad field a status names (its BadRequest), "" if none: what a client reads."""
    for packed in status.details:
        request = error_details_pb2.BadRequest()
        if packed.Unpack(request) and request.field_violations:
            return str(request.field_violations[0].field)
    return ""


def abort(context: grpc.ServicerContext, exc: Exception) -> NoReturn:
    """Ends the call with the error's status, its rich details in the trailer."""
    status = rich_status(exc)
    trailer: list[tuple[str, str | bytes]] = [(DETAILS_METADATA, status.SerializeToString())]
    field = getattr(exc, "field", "")
    if field:
        trailer.append((FIELD_METADATA, field))
    context.set_trailing_metadata(tuple(trailer))
    code, message = status_of(exc)
    context.abort(code, message)
