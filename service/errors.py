"""Errors the service raises, and the one place they become gRPC status codes.

    ServiceError(message)
    ├── NotFound             -> NOT_FOUND
    ├── FailedPrecondition   -> FAILED_PRECONDITION
    ├── InvalidArgument      -> INVALID_ARGUMENT (names the field)
    ├── Unauthenticated      -> UNAUTHENTICATED (no or unknown bearer token)
    ├── PermissionDenied     -> PERMISSION_DENIED (the caller's roles do not allow the call)
    └── StorageError         -> INTERNAL (a bug: Redis rejected a command)
        └── StorageUnavailable -> UNAVAILABLE (Redis unreachable or timing out)

rules.InvalidOrder -> INVALID_ARGUMENT with the field path;
rules.RuleSetInvalid -> INVALID_ARGUMENT with the first diagnostics;
experiments.InvalidExperiment / InvalidOutcome -> INVALID_ARGUMENT with the field path;
experiments.WrongState -> FAILED_PRECONDITION.
"""

from __future__ import annotations

import grpc

from experiments import InvalidExperiment, InvalidOutcome, WrongState
from rules import InvalidOrder, RuleSetInvalid


class ServiceError(Exception):
    status = grpc.StatusCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    status = grpc.StatusCode.NOT_FOUND


class FailedPrecondition(ServiceError):
    status = grpc.StatusCode.FAILED_PRECONDITION


class InvalidArgument(ServiceError):
    status = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Unauthenticated(ServiceError):
    status = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(ServiceError):
    status = grpc.StatusCode.PERMISSION_DENIED


class StorageError(ServiceError):
    status = grpc.StatusCode.INTERNAL


class StorageUnavailable(StorageError):
    status = grpc.StatusCode.UNAVAILABLE


def status_of(exc: Exception) -> tuple[grpc.StatusCode, str]:
    """The status code and message a caller sees for an error."""
    if isinstance(exc, ServiceError):
        return exc.status, exc.message
    if isinstance(exc, InvalidOrder | InvalidExperiment | InvalidOutcome):
        return grpc.StatusCode.INVALID_ARGUMENT, exc.message
    if isinstance(exc, WrongState):
        return grpc.StatusCode.FAILED_PRECONDITION, exc.message
    if isinstance(exc, RuleSetInvalid):
        lines = [d.render() for d in exc.diagnostics if d.is_error][:20]
        return grpc.StatusCode.INVALID_ARGUMENT, "rule set is invalid:\n" + "\n".join(lines)
    return grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}"
