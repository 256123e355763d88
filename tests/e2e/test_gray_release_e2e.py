"""The gray-release loop end to end on a real Redis: detect a real gain and promote it,
stop a harmful candidate by its guardrail, and keep every customer's arm across
replicas, restarts and a ramp."""

from __future__ import annotations

import json
import time
from pathlib import Path

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments import METRICS
from experiments.simulation import OutcomeModel
from service.client.simulate import Simulation, simulate
from service.storage.local_redis import free_port, start_redis
from tests.conftest import EXAMPLES
from tests.servers import Replica

CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()


def start_experiment(channel: grpc.Channel, traffic_bp: int, salt: str) -> pb.Experiment:
    """Fixed salts keep these runs reproducible: the same units land in the same arms every time."""
    rulesets = pb_grpc.RuleSetServiceStub(channel)
    rulesets.PublishRuleSet(pb.PublishRuleSetRequest(source=CANDIDATE, author="ana"))
    request = pb.StartExperimentRequest(
        rule_set="fulfilment",
        candidate_version=2,
        traffic_bp=traffic_bp,
        actor="rev",
        reason="pilot",
        salt=salt,
        maturity_seconds=dict.fromkeys(METRICS, 0),  # simulated outcomes come within seconds
    )
    return pb_grpc.ExperimentServiceStub(channel).StartExperiment(request).experiment


def test_a_real_eight_point_on_time_gain_at_ten_percent_is_found_and_promoted(channel) -> None:
    experiment = start_experiment(channel, 1000, "e2e-gain")
    lines: list[str] = []
    report = simulate(
        channel,
        Simulation(
            experiment.id,
            orders=20_000,
            customers=8_000,
            effects={"on_time": 0.08},
            report_every=1_000,
            promote_when_better=True,
        ),
        say=lines.append,
    )
    assert report.promoted, "\n".join(lines)
    assert report.final is not None and report.final.verdict == pb.VERDICT_CANDIDATE_BETTER
    primary = report.final.metrics[0]
    assert primary.metric == "on_time" and primary.low > 0
    routing = pb_grpc.RoutingServiceStub(channel)
    after = routing.RouteBatch(
        pb.RouteBatchRequest(
            orders=[pb.Order(order_id=f"p{i}", customer=pb.Customer(customer_id=f"after-{i}")) for i in range(200)]
        )
    ).results
    assert {(r.decision.version, r.decision.arm) for r in after} == {(2, pb.ARM_UNSPECIFIED)}


def test_a_candidate_with_fifteen_times_the_exceptions_is_aborted_by_its_guardrail(channel) -> None:
    experiment = start_experiment(channel, 1000, "e2e-harm")
    lines: list[str] = []

    simulate(
        channel,
        Simulation(
            experiment.id,
            orders=10_000,
            customers=5_000,
            baseline=OutcomeModel(exception=0.01),
            effects={"*exception": 15},
            report_every=2_000,
        ),
        say=lines.append,
    )
    experiments = pb_grpc.ExperimentServiceStub(channel)
    deadline = time.monotonic() + 10
    state = None
    while time.monotonic() < deadline:
        got = experiments.GetExperiment(pb.GetExperimentRequest(id=experiment.id))
        state = got.experiment.state
        if state == pb.EXPERIMENT_STATE_ABORTED:
            break
        time.sleep(0.2)
    assert state == pb.EXPERIMENT_STATE_ABORTED, "\n".join(lines)
    last = got.transitions[-1]
    assert (last.action, last.actor) == ("abort", "orderroute-guardrail")
    snapshot = json.loads(last.results_json)
    assert snapshot["guardrails"]["exception"]["breached"] is True
    assert "exception" in last.reason
    decision = (
        pb_grpc.RoutingServiceStub(channel)
        .Route(pb.RouteRequest(order=pb.Order(order_id="x", customer=pb.Customer(customer_id="anyone"))))
        .decision
    )
    assert (decision.version, decision.arm) == (1, pb.ARM_UNSPECIFIED)


def test_aa_runs_on_redis_are_not_called_better_above_the_nominal_rate(channel) -> None:
    """No true effect, results read every 500 orders: at most 5% of runs may ever say 'better'."""
    experiments = pb_grpc.ExperimentServiceStub(channel)
    runs, called_better = 20, 0
    for run in range(runs):
        experiment = start_experiment(channel, 1000, f"e2e-aa-{run}")
        report = simulate(
            channel,
            Simulation(experiment.id, orders=3_000, customers=1_500, seed=run, report_every=500),
            say=lambda _: None,
        )
        called_better += pb.VERDICT_CANDIDATE_BETTER in report.verdicts
        assert pb.VERDICT_INVALID not in report.verdicts
        experiments.RollbackExperiment(pb.RollbackExperimentRequest(id=experiment.id, actor="rev", reason="a/a"))
    assert called_better / runs <= 0.05


def wait_for(predicate, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.1)


def test_every_customer_keeps_its_arm_across_replicas_restarts_and_a_ramp(tmp_path: Path) -> None:
    port = free_port()
    redis_process = start_redis(tmp_path / "redis", port)
    url = f"redis://127.0.0.1:{port}/0"
    a = Replica(url, tmp_path / "a")
    b = Replica(url, tmp_path / "b")
    try:
        experiment = start_experiment(a.channel, 500, "e2e-sticky")
        customers = [f"sticky-{i}" for i in range(4_000)]
        wait_for(lambda: b.arms(customers[:1], 0)[customers[0]][1] == experiment.id)
        on_a, on_b = a.arms(customers, 1), b.arms(customers, 2)
        assert on_a == on_b
        candidates = {c for c, (arm, _) in on_a.items() if arm == pb.ARM_CANDIDATE}
        assert 0.035 < len(candidates) / len(customers) < 0.065

        b.stop()
        b = Replica(url, tmp_path / "b")
        assert b.arms(customers, 3) == on_a

        experiments = pb_grpc.ExperimentServiceStub(a.channel)
        experiments.RampExperiment(
            pb.RampExperimentRequest(id=experiment.id, traffic_bp=1000, actor="rev", reason="ramp")
        )

        def ramped_on_b() -> bool:
            arms = b.arms(customers, 4)
            return sum(arm == pb.ARM_CANDIDATE for arm, _ in arms.values()) > len(candidates)

        wait_for(ramped_on_b)
        after_a, after_b = a.arms(customers, 5), b.arms(customers, 6)
        assert after_a == after_b
        ramped = {c for c, (arm, _) in after_a.items() if arm == pb.ARM_CANDIDATE}
        assert candidates < ramped
        assert 0.08 < len(ramped) / len(customers) < 0.12
    finally:
        a.stop()
        b.stop()
        redis_process.terminate()
        redis_process.wait(10)
