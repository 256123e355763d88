"""Control-plane messages <-> core types: rule set versions, diagnostics, activations, audit
entries, experiments, transitions, results and outcomes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb

from experiments import (
    METRICS,
    Action,
    Arm,
    Experiment,
    Guardrail,
    InvalidOutcome,
    Results,
    State,
    Transition,
    Unit,
    Verdict,
    check_outcome,
)
from experiments.history import ResultsPoint
from experiments.maturity import Coverage
from experiments.model import MetricKind, MetricSpec
from experiments.outcomes import check_declared_values
from experiments.results import ArmEstimate
from experiments.statistics import SampleRatio
from rules import CheckResult, Diagnostic, Severity, TestResult
from service.app import Activated, OutcomeReport, Recorded
from service.app.reviews import ReviewState, review_state
from service.errors import InvalidArgument
from service.storage import AuditRecord, DraftRecord, ReviewRecord, VersionRecord


def timestamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(at.timestamp() * 1e9))
    return ts


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


METRIC_KIND = {
    MetricKind.RATE: pb.METRIC_KIND_RATE,
    MetricKind.COUNT: pb.METRIC_KIND_COUNT,
    MetricKind.AMOUNT: pb.METRIC_KIND_AMOUNT,
}
METRIC_KIND_FROM = {v: k for k, v in METRIC_KIND.items()}
DEFAULT_MIN_EFFECT = {MetricKind.RATE: 0.02, MetricKind.COUNT: 0.05, MetricKind.AMOUNT: 0.05}
"""A declared metric's smallest change worth detecting when none is given (as the built-in ones')."""


def declared_from_proto(definitions: list[pb.MetricDefinition]) -> list[MetricSpec]:
    """The metrics an experiment declares (experiments.lifecycle checks the rest)."""
    out = []
    for index, d in enumerate(definitions):
        kind = METRIC_KIND_FROM.get(d.kind)
        if kind is None:
            raise InvalidArgument(f"metrics[{index}].kind", "is required: METRIC_KIND_RATE, _COUNT or _AMOUNT")
        mde = d.min_effect or DEFAULT_MIN_EFFECT[kind]
        out.append(MetricSpec(d.name, kind, d.higher_is_better, d.description, mde))
    return out


def declared_to_proto(spec: MetricSpec) -> pb.MetricDefinition:
    return pb.MetricDefinition(
        name=spec.name,
        kind=METRIC_KIND[spec.kind],
        higher_is_better=spec.higher_is_better,
        description=spec.description,
        min_effect=spec.mde,
    )


def experiment_to_proto(e: Experiment) -> pb.Experiment:
    message = pb.Experiment(
        id=e.id,
        etag=e.etag,
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
        created_at=timestamp(e.created_at),
        created_by=e.created_by,
        epoch=e.epoch,
        maturity_seconds={m: round(w.total_seconds()) for m, w in e.maturity.items()},
        metrics=[declared_to_proto(m) for m in e.declared],
    )
    if e.ended_at is not None:
        message.ended_at.CopyFrom(timestamp(e.ended_at))
    return message


def transition_to_proto(t: Transition) -> pb.ExperimentTransition:
    return pb.ExperimentTransition(
        action=str(t.action),
        from_state=STATE[t.from_state] if t.action is not Action.START else pb.EXPERIMENT_STATE_UNSPECIFIED,
        to_state=STATE[t.to_state],
        actor=t.actor,
        reason=t.reason,
        at=timestamp(t.at),
        traffic_bp=t.share_bp,
        results_json=json.dumps(t.results, sort_keys=True),
    )


def _arm_estimate(a: ArmEstimate | None) -> pb.ArmEstimate | None:
    if a is None:
        return None
    return pb.ArmEstimate(mean=a.mean, low=a.low, high=a.high, n=a.n, clusters=a.clusters)


def _sample_ratio(s: SampleRatio) -> pb.SampleRatio:
    return pb.SampleRatio(
        baseline_units=s.baseline_units,
        candidate_units=s.candidate_units,
        expected_share=s.expected_share,
        observed_share=s.observed_share,
        p_value=s.p_value,
        chi_square=s.chi_square,
        chi_square_p=s.chi_square_p,
        mismatch=s.mismatch,
        epoch=s.epoch,
    )


def results_to_proto(experiment: Experiment, r: Results) -> pb.GetResultsResponse:
    return pb.GetResultsResponse(
        experiment_id=r.experiment_id,
        verdict=VERDICT[r.verdict],
        reason=r.reason,
        samples_needed=r.samples_needed,
        arms=[
            pb.ArmSummary(
                arm=ARM[arm], decisions=d.decisions, units=d.units, outcomes=d.outcomes, unassigned=d.unassigned
            )
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
                relative=m.relative,
                baseline_units=m.units[0],
                candidate_units=m.units[1],
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
        sample_ratio=_sample_ratio(r.sample_ratio),
        computed_at=timestamp(r.computed_at),
        experiment=experiment_to_proto(experiment),
        epoch_sample_ratios=[_sample_ratio(s) for s in r.epoch_ratios],
        coverage=[_coverage(c) for c in r.coverage],
    )


def point_to_proto(p: ResultsPoint) -> pb.ResultsPoint:
    return pb.ResultsPoint(
        at=timestamp(p.at),
        verdict=VERDICT[p.verdict],
        state=STATE[p.state],
        traffic_bp=p.share_bp,
        action=p.action,
        baseline_decisions=p.decisions[0],
        candidate_decisions=p.decisions[1],
        metrics=[pb.MetricPoint(metric=m.metric, difference=m.difference, low=m.low, high=m.high) for m in p.metrics],
    )


def _coverage(c: Coverage) -> pb.OutcomeCoverage:
    message = pb.OutcomeCoverage(
        metric=c.metric,
        maturity_seconds=c.window_ms // 1000,
        baseline_matured=c.matured[0],
        candidate_matured=c.matured[1],
        baseline_analysed=c.analysed[0],
        candidate_analysed=c.analysed[1],
        baseline_late=c.late[0],
        candidate_late=c.late[1],
    )
    if c.test is not None:
        message.test.CopyFrom(_sample_ratio(c.test))
    return message


# ---------------------------------------------------------------- rule sets


REVIEW_STATE = {
    ReviewState.PENDING: pb.REVIEW_STATE_PENDING,
    ReviewState.APPROVED: pb.REVIEW_STATE_APPROVED,
    ReviewState.REJECTED: pb.REVIEW_STATE_REJECTED,
    ReviewState.NOT_REQUIRED: pb.REVIEW_STATE_NOT_REQUIRED,
}


def version_to_proto(
    record: VersionRecord, active: bool, reviews: Sequence[ReviewRecord] = (), required: int = 0
) -> pb.RuleSetVersion:
    return pb.RuleSetVersion(
        review_state=REVIEW_STATE[review_state(reviews, required)],
        reviews=[
            pb.VersionReview(reviewer=r.reviewer, approved=r.approved, comment=r.comment, at=timestamp(r.at))
            for r in reviews
        ],
        approvals_required=required,
        name=record.name,
        version=record.version,
        content_hash=record.content_hash,
        source=record.source,
        author=record.author,
        comment=record.comment,
        published_at=timestamp(record.published_at),
        active=active,
        rule_count=record.rule_count,
    )


def draft_to_proto(d: DraftRecord) -> pb.Draft:
    return pb.Draft(
        name=d.name, owner=d.owner, source=d.source, base_version=d.base_version, updated_at=timestamp(d.updated_at)
    )


def activation_to_proto(done: Activated) -> pb.Activation:
    return pb.Activation(
        name=done.name,
        version=done.version,
        previous_version=done.previous_version,
        actor=done.actor,
        reason=done.reason,
        at=timestamp(done.at),
    )


def audit_to_proto(e: AuditRecord) -> pb.AuditEntry:
    return pb.AuditEntry(
        action=e.action,
        name=e.name,
        version=e.version,
        actor=e.actor,
        reason=e.reason,
        at=timestamp(e.at),
        previous_version=e.previous_version,
        content_hash=e.content_hash,
        bypass_reason=e.bypass,
    )


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
        field=d.field,
    )


def warnings_of(check: CheckResult) -> list[pb.Diagnostic]:
    return [diagnostic_to_proto(d) for d in check.diagnostics if not d.is_error]


def test_to_proto(t: TestResult) -> pb.TestCaseResult:
    return pb.TestCaseResult(name=t.name, passed=t.passed, failures=t.failures, line=t.line)


# ---------------------------------------------------------------- outcomes


def outcome_from_proto(outcome: pb.Outcome, where: str) -> OutcomeReport:
    """Raises InvalidArgument / InvalidOutcome naming the field."""
    if not outcome.decision_id and not outcome.order_id:
        raise InvalidArgument(f"{where}.decision_id", "is required (or order_id: the order's latest decision)")
    values = check_outcome({name: getattr(outcome, name) for name in METRICS if outcome.HasField(name)}, where)
    values.update(check_declared_values(outcome.metrics, where))
    if not values:
        known = ", ".join(METRICS)
        raise InvalidOutcome(where, f"reports no metric; set at least one of {known}, or a declared one in metrics")
    return OutcomeReport(outcome.decision_id, values, outcome.order_id, outcome.rule_set, where)


def recorded_to_proto(r: Recorded) -> pb.RecordOutcomeResponse:
    return pb.RecordOutcomeResponse(
        decision_id=r.decision_id,
        experiment_id=r.experiment_id,
        arm=ARM[r.arm] if r.arm is not None else pb.ARM_UNSPECIFIED,
        replaced=r.replaced,
    )
