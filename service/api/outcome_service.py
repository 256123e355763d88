"""OutcomeService: what happened to routed orders, one by one or in batches with per-item results."""

from __future__ import annotations

from typing import Any

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments import InvalidOutcome
from service.api.boundary import Edge, error_to_proto, handled
from service.api.messages import outcome_from_proto, recorded_to_proto
from service.app import OutcomeRecorder, OutcomeReport, Recorded
from service.errors import InvalidArgument


class OutcomeServicer(pb_grpc.OutcomeServiceServicer):
    SERVICE = "orderroute.v1.OutcomeService"

    def __init__(self, recorder: OutcomeRecorder, max_batch: int, edge: Edge) -> None:
        self._recorder = recorder
        self._max_batch = max_batch
        self.edge = edge

    @handled
    def RecordOutcome(self, request: pb.RecordOutcomeRequest, context: grpc.ServicerContext) -> Any:
        (result,) = self._recorder.record([outcome_from_proto(request.outcome, "outcome")])
        if not isinstance(result, Recorded):
            raise result
        return recorded_to_proto(result)

    @handled
    def RecordOutcomes(self, request: pb.RecordOutcomesRequest, context: grpc.ServicerContext) -> Any:
        if len(request.outcomes) > self._max_batch:
            raise InvalidArgument("outcomes", f"at most {self._max_batch} outcomes per batch")
        checked: list[OutcomeReport | Exception] = []
        for index, outcome in enumerate(request.outcomes):
            try:
                checked.append(outcome_from_proto(outcome, f"outcomes[{index}]"))
            except (InvalidArgument, InvalidOutcome) as exc:
                checked.append(exc)
        recorded = iter(self._recorder.record([c for c in checked if isinstance(c, OutcomeReport)]))
        results = []
        for item in checked:
            result = next(recorded) if isinstance(item, OutcomeReport) else item
            if isinstance(result, Recorded):
                results.append(pb.RecordOutcomeResult(recorded=recorded_to_proto(result)))
            else:
                results.append(pb.RecordOutcomeResult(error=error_to_proto(result)))
        return pb.RecordOutcomesResponse(results=results)
