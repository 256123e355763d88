"""The console's one way to the service: its gRPC API, called with the signed-in person's token, so
every action passes the same checks, roles and audit as the CLI's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.client.errors import error_details

TIMEOUT = 10.0
Reply = TypeVar("Reply")


class ApiError(Exception):
    """A call the service refused or could not answer: its status code, reason and message."""

    def __init__(self, code: grpc.StatusCode, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class Caller:
    auth_enabled: bool
    name: str
    roles: frozenset[str]

    def may(self, role: str) -> bool:
        """Whether the API would let this caller do what `role` may (admin may everything)."""
        return not self.auth_enabled or role in self.roles or "admin" in self.roles


class ServiceApi:
    def __init__(self, channel: grpc.Channel) -> None:
        self._access = pb_grpc.AccessServiceStub(channel)
        self._rule_sets = pb_grpc.RuleSetServiceStub(channel)
        self._experiments = pb_grpc.ExperimentServiceStub(channel)

    def caller(self, token: str) -> Caller:
        reply = _call(self._access.GetCaller, pb.GetCallerRequest(), token)
        return Caller(reply.auth_enabled, reply.name, frozenset(reply.roles))

    def rule_sets(self, token: str) -> Iterator[pb.RuleSetSummary]:
        page_token = ""
        while True:
            reply = _call(self._rule_sets.ListRuleSets, pb.ListRuleSetsRequest(page_token=page_token), token)
            yield from reply.rule_sets
            if not reply.next_page_token:
                return
            page_token = reply.next_page_token

    def latest_audit_entry(self, name: str, token: str) -> pb.AuditEntry | None:
        reply = _call(self._rule_sets.GetAuditLog, pb.GetAuditLogRequest(name=name, page_size=1), token)
        return reply.entries[0] if reply.entries else None

    def unfinished_experiments(self, token: str) -> dict[str, pb.Experiment]:
        """Rule set -> the experiment running or paused on it."""
        out: dict[str, pb.Experiment] = {}
        page_token = ""
        while True:
            request = pb.ListExperimentsRequest(page_size=200, page_token=page_token)
            reply = _call(self._experiments.ListExperiments, request, token)
            for e in reply.experiments:
                if e.state in (pb.EXPERIMENT_STATE_RUNNING, pb.EXPERIMENT_STATE_PAUSED):
                    out.setdefault(e.rule_set, e)
            if not reply.next_page_token:
                return out
            page_token = reply.next_page_token

    def versions(self, name: str, token: str) -> list[pb.RuleSetVersion]:
        out: list[pb.RuleSetVersion] = []
        page_token = ""
        while True:
            request = pb.ListRuleSetVersionsRequest(name=name, page_size=1000, page_token=page_token)
            reply = _call(self._rule_sets.ListRuleSetVersions, request, token)
            out += reply.versions
            if not reply.next_page_token:
                return out
            page_token = reply.next_page_token

    def version(self, name: str, version: int, token: str) -> pb.RuleSetVersion:
        reply = _call(self._rule_sets.GetRuleSet, pb.GetRuleSetRequest(name=name, version=version), token)
        return reply.version

    def draft(self, name: str, actor: str, token: str) -> pb.Draft | None:
        try:
            return _call(self._rule_sets.GetDraft, pb.GetDraftRequest(name=name, actor=actor), token).draft
        except ApiError as exc:
            if exc.code is grpc.StatusCode.NOT_FOUND:
                return None
            raise

    def save_draft(self, name: str, source: str, base_version: int, actor: str, token: str) -> pb.Draft:
        request = pb.SaveDraftRequest(name=name, source=source, base_version=base_version, actor=actor)
        return _call(self._rule_sets.SaveDraft, request, token).draft

    def delete_draft(self, name: str, actor: str, token: str) -> None:
        _call(self._rule_sets.DeleteDraft, pb.DeleteDraftRequest(name=name, actor=actor), token)

    def validate(self, source: str, file_name: str, token: str) -> pb.ValidateRuleSetResponse:
        return _call(
            self._rule_sets.ValidateRuleSet, pb.ValidateRuleSetRequest(source=source, file_name=file_name), token
        )

    def try_source(self, source: str, order: pb.Order, token: str) -> pb.TryRuleSetResponse:
        request = pb.TryRuleSetRequest(source=source, file_name="draft", order=order)
        return _call(self._rule_sets.TryRuleSet, request, token)

    def publish(self, source: str, comment: str, actor: str, token: str) -> pb.PublishRuleSetResponse:
        request = pb.PublishRuleSetRequest(source=source, file_name="draft", author=actor, comment=comment)
        return _call(self._rule_sets.PublishRuleSet, request, token)

    def try_version(self, name: str, version: int, order: pb.Order, token: str) -> pb.TryRuleSetResponse:
        request = pb.TryRuleSetRequest(name=name, version=version, order=order)
        return _call(self._rule_sets.TryRuleSet, request, token)

    def review(self, name: str, version: int, approve: bool, comment: str, actor: str, token: str) -> pb.RuleSetVersion:
        request = pb.ReviewRuleSetRequest(name=name, version=version, approve=approve, comment=comment, actor=actor)
        return _call(self._rule_sets.ReviewRuleSet, request, token).version

    def activate(self, name: str, version: int, reason: str, bypass: str, actor: str, token: str) -> pb.Activation:
        request = pb.ActivateRuleSetRequest(
            name=name, version=version, reason=reason, bypass_reason=bypass, actor=actor
        )
        return _call(self._rule_sets.ActivateRuleSet, request, token).activation

    def audit(self, name: str, token: str, most: int = 10_000) -> list[pb.AuditEntry]:
        """Newest first, up to `most` entries."""
        out: list[pb.AuditEntry] = []
        page_token = ""
        while len(out) < most:
            request = pb.GetAuditLogRequest(name=name, page_size=min(1_000, most - len(out)), page_token=page_token)
            reply = _call(self._rule_sets.GetAuditLog, request, token)
            out += reply.entries
            if not reply.next_page_token:
                break
            page_token = reply.next_page_token
        return out


def _call(method: grpc.UnaryUnaryMultiCallable[Any, Reply], request: object, token: str) -> Reply:
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    try:
        return method(request, timeout=TIMEOUT, metadata=metadata)
    except grpc.RpcError as exc:
        code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
        details = exc.details() if hasattr(exc, "details") else str(exc)
        raise ApiError(code, error_details(exc)[0], details or code.name) from None
