"""Thin gRPC servicers: convert the request, call the core, convert back.

Every error goes through `status_of`; only a bug becomes INTERNAL.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments import Experiment
from rules import CheckResult, Diagnostic, Severity, TestResult
from service.auth import CURRENT_CALLER, Authenticator, Caller, actor_for
from service.catalog import Activated, RuleSetCatalog
from service.convert import timestamp
from service.errors import InvalidArgument, StorageError, status_of
from service.experiment_convert import (
    ARM,
    experiment_to_proto,
    guardrails_from_proto,
    results_to_proto,
    transition_to_proto,
    unit_from_proto,
)
from service.gray import GrayReleases
from service.outcomes import OutcomeRecorder, Recorded
from service.routing import Router
from service.storage import VersionRecord
from service.telemetry import Telemetry

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
FIELD_METADATA = "orderroute-field"


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


def add_service(server: grpc.Server, servicer: Any, service: Any) -> None:
    """Registers every method of `service` (a descriptor) on `servicer`, with lenient request parsing."""
    handlers = {
        method.name: grpc.unary_unary_rpc_method_handler(
            getattr(servicer, method.name),
            request_deserializer=lenient(getattr(pb, method.input_type.name)),
            response_serializer=getattr(pb, method.output_type.name).SerializeToString,
        )
        for method in service.methods
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.full_name, handlers),))
    server.add_registered_method_handlers(service.full_name, handlers)


def handled(method: F) -> F:
    """Checks the caller, turns any error into the right status, logs what is a bug."""
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        edge: Edge = self.edge
        telemetry = edge.telemetry
        try:
            with telemetry.rpc(name, edge.label(getattr(request, "rule_set", ""))) as span:
                token = CURRENT_CALLER.set(edge.caller(name, context))
                try:
                    reply = method(self, _parsed(request), context)
                finally:
                    CURRENT_CALLER.reset(token)
                if span.is_recording():
                    _describe(span, reply)
                return reply
        except Exception as exc:
            if isinstance(exc, StorageError):
                telemetry.redis_error(name)
            code, message = status_of(exc)
            if code is grpc.StatusCode.INTERNAL:
                log.exception("bug in %s", name)
            field = getattr(exc, "field", None)
            if field:
                context.set_trailing_metadata(((FIELD_METADATA, field),))
        context.abort(code, message)

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


def _require(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidArgument(field, "is required")
    return value


def _actor(requested: str, field: str = "actor") -> str:
    """Who the audit entry names: the authenticated caller, or the request's field without auth."""
    return _require(actor_for(requested), field)


class RoutingServicer(pb_grpc.RoutingServiceServicer):
    def __init__(self, router: Router, edge: Edge) -> None:
        self._router = router
        self.edge = edge

    @handled
    def Route(self, request: pb.RouteRequest, context: grpc.ServicerContext) -> pb.RouteResponse:
        return self._router.route(request.order, request.rule_set)

    @handled
    def RouteBatch(self, request: pb.RouteBatchRequest, context: grpc.ServicerContext) -> pb.RouteBatchResponse:
        return self._router.route_batch(request.orders, request.rule_set)


class RuleSetServicer(pb_grpc.RuleSetServiceServicer):
    def __init__(self, catalog: RuleSetCatalog, edge: Edge) -> None:
        self._catalog = catalog
        self.edge = edge

    @handled
    def ValidateRuleSet(self, request: pb.ValidateRuleSetRequest, context: grpc.ServicerContext) -> Any:
        result = self._catalog.validate(_require(request.source, "source"), request.file_name)
        return pb.ValidateRuleSetResponse(
            valid=result.valid,
            diagnostics=[diagnostic_to_proto(d) for d in result.diagnostics],
            tests=[test_to_proto(t) for t in result.tests],
            name=result.rule_set.name if result.rule_set else "",
            content_hash=result.content_hash,
        )

    @handled
    def PublishRuleSet(self, request: pb.PublishRuleSetRequest, context: grpc.ServicerContext) -> Any:
        published = self._catalog.publish(
            _require(request.source, "source"), request.file_name, _actor(request.author, "author"), request.comment
        )
        return pb.PublishRuleSetResponse(
            version=version_to_proto(published.record, active=False),
            diagnostics=[diagnostic_to_proto(d) for d in _warnings(published.check)],
            tests=[test_to_proto(t) for t in published.check.tests],
            created=published.created,
        )

    @handled
    def GetRuleSet(self, request: pb.GetRuleSetRequest, context: grpc.ServicerContext) -> Any:
        record, active = self._catalog.get(_require(request.name, "name"), request.version)
        return pb.GetRuleSetResponse(version=version_to_proto(record, active))

    @handled
    def ListRuleSets(self, request: pb.ListRuleSetsRequest, context: grpc.ServicerContext) -> Any:
        summaries = []
        for s in self._catalog.summaries():
            versions = [version_to_proto(v, v.version == s.active_version) for v in s.versions]
            latest = s.versions[0].version if s.versions else 0
            summaries.append(
                pb.RuleSetSummary(
                    name=s.name, active_version=s.active_version, latest_version=latest, versions=versions
                )
            )
        return pb.ListRuleSetsResponse(rule_sets=summaries)

    @handled
    def ActivateRuleSet(self, request: pb.ActivateRuleSetRequest, context: grpc.ServicerContext) -> Any:
        done = self._catalog.activate(
            _require(request.name, "name"),
            request.version,
            _actor(request.actor),
            _require(request.reason, "reason"),
        )
        return pb.ActivateRuleSetResponse(activation=activation_to_proto(done))

    @handled
    def DiffRuleSets(self, request: pb.DiffRuleSetsRequest, context: grpc.ServicerContext) -> Any:
        for field in ("from_version", "to_version"):
            if getattr(request, field) <= 0:
                raise InvalidArgument(field, "must be a published version number (1 or more)")
        diff = self._catalog.diff(_require(request.name, "name"), request.from_version, request.to_version)
        return pb.DiffRuleSetsResponse(
            added_rules=diff.added_rules,
            removed_rules=diff.removed_rules,
            changed_rules=diff.changed_rules,
            source_diff=diff.source_diff,
        )

    @handled
    def GetAuditLog(self, request: pb.GetAuditLogRequest, context: grpc.ServicerContext) -> Any:
        if request.limit < 0:
            raise InvalidArgument("limit", "must not be negative")
        entries = self._catalog.audit(_require(request.name, "name"), min(request.limit or 100, 10_000))
        return pb.GetAuditLogResponse(
            entries=[
                pb.AuditEntry(
                    action=e.action,
                    name=e.name,
                    version=e.version,
                    actor=e.actor,
                    reason=e.reason,
                    at=timestamp(e.at.timestamp()),
                    previous_version=e.previous_version,
                    content_hash=e.content_hash,
                )
                for e in entries
            ]
        )


class ExperimentServicer(pb_grpc.ExperimentServiceServicer):
    def __init__(self, gray: GrayReleases, edge: Edge) -> None:
        self._gray = gray
        self.edge = edge

    @handled
    def StartExperiment(self, request: pb.StartExperimentRequest, context: grpc.ServicerContext) -> Any:
        experiment = self._gray.start(
            rule_set=_require(request.rule_set, "rule_set"),
            candidate_version=request.candidate_version,
            actor=_actor(request.actor),
            reason=_require(request.reason, "reason"),
            share_bp=request.traffic_bp,
            unit=unit_from_proto(request.unit),
            primary_metric=request.primary_metric,
            guardrails=guardrails_from_proto(list(request.guardrails)),
            min_samples=request.min_samples,
            min_duration=timedelta(seconds=request.min_duration_seconds),
            salt=request.salt,
        )
        return pb.StartExperimentResponse(experiment=experiment_to_proto(experiment))

    @handled
    def GetExperiment(self, request: pb.GetExperimentRequest, context: grpc.ServicerContext) -> Any:
        experiment, transitions = self._gray.get(_require(request.id, "id"))
        return pb.GetExperimentResponse(
            experiment=experiment_to_proto(experiment), transitions=[transition_to_proto(t) for t in transitions]
        )

    @handled
    def ListExperiments(self, request: pb.ListExperimentsRequest, context: grpc.ServicerContext) -> Any:
        return pb.ListExperimentsResponse(
            experiments=[experiment_to_proto(e) for e in self._gray.experiments(request.rule_set)]
        )

    @handled
    def RampExperiment(self, request: pb.RampExperimentRequest, context: grpc.ServicerContext) -> Any:
        experiment = self._gray.ramp(
            _require(request.id, "id"),
            request.traffic_bp,
            _actor(request.actor),
            _require(request.reason, "reason"),
        )
        return pb.RampExperimentResponse(experiment=experiment_to_proto(experiment))

    @handled
    def PauseExperiment(self, request: pb.PauseExperimentRequest, context: grpc.ServicerContext) -> Any:
        return pb.PauseExperimentResponse(experiment=self._change(self._gray.pause, request))

    @handled
    def ResumeExperiment(self, request: pb.ResumeExperimentRequest, context: grpc.ServicerContext) -> Any:
        return pb.ResumeExperimentResponse(experiment=self._change(self._gray.resume, request))

    @handled
    def RollbackExperiment(self, request: pb.RollbackExperimentRequest, context: grpc.ServicerContext) -> Any:
        return pb.RollbackExperimentResponse(experiment=self._change(self._gray.rollback, request))

    @handled
    def AbortExperiment(self, request: pb.AbortExperimentRequest, context: grpc.ServicerContext) -> Any:
        return pb.AbortExperimentResponse(experiment=self._change(self._gray.abort, request))

    @handled
    def PromoteExperiment(self, request: pb.PromoteExperimentRequest, context: grpc.ServicerContext) -> Any:
        experiment, done = self._gray.promote(
            _require(request.id, "id"), _actor(request.actor), _require(request.reason, "reason")
        )
        return pb.PromoteExperimentResponse(
            experiment=experiment_to_proto(experiment), activation=activation_to_proto(done)
        )

    @handled
    def GetResults(self, request: pb.GetResultsRequest, context: grpc.ServicerContext) -> Any:
        experiment, results = self._gray.results(_require(request.id, "id"))
        return results_to_proto(experiment, results)

    def _change(self, action: Callable[[str, str, str], Experiment], request: Any) -> pb.Experiment:
        experiment = action(_require(request.id, "id"), _actor(request.actor), _require(request.reason, "reason"))
        return experiment_to_proto(experiment)


class OutcomeServicer(pb_grpc.OutcomeServiceServicer):
    def __init__(self, recorder: OutcomeRecorder, max_batch: int, edge: Edge) -> None:
        self._recorder = recorder
        self.edge = edge
        self._max_batch = max_batch

    @handled
    def RecordOutcome(self, request: pb.RecordOutcomeRequest, context: grpc.ServicerContext) -> Any:
        (result,) = self._recorder.record([request.outcome], "outcome")
        if isinstance(result, Exception):
            raise result
        return _recorded(result)

    @handled
    def RecordOutcomes(self, request: pb.RecordOutcomesRequest, context: grpc.ServicerContext) -> Any:
        if len(request.outcomes) > self._max_batch:
            raise InvalidArgument("outcomes", f"at most {self._max_batch} outcomes per batch")
        results = []
        for result in self._recorder.record(list(request.outcomes), "outcomes"):
            if isinstance(result, Exception):
                code, message = status_of(result)
                field = getattr(result, "field", "")
                results.append(pb.RecordOutcomeResult(error=pb.Error(code=code.value[0], message=message, field=field)))
            else:
                results.append(pb.RecordOutcomeResult(recorded=_recorded(result)))
        return pb.RecordOutcomesResponse(results=results)


def _recorded(r: Recorded) -> pb.RecordOutcomeResponse:
    return pb.RecordOutcomeResponse(
        decision_id=r.decision_id,
        experiment_id=r.experiment_id,
        arm=ARM[r.arm] if r.arm is not None else pb.ARM_UNSPECIFIED,
        replaced=r.replaced,
    )


def activation_to_proto(done: Activated) -> pb.Activation:
    return pb.Activation(
        name=done.name,
        version=done.version,
        previous_version=done.previous_version,
        actor=done.actor,
        reason=done.reason,
        at=timestamp(done.at.timestamp()),
    )


def _warnings(check: CheckResult) -> list[Diagnostic]:
    return [d for d in check.diagnostics if not d.is_error]


_SEVERITY = {Severity.ERROR: pb.SEVERITY_ERROR, Severity.WARNING: pb.SEVERITY_WARNING}


def diagnostic_to_proto(d: Diagnostic) -> pb.Diagnostic:
    return pb.Diagnostic(
        severity=_SEVERITY[d.severity],
        file=d.file,
        line=d.line,
        rule_id=d.rule_id,
        code=d.code,
        message=d.message,
        hint=d.hint,
    )


def test_to_proto(t: TestResult) -> pb.TestCaseResult:
    return pb.TestCaseResult(name=t.name, passed=t.passed, failures=t.failures, line=t.line)


def version_to_proto(record: VersionRecord, active: bool) -> pb.RuleSetVersion:
    return pb.RuleSetVersion(
        name=record.name,
        version=record.version,
        content_hash=record.content_hash,
        source=record.source,
        author=record.author,
        comment=record.comment,
        published_at=timestamp(record.published_at.timestamp()),
        active=active,
        rule_count=record.rule_count,
    )
