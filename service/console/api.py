"""The console's one way to the service: its gRPC API, called with the signed-in person's token, so
every action passes the same checks, roles and audit as the CLI's."""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.client.errors import error_details

TIMEOUT = 10.0
REPLAY_TIMEOUT = 120.0
"""A replay or the rule insights read up to a million logged orders (about 100,000 in 10 s)."""
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
        self._health = pb_grpc.OrderHealthServiceStub(channel)
        self._notifications = pb_grpc.NotificationServiceStub(channel)
        self._decisions = pb_grpc.DecisionServiceStub(channel)

    def caller(self, token: str) -> Caller:
        reply = _call(self._access.GetCaller, pb.GetCallerRequest(), token)
        return Caller(reply.auth_enabled, reply.name, frozenset(reply.roles))

    def rule_sets(self, token: str) -> Iterator[pb.RuleSetSummary]:
        pages = _pages(self._rule_sets.ListRuleSets, pb.ListRuleSetsRequest, token)
        for reply in pages:
            yield from reply.rule_sets

    def latest_audit_entry(self, name: str, token: str) -> pb.AuditEntry | None:
        reply = _call(self._rule_sets.GetAuditLog, pb.GetAuditLogRequest(name=name, page_size=1), token)
        return reply.entries[0] if reply.entries else None

    def unfinished_experiments(self, token: str) -> dict[str, pb.Experiment]:
        """Rule set -> the experiment running or paused on it."""
        out: dict[str, pb.Experiment] = {}
        for e in self.experiments(token):
            if e.state in (pb.EXPERIMENT_STATE_RUNNING, pb.EXPERIMENT_STATE_PAUSED):
                out.setdefault(e.rule_set, e)
        return out

    def versions(self, name: str, token: str) -> list[pb.RuleSetVersion]:
        request = partial(pb.ListRuleSetVersionsRequest, name=name, page_size=1000)
        return [v for reply in _pages(self._rule_sets.ListRuleSetVersions, request, token) for v in reply.versions]

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

    # ------------------------------------------------------------ experiments

    def experiments(self, token: str, most: int = 10_000) -> list[pb.Experiment]:
        """Newest first, up to `most`."""
        out: list[pb.Experiment] = []
        request = partial(pb.ListExperimentsRequest, page_size=200)
        for reply in _pages(self._experiments.ListExperiments, request, token):
            out += reply.experiments
            if len(out) >= most:
                break
        return out[:most]

    def experiment(self, experiment_id: str, token: str) -> pb.GetExperimentResponse:
        return _call(self._experiments.GetExperiment, pb.GetExperimentRequest(id=experiment_id), token)

    def results(self, experiment_id: str, token: str) -> pb.GetResultsResponse:
        return _call(self._experiments.GetResults, pb.GetResultsRequest(id=experiment_id), token)

    def history(self, experiment_id: str, token: str, most: int = 0) -> pb.GetResultsHistoryResponse:
        request = pb.GetResultsHistoryRequest(id=experiment_id, max_points=most)
        return _call(self._experiments.GetResultsHistory, request, token)

    def start_experiment(self, request: pb.StartExperimentRequest, token: str) -> pb.Experiment:
        return _call(self._experiments.StartExperiment, request, token).experiment

    def change_experiment(
        self, action: str, experiment_id: str, reason: str, etag: str, actor: str, token: str, share_bp: int = 0
    ) -> pb.Experiment:
        """ramp (to share_bp), pause, resume, promote, rollback or abort, as read (etag)."""
        common = {"id": experiment_id, "reason": reason, "etag": etag, "actor": actor}
        calls: dict[str, tuple[Any, Any]] = {
            "ramp": (self._experiments.RampExperiment, pb.RampExperimentRequest(traffic_bp=share_bp, **common)),
            "pause": (self._experiments.PauseExperiment, pb.PauseExperimentRequest(**common)),
            "resume": (self._experiments.ResumeExperiment, pb.ResumeExperimentRequest(**common)),
            "promote": (self._experiments.PromoteExperiment, pb.PromoteExperimentRequest(**common)),
            "rollback": (self._experiments.RollbackExperiment, pb.RollbackExperimentRequest(**common)),
            "abort": (self._experiments.AbortExperiment, pb.AbortExperimentRequest(**common)),
        }
        if action not in calls:
            raise ValueError(f"unknown action {action!r}")
        method, request = calls[action]
        reply = _call(method, request, token)
        experiment: pb.Experiment = reply.experiment
        return experiment

    def order_health(self, name: str, seconds: int, bucket_seconds: int, token: str) -> pb.GetOrderHealthResponse:
        """The last `seconds` up to now, in buckets of `bucket_seconds`."""
        since = Timestamp()
        since.FromSeconds(int(time.time()) - seconds)
        request = pb.GetOrderHealthRequest(rule_set=name, since=since, bucket_seconds=bucket_seconds)
        return _call(self._health.GetOrderHealth, request, token)

    def deliveries(self, token: str, limit: int = 200) -> pb.ListWebhookDeliveriesResponse:
        request = pb.ListWebhookDeliveriesRequest(limit=limit)
        return _call(self._notifications.ListWebhookDeliveries, request, token)

    # ------------------------------------------------------------ decisions

    def explain(self, key: str, token: str, rule_set: str = "") -> list[pb.ExplainedDecision]:
        """The logged decisions of an order id (its latest under each rule set, or under `rule_set`), or
        else of a decision id."""
        try:
            request = pb.ExplainDecisionRequest(order_id=key, rule_set=rule_set)
            return list(_call(self._decisions.ExplainDecision, request, token).decisions)
        except ApiError as exc:
            if exc.code is not grpc.StatusCode.NOT_FOUND:
                raise
            try:  # not an order id the service knows: perhaps a decision id
                request = pb.ExplainDecisionRequest(decision_id=key)
                return list(_call(self._decisions.ExplainDecision, request, token).decisions)
            except ApiError as again:
                if again.code is not grpc.StatusCode.NOT_FOUND:
                    raise
                raise exc from None

    def replay(self, request: pb.ReplayRuleSetRequest, token: str) -> pb.ReplayReport:
        """Runs a replay to its end and returns its report."""
        steps = _stream(self._decisions.ReplayRuleSet, request, token, REPLAY_TIMEOUT)
        return collections.deque(steps, maxlen=1)[0].report

    def insights(self, request: pb.GetRuleInsightsRequest, token: str) -> pb.GetRuleInsightsResponse:
        return _call(self._decisions.GetRuleInsights, request, token, REPLAY_TIMEOUT)

    def audit(self, name: str, token: str, most: int = 10_000) -> list[pb.AuditEntry]:
        """Newest first, up to `most` entries."""
        out: list[pb.AuditEntry] = []
        request = partial(pb.GetAuditLogRequest, name=name, page_size=1_000)
        for reply in _pages(self._rule_sets.GetAuditLog, request, token):
            out += reply.entries
            if len(out) >= most:
                break
        return out[:most]


def _pages(method: grpc.UnaryUnaryMultiCallable[Any, Any], request: Any, token: str) -> Iterator[Any]:
    """Every page of a list call: `request(page_token=...)` makes each request, until no next page."""
    page_token = ""
    while True:
        reply = _call(method, request(page_token=page_token), token)
        yield reply
        if not reply.next_page_token:
            return
        page_token = reply.next_page_token


def _call(
    method: grpc.UnaryUnaryMultiCallable[Any, Reply], request: object, token: str, timeout: float = TIMEOUT
) -> Reply:
    try:
        return method(request, timeout=timeout, metadata=_metadata(token))
    except grpc.RpcError as exc:
        raise _api_error(exc) from None


def _stream(
    method: grpc.UnaryStreamMultiCallable[Any, Reply], request: object, token: str, timeout: float
) -> Iterator[Reply]:
    try:
        yield from method(request, timeout=timeout, metadata=_metadata(token))
    except grpc.RpcError as exc:
        raise _api_error(exc) from None


def _metadata(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),) if token else ()


def _api_error(exc: grpc.RpcError) -> ApiError:
    code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return ApiError(code, error_details(exc)[0], details or code.name)
