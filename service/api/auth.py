"""Who may call what: bearer tokens that map to roles.

    router    Route, RouteBatch, RecordOutcome(s)
    author    ValidateRuleSet, PublishRuleSet, drafts
    reviewer  ActivateRuleSet, starting and changing experiments
    admin     everything

Reading (rule sets, diffs, audit log, experiments, results, order health, who the caller is) needs any valid
token. Health and reflection are open (load balancers and grpcurl need them).

The token file (or the same document in ORDERROUTE_TOKENS) lists callers:

    tokens:
      - name: oms                 # recorded as the actor of what it does
        roles: [router]
        sha256: 5e88...           # hex SHA-256 of the token (preferred), or
      - name: alice
        roles: [author, reviewer]
        token: s3cret-from-a-vault

A presented token is hashed and compared with every entry's hash in
constant time, so neither timing nor an early exit tells which part matched.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from rules._yaml import YamlError, line_of, load_yaml
from service.api.settings import ConfigError
from service.errors import PermissionDenied, Unauthenticated


class Role(StrEnum):
    ROUTER = "router"
    AUTHOR = "author"
    REVIEWER = "reviewer"
    ADMIN = "admin"


_ROUTE = frozenset({Role.ROUTER})
_AUTHOR = frozenset({Role.AUTHOR})
_REVIEW = frozenset({Role.REVIEWER})
_ANY = frozenset(Role)

METHOD_ROLES: Mapping[str, frozenset[Role]] = {
    "Route": _ROUTE,
    "RouteBatch": _ROUTE,
    "RecordOutcome": _ROUTE,
    "RecordOutcomes": _ROUTE,
    "ValidateRuleSet": _AUTHOR | _REVIEW,  # a reviewer weighs the checks too
    "TryRuleSet": _ANY,
    "PublishRuleSet": _AUTHOR,
    "SaveDraft": _AUTHOR,
    "GetDraft": _AUTHOR,
    "DeleteDraft": _AUTHOR,
    "ActivateRuleSet": _REVIEW,
    "ReviewRuleSet": _REVIEW,
    "GetRuleSet": _ANY,
    "ListRuleSets": _ANY,
    "ListRuleSetVersions": _ANY,
    "DiffRuleSets": _ANY,
    "GetAuditLog": _ANY,
    "StartExperiment": _REVIEW,
    "RampExperiment": _REVIEW,
    "PauseExperiment": _REVIEW,
    "ResumeExperiment": _REVIEW,
    "RollbackExperiment": _REVIEW,
    "AbortExperiment": _REVIEW,
    "PromoteExperiment": _REVIEW,
    "GetExperiment": _ANY,
    "ListExperiments": _ANY,
    "GetResults": _ANY,
    "GetResultsHistory": _ANY,
    "GetCaller": _ANY,
    "GetOrderHealth": _ANY,
    "ListWebhookDeliveries": _REVIEW,
    "ExplainDecision": _AUTHOR | _REVIEW,
    "ReplayRuleSet": _AUTHOR | _REVIEW,
    "GetRuleInsights": _AUTHOR | _REVIEW,
}


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    roles: frozenset[Role]


CURRENT_CALLER: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("caller", default=None)
"""The authenticated caller of the RPC this thread is handling (None: authentication is off)."""


def actor_for(requested: str) -> str:
    """The name an audit entry records: the authenticated caller, or (auth off) what the request says.

    An authenticated caller acting for someone else is recorded as both, the caller first.
    """
    caller = CURRENT_CALLER.get()
    if caller is None:
        return requested.strip()
    requested = requested.strip()
    return caller.name if not requested or requested == caller.name else f"{caller.name} (for {requested})"


def bypass_for(reason: str) -> str:
    """The reason to go live without the approvals required, if the caller may give one (an admin, or
    anyone without authentication); PermissionDenied otherwise."""
    caller = CURRENT_CALLER.get()
    reason = reason.strip()
    if reason and caller is not None and Role.ADMIN not in caller.roles:
        raise PermissionDenied(f"{caller.name} may not bypass the approvals required: only an admin may")
    return reason


class AuthConfigError(ConfigError):
    """The token file is unusable; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class _Entry:
    digest: bytes
    caller: Caller


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Authenticator:
    def __init__(self, entries: Iterable[_Entry]) -> None:
        self._entries = tuple(entries)
        if not self._entries:
            raise AuthConfigError("no tokens configured")

    @staticmethod
    def from_text(text: str, origin: str) -> Authenticator:
        return Authenticator(_parse(text, origin))

    @staticmethod
    def from_file(path: Path) -> Authenticator:
        try:
            text = path.read_text()
        except OSError as exc:
            raise AuthConfigError(f"{path}: cannot read: {exc.strerror}") from None
        return Authenticator.from_text(text, str(path))

    def authenticate(self, metadata: Iterable[tuple[str, Any]]) -> Caller:
        token = _bearer(metadata)
        presented = _digest(token)
        found: Caller | None = None
        for entry in self._entries:  # every entry, no early exit
            if hmac.compare_digest(presented, entry.digest):
                found = entry.caller
        if found is None:
            raise Unauthenticated("the bearer token is not valid")
        return found

    def authorize(self, caller: Caller, method: str) -> None:
        allowed = METHOD_ROLES.get(method, frozenset())
        if Role.ADMIN in caller.roles or caller.roles & allowed:
            return
        needed = " or ".join(sorted({*allowed, Role.ADMIN}))
        raise PermissionDenied(f"{caller.name} may not call {method}: it needs the role {needed}")


def _bearer(metadata: Iterable[tuple[str, Any]]) -> str:
    for key, value in metadata:
        if key == "authorization":
            text = value.decode() if isinstance(value, bytes) else str(value)
            scheme, _, token = text.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("the authorization metadata must be 'Bearer <token>'")
            return token.strip()
    raise Unauthenticated("this call needs a bearer token (authorization metadata)")


def _parse(text: str, origin: str) -> list[_Entry]:
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        raise AuthConfigError(f"{origin}:{exc.line}: {exc.message}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tokens"), list):
        raise AuthConfigError(f"{origin}:{line_of(doc, 1)}: expected a mapping with a 'tokens' list")
    entries: list[_Entry] = []
    names: set[str] = set()
    for index, item in enumerate(doc["tokens"]):
        where = f"{origin}:{line_of(item, line_of(doc['tokens'], 1))}: tokens[{index}]"
        if not isinstance(item, dict):
            raise AuthConfigError(f"{where}: expected a mapping with name, roles and sha256 or token")
        unknown = set(item) - {"name", "roles", "sha256", "token"}
        if unknown:
            raise AuthConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise AuthConfigError(f"{where}.name: required text")
        if name in names:
            raise AuthConfigError(f"{where}.name: {name!r} appears twice")
        names.add(name)
        roles = item.get("roles")
        if not isinstance(roles, list) or not roles:
            raise AuthConfigError(f"{where}.roles: a non-empty list of {', '.join(Role)}")
        for role in roles:
            if role not in set(Role):
                raise AuthConfigError(f"{where}.roles: unknown role {role!r}; one of {', '.join(Role)}")
        digest = _entry_digest(item, where)
        same = next((e.caller.name for e in entries if hmac.compare_digest(e.digest, digest)), None)
        if same is not None:
            # Otherwise the last entry wins silently: a router token could become an admin one.
            raise AuthConfigError(f"{where}: the same token as {same!r}; every caller needs a token of its own")
        entries.append(_Entry(digest, Caller(name, frozenset(Role(r) for r in roles))))
    return entries


def _entry_digest(item: Mapping[str, Any], where: str) -> bytes:
    if ("sha256" in item) == ("token" in item):
        raise AuthConfigError(f"{where}: give exactly one of sha256 or token")
    if "token" in item:
        token = item["token"]
        if not isinstance(token, str) or len(token) < 16:
            raise AuthConfigError(f"{where}.token: at least 16 characters")
        return _digest(token)
    hex_digest = item["sha256"]
    try:
        digest = bytes.fromhex(str(hex_digest))
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise AuthConfigError(f"{where}.sha256: 64 hex digits (sha256sum of the token)")
    return digest
