"""Experiments, transitions and results <-> protobuf."""

from __future__ import annotations

import json

from orderroute.v1 import orderroute_pb2 as pb

from experiments import Arm, Experiment, Guardrail, Results, State, Transition, Unit, Verdict
from experiments.results import ArmEstimate
from service.convert import timestamp
from service.errors import InvalidArgument

STATE = {
    State.RUNNING: pb.EXPERIMENT_STATE_RUNNING,
    State.PAUSED: pb.EXPERIMENT_STATE_PAUSED,
    State.PROMOTED: pb.EXPERIMENT_STATE_PROMOTED,
    State.ROLLED_BACK: pb.EXPERIMENT_STATE_ROLLED_BACK,
    State.ABORTED: pb.EXPERIMENT_STATE_ABORTED,
}
UNIT = {Unit.CUSTOMER_ID: pb.ASSIGNMENT_UNIT_CUSTOMER_ID, Unit.ORDER_ID: pb.ASSIGNMENT_UNIT_ORDER_ID}
UNIT_FROM = {pb.ASSIGNMENT_UNIT_UNSPECIFIED: Unit.CUSTOMER_ID, **{v: k for k, v in UNIT.items()}}
VERDICT = {
    Verdict.BETTER: pb.VERDICT_CANDIDATE_BETTER,
    Verdict.WORSE: pb.VERDICT_CANDIDATE_WORSE,
    Verdict.NO_DIFFERENCE_YET: pb.VERDICT_NO_DIFFERENCE_YET,
    Verdict.INVALID: pb.VERDICT_INVALID,
}
ARM = {Arm.BASELINE: pb.ARM_BASELINE, Arm.CANDIDATE: pb.ARM_CANDIDATE}


def unit_from_proto(value: int) -> Unit:
    if value not in UNIT_FROM:
        raise InvalidArgument("unit", f"unknown assignment unit {value}")
    return UNIT_FROM[value]  # type: ignore[index]


def guardrails_from_proto(specs: list[pb.GuardrailSpec]) -> list[Guardrail]:
    return [Guardrail(s.metric, s.limit) for s in specs]


def experiment_to_proto(e: Experiment) -> pb.Experiment:
    message = pb.Experiment(
        id=e.id,
        rule_set=e.rule_set,
        baseline_version=e.baseline_version,
        candidate_version=e.candidate_version,
        traffic_bp=e.share_bp,
        unit=UNIT[e.unit],
        salt=e.salt,
        primary_metric=e.primary_metric,
        guardrails=[pb.GuardrailSpec(metric=g.metric, limit=g.limit) for g in e.guardrails],
        min_samples=e.min_samples,
        min_duration_seconds=int(e.min_duration.total_seconds()),
        state=STATE[e.state],
        created_at=timestamp(e.created_at.timestamp()),
        created_by=e.created_by,
        epoch=e.epoch,
    )
    if e.ended_at is not None:
        message.ended_at.CopyFrom(timestamp(e.ended_at.timestamp()))
    return message


def transition_to_proto(t: Transition) -> pb.ExperimentTransition:
    return pb.ExperimentTransition(
        action=t.action,
        from_state=STATE[t.from_state] if t.action != "start" else pb.EXPERIMENT_STATE_UNSPECIFIED,
        to_state=STATE[t.to_state],
        actor=t.actor,
        reason=t.reason,
        at=timestamp(t.at.timestamp()),
        traffic_bp=t.share_bp,
        results_json=json.dumps(t.results, sort_keys=True),
    )


def _arm_estimate(a: ArmEstimate | None) -> pb.ArmEstimate | None:
    if a is None:
        return None
    return pb.ArmEstimate(mean=a.mean, low=a.low, high=a.high, n=a.n, clusters=a.clusters)


def results_to_proto(experiment: Experiment, r: Results) -> pb.GetResultsResponse:
    srm = r.sample_ratio
    return pb.GetResultsResponse(
        experiment_id=r.experiment_id,
        verdict=VERDICT[r.verdict],
        reason=r.reason,
        samples_needed=r.samples_needed,
        arms=[
            pb.ArmSummary(arm=ARM[arm], decisions=d.decisions, units=d.units, outcomes=d.outcomes)
            for arm, d in sorted(r.arms.items())
        ],
        metrics=[
            pb.MetricResult(
                metric=m.metric,
                role=str(m.role),
                baseline=_arm_estimate(m.baseline),
                candidate=_arm_estimate(m.candidate),
                difference=m.difference,
                low=m.low,
                high=m.high,
                p_value=m.p_value,
                adjusted_p=m.adjusted_p,
                verdict=VERDICT[m.verdict],
            )
            for m in r.metrics
        ],
        guardrails=[
            pb.GuardrailResult(
                metric=g.metric,
                limit=g.limit,
                relative=g.relative,
                excess=g.excess,
                excess_low=g.excess_low,
                p_value=g.p_value,
                adjusted_p=g.adjusted_p,
                breached=g.breached,
            )
            for g in r.guardrails
        ],
        sample_ratio=pb.SampleRatio(
            baseline_units=srm.baseline_units,
            candidate_units=srm.candidate_units,
            expected_share=srm.expected_share,
            observed_share=srm.observed_share,
            p_value=srm.p_value,
            chi_square=srm.chi_square,
            chi_square_p=srm.chi_square_p,
            mismatch=srm.mismatch,
        ),
        computed_at=timestamp(r.computed_at.timestamp()),
        experiment=experiment_to_proto(experiment),
    )
