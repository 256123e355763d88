"""ExperimentService: start, change (ramp, pause, resume, promote, roll back, abort), read, results."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments import Action, InvalidExperiment
from experiments.history import DEFAULT_SHOWN, MAX_SHOWN
from experiments.model import DEFAULT_SHARE_BP
from service.api.auth import bypass_for
from service.api.boundary import Edge, actor, handled, request_id, require
from service.api.messages import (
    activation_to_proto,
    declared_from_proto,
    experiment_to_proto,
    guardrails_from_proto,
    point_to_proto,
    results_to_proto,
    transition_to_proto,
    unit_from_proto,
)
from service.api.paging import page
from service.api.replay_messages import shadow_to_proto
from service.app import Changed, GrayReleases
from service.app.shadow import Shadows
from service.errors import InvalidArgument

REQUEST_FIELDS = {"traffic": "traffic_bp", "min_duration": "min_duration_seconds", "maturity": "maturity_seconds"}
"""Settings the experiments package names otherwise than StartExperimentRequest does."""


class ExperimentServicer(pb_grpc.ExperimentServiceServicer):
    SERVICE = "orderroute.v1.ExperimentService"

    def __init__(self, gray: GrayReleases, shadows: Shadows, edge: Edge) -> None:
        self._gray = gray
        self._shadows = shadows
        self.edge = edge

    @handled
    def StartExperiment(self, request: pb.StartExperimentRequest, context: grpc.ServicerContext) -> Any:
        try:
            experiment = self._gray.start(
                rule_set=require(request.rule_set, "rule_set"),
                candidate_version=request.candidate_version,
                actor=actor(request.actor),
                reason=require(request.reason, "reason"),
                share_bp=request.traffic_bp or DEFAULT_SHARE_BP,
                unit=unit_from_proto(request.unit),
                primary_metric=request.primary_metric,
                guardrails=guardrails_from_proto(list(request.guardrails)),
                min_samples=request.min_samples,
                min_duration=timedelta(seconds=request.min_duration_seconds),
                maturity={m: timedelta(seconds=s) for m, s in request.maturity_seconds.items()},
                salt=request.salt,
                request_id=request_id(request.request_id),
                declared=declared_from_proto(list(request.metrics)),
                declared_limits={m.name: m.guardrail_limit for m in request.metrics if m.HasField("guardrail_limit")},
                bypass=bypass_for(request.bypass_reason),
            )
        except InvalidExperiment as exc:
            name, dot, key = exc.field.partition(".")
            field = REQUEST_FIELDS.get(name, name) + dot + key
            raise InvalidArgument(field, exc.message.removeprefix(f"{exc.field}: ")) from None
        return pb.StartExperimentResponse(experiment=experiment_to_proto(experiment))

    @handled
    def GetExperiment(self, request: pb.GetExperimentRequest, context: grpc.ServicerContext) -> Any:
        experiment, transitions = self._gray.get(require(request.id, "id"))
        return pb.GetExperimentResponse(
            experiment=experiment_to_proto(experiment), transitions=[transition_to_proto(t) for t in transitions]
        )

    @handled
    def ListExperiments(self, request: pb.ListExperimentsRequest, context: grpc.ServicerContext) -> Any:
        wanted = page(f"experiments:{request.rule_set}", request.page_size, request.page_token)
        listed, next_token = wanted.of(self._gray.experiments(request.rule_set), lambda e: e.id)
        return pb.ListExperimentsResponse(
            experiments=[experiment_to_proto(e) for e in listed], next_page_token=next_token
        )

    @handled
    def RampExperiment(self, request: pb.RampExperimentRequest, context: grpc.ServicerContext) -> Any:
        done = self._change(Action.RAMP, request, request.traffic_bp)
        return pb.RampExperimentResponse(experiment=experiment_to_proto(done.experiment))

    @handled
    def PauseExperiment(self, request: pb.PauseExperimentRequest, context: grpc.ServicerContext) -> Any:
        done = self._change(Action.PAUSE, request)
        return pb.PauseExperimentResponse(experiment=experiment_to_proto(done.experiment))

    @handled
    def ResumeExperiment(self, request: pb.ResumeExperimentRequest, context: grpc.ServicerContext) -> Any:
        done = self._change(Action.RESUME, request)
        return pb.ResumeExperimentResponse(experiment=experiment_to_proto(done.experiment))

    @handled
    def RollbackExperiment(self, request: pb.RollbackExperimentRequest, context: grpc.ServicerContext) -> Any:
        done = self._change(Action.ROLLBACK, request)
        return pb.RollbackExperimentResponse(experiment=experiment_to_proto(done.experiment))

    @handled
    def AbortExperiment(self, request: pb.AbortExperimentRequest, context: grpc.ServicerContext) -> Any:
        done = self._change(Action.ABORT, request)
        return pb.AbortExperimentResponse(experiment=experiment_to_proto(done.experiment))

    @handled
    def PromoteExperiment(self, request: pb.PromoteExperimentRequest, context: grpc.ServicerContext) -> Any:
        done = self._change(Action.PROMOTE, request)
        assert done.activated is not None, "a promotion activates its candidate"
        return pb.PromoteExperimentResponse(
            experiment=experiment_to_proto(done.experiment), activation=activation_to_proto(done.activated)
        )

    @handled
    def GetResults(self, request: pb.GetResultsRequest, context: grpc.ServicerContext) -> Any:
        experiment, results = self._gray.results(require(request.id, "id"))
        reply = results_to_proto(experiment, results)
        shadow = self._shadows.get(experiment.id)
        if shadow is not None:
            reply.shadow.CopyFrom(shadow_to_proto(shadow))
        return reply

    @handled
    def GetResultsHistory(self, request: pb.GetResultsHistoryRequest, context: grpc.ServicerContext) -> Any:
        if not 0 <= request.max_points <= MAX_SHOWN:
            raise InvalidArgument("max_points", f"must be from 0 (meaning {DEFAULT_SHOWN}) to {MAX_SHOWN}")
        points, stored = self._gray.history(require(request.id, "id"), request.max_points or DEFAULT_SHOWN)
        return pb.GetResultsHistoryResponse(points=[point_to_proto(p) for p in points], stored=stored)

    def _change(self, action: Action, request: Any, share_bp: int = 0) -> Changed:
        return self._gray.change(
            require(request.id, "id"),
            action,
            actor(request.actor),
            require(request.reason, "reason"),
            share_bp,
            request_id(request.request_id),
            request.etag,
        )
