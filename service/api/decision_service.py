"""DecisionService: why an order went where it did (service.app.explaining)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from rules.explain import RuleExplanation, TestTrace
from rules.facts import LINE_FACTS, fact_spec
from rules.insights import Comparison, Estimate
from rules.reference import Truth
from rules.replay import ReplayReport
from service.api.boundary import Edge, handled, handled_stream, require
from service.api.messages import ARM, timestamp
from service.api.replay_messages import json_text, report_to_proto
from service.app.explaining import Explained, Explainer
from service.app.insights import RuleInsights, VersionInsights
from service.app.logged_orders import Window
from service.app.replay import Replayer, ReplayRequest
from service.errors import InvalidArgument

TRUTH = {True: pb.TRUTH_TRUE, False: pb.TRUTH_FALSE, None: pb.TRUTH_UNKNOWN}


class DecisionServicer(pb_grpc.DecisionServiceServicer):
    SERVICE = "orderroute.v1.DecisionService"

    def __init__(self, explainer: Explainer, replayer: Replayer, insights: RuleInsights, edge: Edge) -> None:
        self._explainer = explainer
        self._replayer = replayer
        self._insights = insights
        self.edge = edge

    @handled
    def ExplainDecision(self, request: pb.ExplainDecisionRequest, context: grpc.ServicerContext) -> Any:
        found = self._explainer.explain(request.order_id, request.decision_id, request.rule_set)
        return pb.ExplainDecisionResponse(decisions=[explained_to_proto(e) for e in found])

    @handled_stream
    def ReplayRuleSet(self, request: pb.ReplayRuleSetRequest, context: grpc.ServicerContext) -> Iterator[Any]:
        replay = ReplayRequest(
            require(request.rule_set, "rule_set"),
            request.candidate_version,
            request.candidate_source,
            _ms(request, "since", 0),
            _ms(request, "until", 2**62),
            request.limit or DEFAULT_REPLAYED,
            tuple(_fact_path(p, f"by[{i}]") for i, p in enumerate(request.by)),
            request.latest,
        )
        for step in self._replayer.replaying(replay):
            if isinstance(step, ReplayReport):
                yield pb.ReplayProgress(replayed=step.replayed, total=step.replayed, report=report_to_proto(step))
            else:
                yield pb.ReplayProgress(replayed=step[0], total=step[1])

    @handled
    def GetRuleInsights(self, request: pb.GetRuleInsightsRequest, context: grpc.ServicerContext) -> Any:
        name = require(request.rule_set, "rule_set")
        window = Window(
            name, _ms(request, "since", 0), _ms(request, "until", 2**62), request.limit or DEFAULT_REPLAYED, True
        )
        found = self._insights.insights(window, request.version)
        return insights_to_proto(name, found)


DEFAULT_REPLAYED = 100_000


def _ms(request: pb.ReplayRuleSetRequest | pb.GetRuleInsightsRequest, field: str, unset: int) -> int:
    if not request.HasField(field):
        return unset
    value = getattr(request, field)
    return int(value.seconds * 1000 + value.nanos // 1_000_000)


def _fact_path(path: str, field: str) -> str:
    if not (fact_spec(path) or (path.startswith("lines.") and path.removeprefix("lines.") in LINE_FACTS)):
        raise InvalidArgument(field, f"{path!r} is not a fact path (e.g. channel, customer.tier, lines.category)")
    return path


def insights_to_proto(name: str, found: VersionInsights) -> pb.GetRuleInsightsResponse:
    return pb.GetRuleInsightsResponse(
        rule_set=name,
        version=found.version,
        orders=found.insights.orders,
        reported=found.insights.reported,
        not_reproduced=found.not_reproduced,
        rules=[
            pb.RuleInsight(
                rule_id=r.rule_id,
                priority=0 if r.rule_id == found.default_rule else found.priorities.get(r.rule_id, 0),
                matched=r.matched,
                decided=r.decided,
                fields=[pb.FieldCount(field=f, orders=n) for f, n in r.fields],
                kpis=[_comparison(c) for c in r.kpis],
                default_rule=r.rule_id == found.default_rule,
            )
            for r in found.insights.rules
        ],
    )


def _comparison(c: Comparison) -> pb.KpiComparison:
    return pb.KpiComparison(
        metric=c.metric,
        decided=_estimate(c.decided),
        rest=_estimate(c.rest),
        difference=c.difference,
        difference_low=c.difference_low,
        difference_high=c.difference_high,
    )


def _estimate(e: Estimate) -> pb.KpiEstimate:
    return pb.KpiEstimate(reports=e.reports, mean=e.mean, low=e.low, high=e.high)


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
        inputs_json=json_text(logged.facts),
        masked=list(logged.masked),
        decided_json=json_text(logged.decided),
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
        fact=t.fact, test=t.test, scope=t.scope, negated=t.negated, value_json=json_text(t.value), held=_truth(t.held)
    )


def _truth(value: Truth) -> Any:
    return TRUTH[value]
