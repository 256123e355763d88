"""Gray releases over a real gRPC server and a real Redis."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, datetime

import grpc
import pytest
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

import service.cli as cli
from experiments import METRICS, Arm
from experiments.statistics import Accumulator, ArmMoments, heaviest
from service.api.statuses import field_of
from service.client.errors import error_details
from service.storage import keys
from service.storage.codec import unpack_decision
from service.storage.redis_experiments import RedisExperimentStore
from tests.conftest import EXAMPLES

CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()


def order(customer: str, n: int = 0, repeats: int = 2) -> pb.Order:
    return pb.Order(order_id=f"{customer}-o{n}", customer=pb.Customer(customer_id=customer, repeat_purchases=repeats))


@pytest.fixture
def experiments(channel) -> pb_grpc.ExperimentServiceStub:
    return pb_grpc.ExperimentServiceStub(channel)


@pytest.fixture
def outcomes(channel) -> pb_grpc.OutcomeServiceStub:
    return pb_grpc.OutcomeServiceStub(channel)


@pytest.fixture
def running(rulesets, experiments) -> pb.Experiment:
    rulesets.PublishRuleSet(pb.PublishRuleSetRequest(source=CANDIDATE, author="ana"))
    request = pb.StartExperimentRequest(
        rule_set="fulfilment",
        candidate_version=2,
        traffic_bp=1000,
        actor="rev",
        reason="pilot",
        min_samples=50,
        maturity_seconds=dict.fromkeys(METRICS, 0),  # these tests report at once
    )
    return experiments.StartExperiment(request).experiment


def route_customers(routing, customers: list[str], n: int = 0) -> dict[str, pb.Decision]:
    out = {}
    for i in range(0, len(customers), 1000):
        chunk = customers[i : i + 1000]
        reply = routing.RouteBatch(pb.RouteBatchRequest(orders=[order(c, n) for c in chunk]))
        out.update({c: r.decision for c, r in zip(chunk, reply.results, strict=True)})
    return out


def test_start_defaults_and_audit(running, experiments) -> None:
    assert running.state == pb.EXPERIMENT_STATE_RUNNING
    assert (running.baseline_version, running.candidate_version, running.traffic_bp) == (1, 2, 1000)
    assert running.primary_metric == "on_time"
    assert [g.metric for g in running.guardrails] == ["exception", "complaint", "cancelled", "logistics_cost_minor"]
    got = experiments.GetExperiment(pb.GetExperimentRequest(id=running.id))
    assert [(t.action, t.actor, t.reason) for t in got.transitions] == [("start", "rev", "pilot")]


def test_candidate_share_is_sticky_and_decisions_say_the_arm(running, routing) -> None:
    customers = [f"cust-{i}" for i in range(3000)]
    first = route_customers(routing, customers)
    second = route_customers(routing, customers, n=1)
    arms = Counter(d.arm for d in first.values())
    assert 0.08 < arms[pb.ARM_CANDIDATE] / len(customers) < 0.12
    for c in customers:
        assert first[c].arm == second[c].arm
        assert first[c].experiment_id == running.id
        want_version = 2 if first[c].arm == pb.ARM_CANDIDATE else 1
        assert first[c].version == want_version
        # The candidate opens the express lane at 2 repeat purchases.
        assert first[c].path == ("EXPRESS" if want_version == 2 else "STANDARD")


def test_an_order_without_customer_is_served_by_the_baseline_counted_and_not_analysed(
    running, routing, outcomes, experiments
) -> None:
    decision = routing.Route(pb.RouteRequest(order=pb.Order(order_id="anonymous"))).decision
    assert (decision.arm, decision.version, decision.experiment_id) == (pb.ARM_UNSPECIFIED, 1, running.id)
    member = routing.Route(pb.RouteRequest(order=order("member-1"))).decision
    for served in (decision, member):
        outcome = pb.Outcome(decision_id=served.decision_id, on_time=served is member)
        outcomes.RecordOutcome(pb.RecordOutcomeRequest(outcome=outcome))
    results = experiments.GetResults(pb.GetResultsRequest(id=running.id))
    baseline = next(a for a in results.arms if a.arm == pb.ARM_BASELINE)
    member_arm = next(a for a in results.arms if a.arm == member.arm)
    assert baseline.unassigned == 1 and member_arm.outcomes == 1
    assert sum(a.decisions for a in results.arms) == 1 and sum(a.outcomes for a in results.arms) == 1


def test_ramp_keeps_candidates_and_pause_sends_everyone_to_baseline(running, routing, experiments) -> None:
    customers = [f"ramp-{i}" for i in range(2000)]
    before = {c for c, d in route_customers(routing, customers).items() if d.arm == pb.ARM_CANDIDATE}
    experiments.RampExperiment(pb.RampExperimentRequest(id=running.id, traffic_bp=5000, actor="rev", reason="ramp"))
    after = {c for c, d in route_customers(routing, customers, 1).items() if d.arm == pb.ARM_CANDIDATE}
    assert before < after and len(after) > 800

    experiments.PauseExperiment(pb.PauseExperimentRequest(id=running.id, actor="rev", reason="look"))
    paused = route_customers(routing, customers, 2)
    assert all(d.version == 1 and d.arm == pb.ARM_UNSPECIFIED for d in paused.values())
    experiments.ResumeExperiment(pb.ResumeExperimentRequest(id=running.id, actor="rev", reason="go"))
    resumed = {c for c, d in route_customers(routing, customers, 3).items() if d.arm == pb.ARM_CANDIDATE}
    assert resumed == after


def test_one_experiment_per_rule_set_and_no_activation_meanwhile(running, rulesets, experiments) -> None:
    with pytest.raises(grpc.RpcError) as info:
        experiments.StartExperiment(
            pb.StartExperimentRequest(rule_set="fulfilment", candidate_version=2, actor="x", reason="again")
        )
    assert info.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as info:
        rulesets.ActivateRuleSet(pb.ActivateRuleSetRequest(name="fulfilment", version=2, actor="x", reason="sneak"))
    assert info.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert running.id in info.value.details()


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (
            pb.StartExperimentRequest(rule_set="fulfilment", candidate_version=2, traffic_bp=5, actor="a", reason="r"),
            "traffic_bp",
        ),
        (
            pb.StartExperimentRequest(rule_set="fulfilment", candidate_version=1, actor="a", reason="r"),
            "candidate_version",
        ),
        (
            pb.StartExperimentRequest(
                rule_set="fulfilment", candidate_version=2, primary_metric="speed", actor="a", reason="r"
            ),
            "primary_metric",
        ),
        (
            pb.StartExperimentRequest(
                rule_set="fulfilment",
                candidate_version=2,
                actor="a",
                reason="r",
                guardrails=[pb.GuardrailSpec(metric="exception", limit=0)],
            ),
            "guardrails[0].limit",
        ),
        (pb.StartExperimentRequest(rule_set="fulfilment", candidate_version=2, actor="a"), "reason"),
        (
            pb.StartExperimentRequest(
                rule_set="fulfilment", candidate_version=2, actor="a", reason="r", min_duration_seconds=-60
            ),
            "min_duration_seconds",
        ),
        (
            pb.StartExperimentRequest(
                rule_set="fulfilment", candidate_version=2, actor="a", reason="r", min_samples=-1
            ),
            "min_samples",
        ),
        (
            pb.StartExperimentRequest(
                rule_set="fulfilment", candidate_version=2, actor="a", reason="r", maturity_seconds={"speed": 60}
            ),
            "maturity_seconds.speed",
        ),
        (
            pb.StartExperimentRequest(
                rule_set="fulfilment", candidate_version=2, actor="a", reason="r", maturity_seconds={"on_time": -1}
            ),
            "maturity_seconds.on_time",
        ),
    ],
    ids=[
        "share below 0.1%",
        "candidate is active",
        "unknown metric",
        "zero limit",
        "no reason",
        "negative duration",
        "negative samples",
        "maturity of an unknown metric",
        "negative maturity",
    ],
)
def test_bad_start_is_invalid_argument_naming_the_field(rulesets, experiments, request_, field) -> None:
    rulesets.PublishRuleSet(pb.PublishRuleSetRequest(source=CANDIDATE, author="ana"))
    with pytest.raises(grpc.RpcError) as info:
        experiments.StartExperiment(request_)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details().startswith(field + ":"), info.value.details()


def test_outcomes_are_idempotent_and_corrections_replace(running, routing, outcomes, experiments) -> None:
    decision = routing.Route(pb.RouteRequest(order=order("idem-1"))).decision
    first = outcomes.RecordOutcome(
        pb.RecordOutcomeRequest(outcome=pb.Outcome(decision_id=decision.decision_id, on_time=True))
    )
    assert (first.experiment_id, first.arm, list(first.replaced)) == (running.id, decision.arm, [])
    retry = outcomes.RecordOutcome(
        pb.RecordOutcomeRequest(outcome=pb.Outcome(decision_id=decision.decision_id, on_time=True))
    )
    assert list(retry.replaced) == ["on_time"]
    corrected = outcomes.RecordOutcome(
        pb.RecordOutcomeRequest(outcome=pb.Outcome(decision_id=decision.decision_id, on_time=False, complaint=True))
    )
    assert list(corrected.replaced) == ["on_time"]
    results = experiments.GetResults(pb.GetResultsRequest(id=running.id))
    arm = next(a for a in results.arms if a.arm == decision.arm)
    assert arm.outcomes == 1
    on_time = next(m for m in results.metrics if m.metric == "on_time")
    side = on_time.candidate if decision.arm == pb.ARM_CANDIDATE else on_time.baseline
    assert not side.n or side.n == 1


def test_outcome_errors(running, routing, outcomes) -> None:
    with pytest.raises(grpc.RpcError) as info:
        outcomes.RecordOutcome(pb.RecordOutcomeRequest(outcome=pb.Outcome(decision_id="nope-1", on_time=True)))
    assert info.value.code() is grpc.StatusCode.NOT_FOUND
    decision = routing.Route(pb.RouteRequest(order=order("err-1"))).decision
    for outcome, field in [
        (pb.Outcome(decision_id=decision.decision_id, fulfilment_hours=-2), "outcome.fulfilment_hours"),
        (pb.Outcome(decision_id=decision.decision_id, fulfilment_hours=float("nan")), "outcome.fulfilment_hours"),
        (pb.Outcome(decision_id=decision.decision_id), "outcome"),
        (pb.Outcome(on_time=True), "outcome.decision_id"),
    ]:
        with pytest.raises(grpc.RpcError) as info:
            outcomes.RecordOutcome(pb.RecordOutcomeRequest(outcome=outcome))
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert info.value.details().startswith(field + ":"), info.value.details()


def test_outcome_batch_reports_each_item(running, routing, outcomes) -> None:
    decisions = route_customers(routing, ["b-1", "b-2"])
    reply = outcomes.RecordOutcomes(
        pb.RecordOutcomesRequest(
            outcomes=[
                pb.Outcome(decision_id=decisions["b-1"].decision_id, on_time=True),
                pb.Outcome(decision_id="missing-1", on_time=True),
                pb.Outcome(decision_id=decisions["b-2"].decision_id, fulfilment_hours=-1),
            ]
        )
    )
    kinds = [r.WhichOneof("result") for r in reply.results]
    assert kinds == ["recorded", "error", "error"]
    assert reply.results[1].error.code == grpc.StatusCode.NOT_FOUND.value[0]
    assert field_of(reply.results[2].error) == "outcomes[2].fulfilment_hours"


def test_outcomes_for_decisions_outside_experiments_are_accepted(routing, outcomes) -> None:
    decision = routing.Route(pb.RouteRequest(order=order("plain"))).decision
    reply = outcomes.RecordOutcome(
        pb.RecordOutcomeRequest(outcome=pb.Outcome(decision_id=decision.decision_id, returned=True))
    )
    assert (reply.experiment_id, reply.arm) == ("", pb.ARM_UNSPECIFIED)
    again = outcomes.RecordOutcome(
        pb.RecordOutcomeRequest(outcome=pb.Outcome(decision_id=decision.decision_id, returned=False))
    )
    assert list(again.replaced) == ["returned"]


def test_redis_sums_equal_the_reference_accumulator(running, routing, outcomes, redis_client) -> None:
    rng = random.Random(5)
    customers = [f"sum-{i}" for i in range(150)]
    reference = {arm: Accumulator() for arm in Arm}
    orders: dict[Arm, Counter[str]] = {arm: Counter() for arm in Arm}  # with an outcome, per unit
    reported: dict[str, float] = {}
    decisions = []
    for n in range(3):
        decisions += list(route_customers(routing, customers, n).items())
    batch = []
    for customer, decision in decisions:
        hours = round(rng.uniform(5, 90), 2)
        batch.append(pb.Outcome(decision_id=decision.decision_id, fulfilment_hours=hours))
        arm = Arm.CANDIDATE if decision.arm == pb.ARM_CANDIDATE else Arm.BASELINE
        reference[arm].add(customer, hours)
        orders[arm][customer] += 1
        reported[decision.decision_id] = hours
    for customer, decision in decisions[::7]:  # corrections
        hours = round(rng.uniform(5, 90), 2)
        batch.append(pb.Outcome(decision_id=decision.decision_id, fulfilment_hours=hours))
        arm = Arm.CANDIDATE if decision.arm == pb.ARM_CANDIDATE else Arm.BASELINE
        reference[arm].add(customer, hours, replaces=reported[decision.decision_id])
        reported[decision.decision_id] = hours
    for i in range(0, len(batch), 100):
        reply = outcomes.RecordOutcomes(pb.RecordOutcomesRequest(outcomes=batch[i : i + 100]))
        assert all(r.WhichOneof("result") == "recorded" for r in reply.results)
    store = RedisExperimentStore(redis_client)
    data = store.arm_data(store.get(running.id), datetime.now(UTC))
    for arm in Arm:
        stored, want = data[arm].moments["fulfilment_hours"], reference[arm].moments(heaviest(orders[arm]))
        assert stored.sums() == pytest.approx(want.sums(), rel=1e-12), arm
    assert isinstance(data[Arm.BASELINE].moments["fulfilment_hours"], ArmMoments)


def test_promoting_against_the_results_is_refused_to_who_started_it(running, experiments) -> None:
    request = pb.PromoteExperimentRequest(id=running.id, actor=running.created_by, reason="looks fine")
    with pytest.raises(grpc.RpcError) as info:
        experiments.PromoteExperiment(request)
    assert info.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(info.value)[0] == "SECOND_PERSON_REQUIRED"
    assert f"other than {running.created_by}, who started it" in info.value.details()
    unchanged = experiments.GetExperiment(pb.GetExperimentRequest(id=running.id))
    assert unchanged.experiment.state == pb.EXPERIMENT_STATE_RUNNING and len(unchanged.transitions) == 1


def test_promote_makes_the_candidate_everyones_version(running, routing, experiments, rulesets) -> None:
    # Another reviewer than the one who started it: the results recommend nothing yet.
    reply = experiments.PromoteExperiment(pb.PromoteExperimentRequest(id=running.id, actor="lead", reason="better"))
    assert reply.experiment.state == pb.EXPERIMENT_STATE_PROMOTED
    assert (reply.activation.version, reply.activation.previous_version) == (2, 1)
    decisions = route_customers(routing, [f"after-{i}" for i in range(300)])
    assert {(d.version, d.arm) for d in decisions.values()} == {(2, pb.ARM_UNSPECIFIED)}
    audit = rulesets.GetAuditLog(pb.GetAuditLogRequest(name="fulfilment")).entries[0]
    assert (audit.action, audit.version, audit.actor) == ("activate", 2, "lead")
    assert audit.reason.startswith(f"promote {running.id}")
    transitions = experiments.GetExperiment(pb.GetExperimentRequest(id=running.id)).transitions
    assert transitions[-1].action == "promote" and '"verdict"' in transitions[-1].results_json
    with pytest.raises(grpc.RpcError) as info:
        experiments.AbortExperiment(pb.AbortExperimentRequest(id=running.id, actor="rev", reason="late"))
    assert info.value.code() is grpc.StatusCode.FAILED_PRECONDITION


def test_rollback_keeps_everyone_on_the_baseline(running, routing, experiments) -> None:
    experiments.RollbackExperiment(pb.RollbackExperimentRequest(id=running.id, actor="rev", reason="no gain"))
    decisions = route_customers(routing, [f"rb-{i}" for i in range(300)])
    assert {(d.version, d.arm) for d in decisions.values()} == {(1, pb.ARM_UNSPECIFIED)}
    listed = experiments.ListExperiments(pb.ListExperimentsRequest(rule_set="fulfilment")).experiments
    assert [(e.id, e.state) for e in listed] == [(running.id, pb.EXPERIMENT_STATE_ROLLED_BACK)]


def test_unknown_experiment_is_not_found(experiments) -> None:
    with pytest.raises(grpc.RpcError) as info:
        experiments.GetResults(pb.GetResultsRequest(id="exp-999"))
    assert info.value.code() is grpc.StatusCode.NOT_FOUND


def test_an_over_long_id_is_not_echoed_back_whole(experiments, outcomes, routing) -> None:
    long_id = "x" * 16_384
    calls = [
        lambda: experiments.GetResults(pb.GetResultsRequest(id=long_id)),
        lambda: outcomes.RecordOutcome(pb.RecordOutcomeRequest(outcome=pb.Outcome(decision_id=long_id, on_time=True))),
        lambda: routing.Route(pb.RouteRequest(order=order("c"), rule_set=long_id)),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as info:
            call()
        assert info.value.code() is grpc.StatusCode.NOT_FOUND
        assert len(info.value.details()) < 300 and "16,384 characters" in info.value.details()


def test_decision_records_reach_redis_off_the_route_path(running, routing, redis_client, app) -> None:
    decision = routing.Route(pb.RouteRequest(order=order("rec-1"))).decision
    key = keys.decision(decision.decision_id)
    deadline = time.monotonic() + 5
    # Not the buffer's depth: it is 0 as soon as the writer has taken the record, before Redis has it.
    while not redis_client.exists(key) and time.monotonic() < deadline:
        time.sleep(0.01)
    stored = unpack_decision(decision.decision_id, redis_client.get(key))
    assert (stored.experiment_id, stored.order_id) == (running.id, "rec-1-o0")
    assert redis_client.ttl(key) > 86400


BASELINE = (EXAMPLES / "fulfilment.yaml").read_text()


def by_order(order_id: str, **values) -> pb.RecordOutcomeRequest:
    return pb.RecordOutcomeRequest(outcome=pb.Outcome(order_id=order_id, **values))


def test_an_outcome_by_order_id_lands_on_the_orders_latest_decision(routing, outcomes) -> None:
    first = routing.Route(pb.RouteRequest(order=order("by-order", n=7))).decision
    latest = routing.Route(pb.RouteRequest(order=order("by-order", n=7))).decision  # the OMS routed it again
    assert first.decision_id != latest.decision_id
    reply = outcomes.RecordOutcome(by_order("by-order-o7", on_time=True))
    assert reply.decision_id == latest.decision_id
    with pytest.raises(grpc.RpcError) as info:
        outcomes.RecordOutcome(by_order("never-routed", on_time=True))
    assert info.value.code() is grpc.StatusCode.NOT_FOUND
    assert "never-routed" in info.value.details()


def test_an_order_decided_under_two_rule_sets_must_say_which(routing, rulesets, outcomes) -> None:
    returns = BASELINE.replace("name: fulfilment", "name: returns", 1)
    rulesets.PublishRuleSet(pb.PublishRuleSetRequest(source=returns, author="ana"))
    rulesets.ActivateRuleSet(pb.ActivateRuleSetRequest(name="returns", version=1, actor="ana", reason="first"))
    main = routing.Route(pb.RouteRequest(order=order("two-sets"))).decision
    other = routing.Route(pb.RouteRequest(order=order("two-sets"), rule_set="returns")).decision
    with pytest.raises(grpc.RpcError) as info:
        outcomes.RecordOutcome(by_order("two-sets-o0", complaint=True))
    assert info.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert main.decision_id in info.value.details() and other.decision_id in info.value.details()
    chosen = outcomes.RecordOutcome(by_order("two-sets-o0", rule_set="returns", complaint=True))
    assert chosen.decision_id == other.decision_id


@pytest.fixture
def declaring(rulesets, experiments) -> pb.Experiment:
    """An experiment that declares inquiries per order (a guardrail) and a yes/no survey answer."""
    rulesets.PublishRuleSet(pb.PublishRuleSetRequest(source=CANDIDATE, author="ana"))
    request = pb.StartExperimentRequest(
        rule_set="fulfilment",
        candidate_version=2,
        traffic_bp=5000,
        actor="rev",
        reason="pilot",
        maturity_seconds=dict.fromkeys(METRICS, 0),
        metrics=[
            pb.MetricDefinition(
                name="inquiries", kind=pb.METRIC_KIND_COUNT, description="customer inquiries", guardrail_limit=0.5
            ),
            pb.MetricDefinition(name="recommends", kind=pb.METRIC_KIND_RATE, higher_is_better=True),
        ],
    )
    return experiments.StartExperiment(request).experiment


def test_a_declared_metric_is_reported_by_name_and_analysed(declaring, routing, outcomes, experiments) -> None:
    assert [(m.name, m.kind, m.min_effect) for m in declaring.metrics] == [
        ("inquiries", pb.METRIC_KIND_COUNT, 0.05),
        ("recommends", pb.METRIC_KIND_RATE, 0.02),
    ]
    assert [g.metric for g in declaring.guardrails][-1] == "inquiries"
    customers = [f"decl-{i}" for i in range(120)]
    route_customers(routing, customers)
    reports = [
        pb.Outcome(order_id=f"{c}-o0", metrics={"inquiries": i % 3, "recommends": i % 2})
        for i, c in enumerate(customers)
    ]
    reply = outcomes.RecordOutcomes(pb.RecordOutcomesRequest(outcomes=reports))
    assert all(r.WhichOneof("result") == "recorded" for r in reply.results), reply
    results = experiments.GetResults(pb.GetResultsRequest(id=declaring.id))
    inquiries = next(m for m in results.metrics if m.metric == "inquiries")
    assert inquiries.role == "guardrail" and inquiries.relative
    assert inquiries.baseline_units + inquiries.candidate_units == len(customers)
    assert inquiries.baseline.mean + inquiries.candidate.mean > 0
    assert "inquiries" in [g.metric for g in results.guardrails]
    recommends = next(m for m in results.metrics if m.metric == "recommends")
    assert not recommends.relative and recommends.baseline_units > 20


def test_declared_metric_errors_name_the_field(declaring, routing, outcomes, experiments) -> None:
    route_customers(routing, ["decl-bad"])
    for metrics, why in [
        ({"nps": 9}, "does not declare nps"),
        ({"recommends": 0.5}, "is a rate"),
        ({"inquiries": 1.5}, "is a count"),
        ({"on_time": 1}, "built-in"),
        ({"Bad Name": 1}, "lower-case"),
        ({"inquiries": -1}, "from 0"),
    ]:
        name = next(iter(metrics))
        with pytest.raises(grpc.RpcError) as info:
            outcomes.RecordOutcome(by_order("decl-bad-o0", metrics=metrics))
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT, metrics
        assert info.value.details().startswith(f'outcome.metrics["{name}"]:'), info.value.details()
        assert why in info.value.details()
    bad_start = pb.StartExperimentRequest(
        rule_set="fulfilment", candidate_version=2, actor="rev", reason="x", metrics=[pb.MetricDefinition(name="x")]
    )
    with pytest.raises(grpc.RpcError) as info:
        experiments.StartExperiment(bad_start)
    assert info.value.details().startswith("metrics[0].kind:")


def test_the_results_carry_the_candidate_replayed_over_the_orders_the_baseline_served(
    running, routing, outcomes, experiments, app, target, capsys, redis_client
) -> None:
    app.shadows.close()  # this test replays when it has routed, not when the background thread would
    redis_client.delete(keys.experiment(running.id, "shadow"), keys.experiment(running.id, "shadow-claim"))
    orders = [order(f"sh{i}", 0, repeats=i % 4) for i in range(600)]
    decided = routing.RouteBatch(pb.RouteBatchRequest(orders=orders)).results
    baseline = [(o, r.decision) for o, r in zip(orders, decided, strict=True) if r.decision.arm == pb.ARM_BASELINE]
    assert 450 < len(baseline) < 600, "a tenth of the customers are the candidate's"
    reports = [pb.Outcome(decision_id=d.decision_id, exception=o.customer.repeat_purchases == 2) for o, d in baseline]
    outcomes.RecordOutcomes(pb.RecordOutcomesRequest(outcomes=reports))
    assert app.decisions.flush()
    assert not experiments.GetResults(pb.GetResultsRequest(id=running.id)).HasField("shadow")
    assert app.shadows.refresh() == [running.id]
    assert app.shadows.refresh() == [], "once a cadence, whichever replica claims it"
    shadow = experiments.GetResults(pb.GetResultsRequest(id=running.id)).shadow
    changes = sum(o.customer.repeat_purchases == 2 for o, _ in baseline)  # the candidate sends them express
    assert (shadow.report.replayed, shadow.report.changed, shadow.report.trusted) == (len(baseline), changes, True)
    assert shadow.since == running.created_at and shadow.limit == 20_000
    changed = next(g for g in shadow.report.outcomes if g.group == "changed")
    assert [(k.metric, k.reports, k.mean) for k in changed.kpis] == [("exception", changes, 1.0)]
    assert cli.main(["experiments", "results", running.id, "--server", target]) == 0
    out = capsys.readouterr().out
    assert "shadow (observational, not causal):" in out
    assert f"Would change {changes} of {len(baseline)} orders" in out and "path: STANDARD -> EXPRESS for" in out
    assert f"Orders it would change, as they were routed: exception 100% (n={changes})." in out
