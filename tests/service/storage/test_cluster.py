"""Scale-out on a real three-node Redis Cluster: two service processes share it and agree on
routing, rule changes, every customer's arm and the outcome counts."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import redis
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.storage.connection import connect
from service.storage.keys import decision as decision_key
from service.storage.local_redis import start_cluster
from service.storage.redis_inputs import RedisInputLogStore
from tests.conftest import EXAMPLES
from tests.servers import Replica

CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
TWO_REPEATS = pb.Order(order_id="o-2", customer=pb.Customer(customer_id="c-9", repeat_purchases=2))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[int]]:
    processes, ports = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield ports
    for process in processes:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def replicas(cluster: list[int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Replica, Replica]]:
    url = f"redis://127.0.0.1:{cluster[0]}"
    a = Replica(url, tmp_path_factory.mktemp("a"), "--redis-cluster")
    b = Replica(f"redis://127.0.0.1:{cluster[2]}", tmp_path_factory.mktemp("b"), "--redis-cluster")
    yield a, b
    b.stop()
    a.stop()


def route(replica: Replica, order: pb.Order) -> pb.Decision:
    return pb_grpc.RoutingServiceStub(replica.channel).Route(pb.RouteRequest(order=order), timeout=10).decision


def activate(replica: Replica, version: int) -> None:
    request = pb.ActivateRuleSetRequest(name="fulfilment", version=version, actor="rev", reason="cluster test")
    pb_grpc.RuleSetServiceStub(replica.channel).ActivateRuleSet(request)


def until(predicate, seconds: float) -> float:
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.01)
    return time.monotonic() - start


def test_rule_changes_on_one_replica_reach_the_other_within_a_second(replicas) -> None:
    a, b = replicas
    assert route(a, TWO_REPEATS).path == route(b, TWO_REPEATS).path == "STANDARD"
    published = pb_grpc.RuleSetServiceStub(a.channel).PublishRuleSet(
        pb.PublishRuleSetRequest(source=CANDIDATE, author="ana")
    )
    assert published.version.version == 2
    activate(a, 2)
    until(lambda: route(b, TWO_REPEATS).path == "EXPRESS", 1.0)
    activate(b, 1)
    until(lambda: route(a, TWO_REPEATS).version == 1, 1.0)
    entries = pb_grpc.RuleSetServiceStub(b.channel).GetAuditLog(pb.GetAuditLogRequest(name="fulfilment")).entries
    assert [(e.action, e.version) for e in entries[:4]] == [
        ("activate", 1),
        ("activate", 2),
        ("publish", 2),
        ("activate", 1),
    ]


def test_arms_are_sticky_and_outcomes_all_counted_across_replicas(replicas, cluster: list[int]) -> None:
    a, b = replicas
    pb_grpc.RuleSetServiceStub(a.channel).PublishRuleSet(pb.PublishRuleSetRequest(source=CANDIDATE, author="ana"))
    start = pb.StartExperimentRequest(
        rule_set="fulfilment", candidate_version=2, traffic_bp=1000, actor="rev", reason="cluster", salt="cluster"
    )
    experiment = pb_grpc.ExperimentServiceStub(a.channel).StartExperiment(start).experiment
    first_seen: list[pb.Decision] = []
    until(lambda: first_seen.append(route(b, TWO_REPEATS)) or first_seen[-1].experiment_id == experiment.id, 1.0)

    customers = [f"cl-{i}" for i in range(2_000)]
    on_a, on_b = a.arms(customers, 1), b.arms(customers, 2)
    assert on_a == on_b, "a customer's arm does not depend on the replica"
    share = sum(arm == pb.ARM_CANDIDATE for arm, _ in on_a.values()) / len(customers)
    assert 0.07 < share < 0.13

    # Route one order per customer on alternating replicas, then report each outcome on the other one.
    decisions = [
        route((a, b)[i % 2], pb.Order(order_id=f"{c}-o", customer=pb.Customer(customer_id=c)))
        for i, c in enumerate(customers[:600])
    ]
    # Decision records are written in batches off the Route path; each buffer is written in order, so
    # once these are stored, so is everything routed before them.
    keys = [decision_key(d.decision_id) for d in decisions]
    with closing(connect(f"redis://127.0.0.1:{cluster[0]}/0", Path("."), cluster=True)) as store:
        until(lambda: all(value is not None for value in store.mget_nonatomic(keys)), 10)
    reported: Counter[int] = Counter()
    for i, decision in enumerate(decisions):
        outcomes = pb_grpc.OutcomeServiceStub((b, a)[i % 2].channel)
        outcome = pb.Outcome(decision_id=decision.decision_id, on_time=i % 3 != 0, exception=i % 17 == 0)
        if i % 5 == 0:  # as a warehouse or carrier would: by the order, which the cluster indexes
            outcome.order_id, outcome.decision_id = f"{customers[i]}-o", ""
        reply = outcomes.RecordOutcome(pb.RecordOutcomeRequest(outcome=outcome), timeout=10)
        assert reply.decision_id == decision.decision_id
        reported[reply.arm] += 1
    results = pb_grpc.ExperimentServiceStub(b.channel).GetResults(pb.GetResultsRequest(id=experiment.id))
    stored = {arm.arm: arm.outcomes for arm in results.arms}
    assert stored == dict(reported) and sum(stored.values()) == 600
    # Every decision made in the experiment, on either replica, is counted in its arm once.
    routed = Counter(d.arm for d in decisions)
    for arm, _ in on_a.values():
        routed[arm] += 2  # routed once on each replica
    routed[first_seen[-1].arm] += 1
    assert {arm.arm: arm.decisions for arm in results.arms} == dict(routed)

    # The decision log with inputs kept these decisions too, each with its order as sent, on the cluster.
    with closing(connect(f"redis://127.0.0.1:{cluster[0]}/0", Path("."), cluster=True)) as store:
        inputs = RedisInputLogStore(store)
        until(lambda: inputs.get("fulfilment", [decisions[-1].decision_id])[0] is not None, 10)
        logged = inputs.get("fulfilment", [d.decision_id for d in decisions])
        kept = [pb.Order.FromString(e.order).order_id if e is not None else None for e in logged]
        assert kept == [f"{c}-o" for c in customers[:600]]
        assert inputs.count("fulfilment") >= 600 and len(inputs.between("fulfilment", 0, 2**62, 50)) == 50

    # Decision records spread over every node of the cluster.
    per_node = []
    for port in cluster:
        with redis.Redis(port=port) as node:
            per_node.append(node.dbsize())
    assert all(count > 100 for count in per_node), per_node
    pb_grpc.ExperimentServiceStub(a.channel).AbortExperiment(
        pb.AbortExperimentRequest(id=experiment.id, actor="rev", reason="done")
    )


def test_a_cluster_needs_its_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs its URL"):
        connect(None, tmp_path, cluster=True)
