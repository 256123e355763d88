"""Errors every layer of the service may raise; service.api.boundary turns them into gRPC statuses.

    ServiceError(message)
    ├── NotFound             the rule set, version, experiment or decision does not exist
    ├── FailedPrecondition   the current state forbids the call (retrying the same call will not help)
    ├── Conflict             another replica changed the same thing meanwhile: read again and retry
    ├── InvalidArgument      a request field is bad; names the field
    ├── Unauthenticated      no or an unknown bearer token
    ├── PermissionDenied     the caller's roles do not allow the call
    ├── Busy                 the call's work class has all its call slots taken: retry shortly
    └── StorageError         Redis rejected a command (a bug)
        └── StorageUnavailable   Redis unreachable or timing out: retrying later can work

The pure packages raise their own (rules.InvalidOrder, rules.RuleSetInvalid,
experiments.ExperimentError and its kinds); the boundary maps those too.
This module imports nothing, so every layer can share it. Messages quote what a
caller sent through `shown`, so a 16 KB id is not echoed back whole.
"""

from __future__ import annotations

SHOWN_CHARACTERS = 80


def shown(value: str) -> str:
    """`value` quoted for a message, cut to SHOWN_CHARACTERS with how much was left out."""
    if len(value) <= SHOWN_CHARACTERS:
        return repr(value)
    return f"{value[:SHOWN_CHARACTERS]!r}… ({len(value):,} characters)"


class ServiceError(Exception):
    REASON = "INTERNAL"
    """The stable reason a client may switch on (google.rpc.ErrorInfo.reason); the message is for people."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.REASON


class NotFound(ServiceError):
    REASON = "NOT_FOUND"
    RULE_SET = "RULE_SET_NOT_FOUND"
    VERSION = "VERSION_NOT_FOUND"
    EXPERIMENT = "EXPERIMENT_NOT_FOUND"
    DECISION = "DECISION_NOT_FOUND"


class FailedPrecondition(ServiceError):
    REASON = "FAILED_PRECONDITION"


class Conflict(ServiceError):
    """A compare-and-set lost to a concurrent change; nothing was written."""

    REASON = "CONCURRENT_CHANGE"


class InvalidArgument(ServiceError):
    REASON = "INVALID_FIELD"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Unauthenticated(ServiceError):
    REASON = "UNAUTHENTICATED"


class PermissionDenied(ServiceError):
    REASON = "PERMISSION_DENIED"


class Busy(ServiceError):
    REASON = "BUSY"


class StorageError(ServiceError):
    REASON = "STORAGE_ERROR"


class StorageUnavailable(StorageError):
    REASON = "STORAGE_UNAVAILABLE"
