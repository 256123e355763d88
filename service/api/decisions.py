"""Decisions out: a Decision as its protobuf message, built once per shared Decision and copied into
each response (orders in: service.api.orders)."""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb

from experiments import Arm
from rules import Decision
from rules.per_decision import PerDecision
from service.api.orders import REVIEW_NUMBER, WAREHOUSE_TYPE_NUMBER
from service.app import RoutedBatch

ARM = {Arm.BASELINE: pb.ARM_BASELINE, Arm.CANDIDATE: pb.ARM_CANDIDATE}


class DecisionMessages:
    """The protobuf form of each Decision, built once: the engine shares one Decision among the
    orders that match alike, so a response copies a finished message (C code) instead of
    building ~20 fields in Python per order.

    A message is kept only while its Decision lives (a weak reference), so a retired rule set
    version's messages go with its engine's decisions, not thousands of versions later.
    """

    def fill(self, batch: RoutedBatch, slots: Sequence[pb.Decision]) -> None:
        """Writes each routed order's decision into the message at the same position of `slots`."""
        stamp = Timestamp()
        stamp.FromNanoseconds(batch.at_ns)
        for message, routed in zip(slots, batch.orders, strict=True):
            message.CopyFrom(self.template(routed.decision))
            message.decision_id = routed.decision_id
            message.evaluated_at.CopyFrom(stamp)
            message.evaluation_micros = routed.micros
            if batch.experiment_id:
                message.experiment_id = batch.experiment_id
                if routed.arm is not None:  # None: an order without the unit, served by the baseline
                    message.arm = ARM[routed.arm]

    def __init__(self, capacity: int = 16_384) -> None:
        self.template = PerDecision(decision_to_proto, capacity)
        """A decision's own fields as a message, made once per shared Decision."""


def decision_to_proto(decision: Decision) -> pb.Decision:
    """The decision's own fields; the router adds id, time, arm and experiment per order."""
    return pb.Decision(
        path=decision.path,
        risk_review=REVIEW_NUMBER[decision.risk_review],  # type: ignore[arg-type]
        credit_review=REVIEW_NUMBER[decision.credit_review],  # type: ignore[arg-type]
        warehouse=decision.warehouse,
        warehouse_node=decision.warehouse_node,
        carrier=decision.carrier,
        priority_pickup=decision.priority_pickup,
        cs_queue=decision.cs_queue,
        holds=decision.holds,
        tags=decision.tags,
        avoid_warehouse_types=[WAREHOUSE_TYPE_NUMBER[t] for t in decision.avoid_warehouse_types],  # type: ignore[misc]
        rule_set=decision.rule_set,
        version=decision.version,
        content_hash=decision.content_hash,
        matched_rules=decision.matched_rules,
        default_rule_used=decision.default_rule_used,
        missing_facts=decision.missing_facts,
        decided_by=decision.decided_by,
    )
