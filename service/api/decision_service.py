"""DecisionService: why an order went where it did (service.app.explaining)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from rules.explain import RuleExplanation, TestTrace
from rules.reference import Truth
from service.api.boundary import Edge, handled
from service.api.messages import ARM, timestamp
from service.app.explaining import Explained, Explainer

TRUTH = {True: pb.TRUTH_TRUE, False: pb.TRUTH_FALSE, None: pb.TRUTH_UNKNOWN}


class DecisionServicer(pb_grpc.DecisionServiceServicer):
    SERVICE = "orderroute.v1.DecisionService"

    def __init__(self, explainer: Explainer, edge: Edge) -> None:
        self._explainer = explainer
        self.edge = edge

    @handled
    def ExplainDecision(self, request: pb.ExplainDecisionRequest, context: grpc.ServicerContext) -> Any:
        found = self._explainer.explain(request.order_id, request.decision_id, request.rule_set)
        return pb.ExplainDecisionResponse(decisions=[explained_to_proto(e) for e in found])


def explained_to_proto(e: Explained) -> pb.ExplainedDecision:
    logged = e.logged
    return pb.ExplainedDecision(
        decision_id=logged.decision_id,
        order_id=logged.order_id,
        rule_set=logged.rule_set,
        version=logged.version,
        content_hash=logged.content_hash,
        decided_at=timestamp(datetime.fromtimestamp(logged.at_ms / 1000, UTC)),
        experiment_id=logged.experiment_id,
        arm=ARM[logged.arm] if logged.arm is not None else pb.ARM_UNSPECIFIED,
        inputs_json=_json(logged.facts),
        masked=list(logged.masked),
        decided_json=_json(logged.decided),
        matched_rules=list(logged.matched_rules),
        default_rule_used=logged.default_rule_used,
        missing_facts=list(logged.missing_facts),
        rules=[_rule(r) for r in e.explanation.rules],
        disagreements=list(e.disagreements),
    )


def _rule(r: RuleExplanation) -> pb.RuleExplanation:
    return pb.RuleExplanation(
        rule_id=r.rule_id,
        priority=min(r.priority, 2**31 - 1),
        matched=_truth(r.matched),
        decided=list(r.decided),
        tests=[_test(t) for t in r.tests],
    )


def _test(t: TestTrace) -> pb.TestExplanation:
    return pb.TestExplanation(
        fact=t.fact, test=t.test, scope=t.scope, negated=t.negated, value_json=_json(t.value), held=_truth(t.held)
    )


def _truth(value: Truth) -> Any:
    return TRUTH[value]


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
