"""RuleSetService: validate, publish, read, activate, diff, audit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from rules import CheckResult
from service.api.auth import bypass_for
from service.api.boundary import Edge, actor, handled, request_id, require
from service.api.decisions import decision_to_proto
from service.api.messages import (
    activation_to_proto,
    audit_to_proto,
    diagnostic_to_proto,
    draft_to_proto,
    test_to_proto,
    version_to_proto,
    warnings_of,
)
from service.api.orders import order_to_facts
from service.api.paging import page
from service.app import RuleSetCatalog
from service.errors import InvalidArgument
from service.storage import ReviewRecord, VersionRecord

MAX_ANSWER_BYTES = 4 * 1024 * 1024
"""gRPC clients refuse larger answers by default: a publish that could not be told is not stored."""
MAX_AUDIT_ENTRIES = 10_000
DEFAULT_AUDIT_ENTRIES = 100
ENTRY_ID = re.compile(r"\d+(-\d+)?")
"""An audit entry's place in its log (a Redis stream id, or the in-memory store's index)."""


class RuleSetServicer(pb_grpc.RuleSetServiceServicer):
    SERVICE = "orderroute.v1.RuleSetService"

    def __init__(self, catalog: RuleSetCatalog, edge: Edge) -> None:
        self._catalog = catalog
        self.edge = edge

    @handled
    def ValidateRuleSet(self, request: pb.ValidateRuleSetRequest, context: grpc.ServicerContext) -> Any:
        result = self._catalog.validate(require(request.source, "source"), request.file_name)
        return pb.ValidateRuleSetResponse(
            valid=result.valid,
            diagnostics=[diagnostic_to_proto(d) for d in result.diagnostics],
            tests=[test_to_proto(t) for t in result.tests],
            name=result.rule_set.name if result.rule_set else "",
            content_hash=result.content_hash,
        )

    @handled
    def PublishRuleSet(self, request: pb.PublishRuleSetRequest, context: grpc.ServicerContext) -> Any:
        source = require(request.source, "source")
        answer = pb.PublishRuleSetResponse()

        def prepare(check: CheckResult) -> None:
            """The answer without the stored version, built before storing so it cannot fail after."""
            answer.diagnostics.extend(warnings_of(check))
            answer.tests.extend(test_to_proto(t) for t in check.tests)
            size = answer.ByteSize() + 2 * len(request.SerializeToString())  # the version echoes the request
            if size > MAX_ANSWER_BYTES:
                raise InvalidArgument("source", f"the answer to this publish would exceed {MAX_ANSWER_BYTES} bytes")

        published = self._catalog.publish(
            source,
            request.file_name,
            actor(request.author, "author"),
            request.comment,
            answer=prepare,
            request_id=request_id(request.request_id),
        )
        answer.version.CopyFrom(version_to_proto(published.record, False, (), self._catalog.required_approvals))
        answer.created = published.created
        return answer

    @handled
    def TryRuleSet(self, request: pb.TryRuleSetRequest, context: grpc.ServicerContext) -> Any:
        if not request.HasField("order"):
            raise InvalidArgument("order", "is required")
        facts = order_to_facts(request.order, "order")
        answer = pb.TryRuleSetResponse()
        if request.source:
            check, trial = self._catalog.try_draft(request.source, request.file_name, facts)
            answer.diagnostics.extend(diagnostic_to_proto(d) for d in check.diagnostics)
            answer.tests.extend(test_to_proto(t) for t in check.tests)
        else:
            trial = self._catalog.try_version(require(request.name, "name"), request.version, facts)
        if trial is not None:
            answer.decision.CopyFrom(decision_to_proto(trial.decision))
            answer.rules.extend(
                pb.RuleTrace(
                    rule_id=t.rule_id,
                    matched=t.truth is True,
                    unknown=t.truth is None,
                    decided=t.decided,
                    is_default=i == len(trial.rules) - 1,
                )
                for i, t in enumerate(trial.rules)
            )
        return answer

    @handled
    def SaveDraft(self, request: pb.SaveDraftRequest, context: grpc.ServicerContext) -> Any:
        owner = actor(request.actor)
        draft = self._catalog.save_draft(require(request.name, "name"), owner, request.source, request.base_version)
        return pb.SaveDraftResponse(draft=draft_to_proto(draft))

    @handled
    def GetDraft(self, request: pb.GetDraftRequest, context: grpc.ServicerContext) -> Any:
        draft = self._catalog.draft(require(request.name, "name"), actor(request.actor))
        return pb.GetDraftResponse(draft=draft_to_proto(draft))

    @handled
    def DeleteDraft(self, request: pb.DeleteDraftRequest, context: grpc.ServicerContext) -> Any:
        self._catalog.delete_draft(require(request.name, "name"), actor(request.actor))
        return pb.DeleteDraftResponse()

    @handled
    def GetRuleSet(self, request: pb.GetRuleSetRequest, context: grpc.ServicerContext) -> Any:
        record, active = self._catalog.get(require(request.name, "name"), request.version)
        return pb.GetRuleSetResponse(version=self._version(record, active))

    @handled
    def ListRuleSets(self, request: pb.ListRuleSetsRequest, context: grpc.ServicerContext) -> Any:
        wanted = page("rule-sets", request.page_size, request.page_token)
        listed, next_token = wanted.of(sorted(self._catalog.summaries(), key=lambda s: s.name), lambda s: s.name)
        summaries = []
        for s in listed:
            reviews = self._catalog.reviews(s.name)
            versions = [self._version(v, v.version == s.active_version, reviews) for v in s.versions]
            latest = s.versions[0].version if s.versions else 0
            summaries.append(
                pb.RuleSetSummary(
                    name=s.name, active_version=s.active_version, latest_version=latest, versions=versions
                )
            )
        return pb.ListRuleSetsResponse(rule_sets=summaries, next_page_token=next_token)

    @handled
    def ListRuleSetVersions(self, request: pb.ListRuleSetVersionsRequest, context: grpc.ServicerContext) -> Any:
        name = require(request.name, "name")
        wanted = page(f"versions:{name}", request.page_size, request.page_token)
        summary = self._catalog.summary(name)
        listed, next_token = wanted.of(summary.versions, lambda v: str(v.version))
        reviews = self._catalog.reviews(name)
        versions = [self._version(v, v.version == summary.active_version, reviews) for v in listed]
        return pb.ListRuleSetVersionsResponse(versions=versions, next_page_token=next_token)

    @handled
    def ReviewRuleSet(self, request: pb.ReviewRuleSetRequest, context: grpc.ServicerContext) -> Any:
        name = require(request.name, "name")
        self._catalog.review(name, request.version, actor(request.actor), request.approve, request.comment)
        record, active = self._catalog.get(name, request.version)
        return pb.ReviewRuleSetResponse(version=self._version(record, active))

    def _version(
        self, record: VersionRecord, active: bool, reviews: Mapping[int, list[ReviewRecord]] | None = None
    ) -> pb.RuleSetVersion:
        of_version = (reviews if reviews is not None else self._catalog.reviews(record.name)).get(record.version, [])
        return version_to_proto(record, active, of_version, self._catalog.required_approvals)

    @handled
    def ActivateRuleSet(self, request: pb.ActivateRuleSetRequest, context: grpc.ServicerContext) -> Any:
        if request.expected_active_version < 0:
            raise InvalidArgument("expected_active_version", "must be a version number, or 0 not to check")
        done = self._catalog.activate(
            require(request.name, "name"),
            request.version,
            actor(request.actor),
            require(request.reason, "reason"),
            expected_active=request.expected_active_version,
            request_id=request_id(request.request_id),
            bypass=bypass_for(request.bypass_reason),
        )
        return pb.ActivateRuleSetResponse(activation=activation_to_proto(done))

    @handled
    def DiffRuleSets(self, request: pb.DiffRuleSetsRequest, context: grpc.ServicerContext) -> Any:
        for field in ("from_version", "to_version"):
            if getattr(request, field) <= 0:
                raise InvalidArgument(field, "must be a published version number (1 or more)")
        diff = self._catalog.diff(require(request.name, "name"), request.from_version, request.to_version)
        return pb.DiffRuleSetsResponse(
            added_rules=diff.added_rules,
            removed_rules=diff.removed_rules,
            changed_rules=diff.changed_rules,
            source_diff=diff.source_diff,
            changes=[
                pb.RuleChange(
                    rule_id=c.rule_id,
                    kind=str(c.kind),
                    cells=[pb.CellChange(column=x.column, before=x.before, after=x.after) for x in c.cells],
                )
                for c in diff.changes
            ],
        )

    @handled
    def GetAuditLog(self, request: pb.GetAuditLogRequest, context: grpc.ServicerContext) -> Any:
        name = require(request.name, "name")
        wanted = page(f"audit:{name}", request.page_size, request.page_token, DEFAULT_AUDIT_ENTRIES, MAX_AUDIT_ENTRIES)
        if wanted.after and not ENTRY_ID.fullmatch(wanted.after):
            raise InvalidArgument("page_token", "is not a page token this service gave out")
        entries = self._catalog.audit(name, wanted.size + 1, wanted.after)  # one more: is there a next page?
        shown = entries[: wanted.size]
        next_token = wanted.token(shown[-1].entry_id) if len(entries) > wanted.size else ""
        return pb.GetAuditLogResponse(entries=[audit_to_proto(e) for e in shown], next_page_token=next_token)
