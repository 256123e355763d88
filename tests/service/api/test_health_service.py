"""OrderHealthService over a real gRPC server and a real Redis: orders routed (with an experiment
running) and outcomes reported come back per bucket, version, arm and path."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments import METRICS
from service.api.auth import METHOD_ROLES
from service.api.wiring import App
from service.client.errors import error_details
from tests.conftest import EXAMPLES

CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()


def order(customer: str, repeats: int) -> pb.Order:
    return pb.Order(order_id=f"{customer}-o", customer=pb.Customer(customer_id=customer, repeat_purchases=repeats))


def stamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


@pytest.fixture
def health(channel: grpc.Channel) -> pb_grpc.OrderHealthServiceStub:
    return pb_grpc.OrderHealthServiceStub(channel)


def test_routed_orders_and_outcomes_read_back_per_version_arm_and_path(
    channel: grpc.Channel, app: App, health: pb_grpc.OrderHealthServiceStub
) -> None:
    rulesets = pb_grpc.RuleSetServiceStub(channel)
    rulesets.PublishRuleSet(pb.PublishRuleSetRequest(source=CANDIDATE, author="ana"))
    pb_grpc.ExperimentServiceStub(channel).StartExperiment(
        pb.StartExperimentRequest(
            rule_set="fulfilment",
            candidate_version=2,
            traffic_bp=5000,
            actor="rev",
            reason="pilot",
            maturity_seconds=dict.fromkeys(METRICS, 0),
        )
    )
    routing = pb_grpc.RoutingServiceStub(channel)
    orders = [order(f"c-{i}", repeats=i % 4) for i in range(120)]
    decisions = [r.decision for r in routing.RouteBatch(pb.RouteBatchRequest(orders=orders[:100])).results]
    decisions += [routing.Route(pb.RouteRequest(order=o)).decision for o in orders[100:]]
    decisions.append(routing.Route(pb.RouteRequest(order=pb.Order(order_id="guest"))).decision)  # no unit: arm none
    want = Counter((d.version, d.arm, d.path) for d in decisions)
    assert {arm for _, arm, _ in want} == {pb.ARM_BASELINE, pb.ARM_CANDIDATE, pb.ARM_UNSPECIFIED}
    want_default = Counter((d.version, d.arm) for d in decisions if d.default_rule_used)

    outcomes = pb_grpc.OutcomeServiceStub(channel)
    reported = decisions[:10]
    outcomes.RecordOutcomes(
        pb.RecordOutcomesRequest(
            outcomes=[
                pb.Outcome(decision_id=d.decision_id, exception=i % 2 == 0, fulfilment_hours=10.0 + i)
                for i, d in enumerate(reported)
            ]
        )
    )
    app.decisions.flush()

    reply = health.GetOrderHealth(pb.GetOrderHealthRequest(rule_set="fulfilment", bucket_seconds=60))
    assert reply.bucket_seconds == 60
    assert reply.retention_seconds == 7 * 86400
    assert len(reply.buckets) in (60, 61)  # the last hour, rounded out to whole minutes
    assert sum(b.decisions for b in reply.buckets) == len(decisions)
    got = Counter(
        {(s.version, s.arm, p.path): p.decisions for s in reply.overall for p in s.paths},
    )
    assert got == want
    assert {(s.version, s.arm): s.default_rule_decisions for s in reply.overall if s.default_rule_decisions} == dict(
        want_default
    )
    for s in reply.overall:
        assert s.HasField("latency_p50_micros") and 0 < s.latency_p50_micros <= s.latency_p99_micros
        assert s.default_rule_bp == s.default_rule_decisions * 10_000 // s.decisions

    kpis: dict[tuple[int, int, str], tuple[int, float]] = {}
    for s in reply.overall:
        for o in s.outcomes:
            kpis[(s.version, s.arm, o.metric)] = (o.reports, o.mean)
    per_series = Counter((d.version, d.arm) for d in reported)
    for (version, arm), n in per_series.items():
        assert kpis[(version, arm, "exception")][0] == n
        assert kpis[(version, arm, "fulfilment_hours")][0] == n
    assert sum(n * mean for (_, _, m), (n, mean) in kpis.items() if m == "exception") == pytest.approx(5)
    assert sum(n * mean for (_, _, m), (n, mean) in kpis.items() if m == "fulfilment_hours") == pytest.approx(
        sum(10.0 + i for i in range(10))
    )


def test_buckets_are_aligned_and_every_one_is_there(health: pb_grpc.OrderHealthServiceStub) -> None:
    until = datetime(2026, 12, 2, 10, 7, 30, tzinfo=UTC)
    request = pb.GetOrderHealthRequest(
        rule_set="fulfilment", since=stamp(until - timedelta(minutes=32)), until=stamp(until), bucket_seconds=600
    )
    reply = health.GetOrderHealth(request)
    assert reply.since.ToDatetime(tzinfo=UTC) == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    assert reply.until.ToDatetime(tzinfo=UTC) == datetime(2026, 12, 2, 10, 10, tzinfo=UTC)
    assert [b.start.ToDatetime(tzinfo=UTC).minute for b in reply.buckets] == [30, 40, 50, 0]
    assert all(b.decisions == 0 and not b.series and not b.HasField("latency_p50_micros") for b in reply.buckets)


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"rule_set": ""}, "rule_set"),
        ({"bucket_seconds": 90}, "bucket_seconds"),
        ({"bucket_seconds": -60}, "bucket_seconds"),
        ({"bucket_seconds": 60, "since": stamp(datetime(2026, 1, 1, tzinfo=UTC))}, "bucket_seconds"),  # > 2000
        ({"since": stamp(datetime(2026, 1, 2, tzinfo=UTC)), "until": stamp(datetime(2026, 1, 1, tzinfo=UTC))}, "since"),
        ({"since": Timestamp(seconds=2**62)}, "since"),
    ],
)
def test_bad_input_is_invalid_argument_naming_the_field(
    health: pb_grpc.OrderHealthServiceStub, request_fields: dict[str, object], field: str
) -> None:
    request = pb.GetOrderHealthRequest(rule_set="fulfilment")
    for name, value in request_fields.items():
        if isinstance(value, Timestamp):
            getattr(request, name).CopyFrom(value)
        else:
            setattr(request, name, value)
    with pytest.raises(grpc.RpcError) as caught:
        health.GetOrderHealth(request)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(caught.value)[1] == field


def test_an_unknown_rule_set_is_not_found(health: pb_grpc.OrderHealthServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        health.GetOrderHealth(pb.GetOrderHealthRequest(rule_set="nope"))
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND


def test_any_signed_in_role_may_read_it() -> None:
    assert METHOD_ROLES["GetOrderHealth"] == frozenset(METHOD_ROLES["GetCaller"])
    methods = pb.DESCRIPTOR.services_by_name["OrderHealthService"].methods
    assert all(m.name in METHOD_ROLES for m in methods)
