"""`orderroute simulate`: drive a running service with synthetic orders and outcomes.

Orders come from experiments.simulation.synthetic_order; each decision's
outcome is drawn from the baseline model or, for the candidate arm, the same
model with the chosen true effects. Anyone can watch the loop close: a real
improvement detected and promoted, a harmful candidate stopped by its guardrail.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments.simulation import (
    OutcomeModel,
    customer_lean,
    customer_pool,
    draw_outcome,
    pick_customer,
    synthetic_order,
)
from service.client.documents import order_from_document
from service.client.report import results_text, state_name, verdict_name


@dataclass
class Simulation:
    experiment_id: str
    orders: int = 20_000
    customers: int = 8_000
    batch: int = 500
    effects: Mapping[str, float] = field(default_factory=dict)
    baseline: OutcomeModel = field(default_factory=OutcomeModel)
    seed: int = 1
    report_every: int = 5_000
    ramp_at: int = 0
    ramp_to_bp: int = 0
    promote_when_better: bool = False
    actor: str = "orderroute-simulate"


@dataclass
class SimulationReport:
    routed: int = 0
    outcomes: int = 0
    candidate_decisions: int = 0
    promoted: bool = False
    aborted: bool = False
    final: pb.GetResultsResponse | None = None
    verdicts: list[int] = field(default_factory=list)
    """The verdict at every report, in order."""


def simulate(channel: grpc.Channel, sim: Simulation, say: Callable[[str], None] = print) -> SimulationReport:
    routing = pb_grpc.RoutingServiceStub(channel)
    outcomes = pb_grpc.OutcomeServiceStub(channel)
    experiments = pb_grpc.ExperimentServiceStub(channel)
    experiment = experiments.GetExperiment(pb.GetExperimentRequest(id=sim.experiment_id)).experiment
    candidate_model = sim.baseline.with_effects(sim.effects)
    rng = random.Random(sim.seed)
    pool = customer_pool(sim.customers, f"sim{sim.seed}")
    report = SimulationReport()
    say(
        f"simulating {sim.orders:,} orders from {sim.customers:,} customers on {experiment.rule_set}, "
        f"{experiment.id} at {experiment.traffic_bp / 100:g}%, candidate effects {dict(sim.effects) or 'none'}"
    )
    next_report = sim.report_every
    while report.routed < sim.orders:
        size = min(sim.batch, sim.orders - report.routed)
        docs = [
            synthetic_order(f"sim{sim.seed}-o{report.routed + i}", pick_customer(pool, rng), rng) for i in range(size)
        ]
        reply = routing.RouteBatch(
            pb.RouteBatchRequest(orders=[order_from_document(d) for d in docs], rule_set=experiment.rule_set)
        )
        batch_outcomes = []
        for doc, result in zip(docs, reply.results, strict=True):
            decision = result.decision
            is_candidate = decision.arm == pb.ARM_CANDIDATE
            report.candidate_decisions += is_candidate
            customer = str(doc["customer"]["customer_id"])  # type: ignore[index]
            values = draw_outcome(candidate_model if is_candidate else sim.baseline, customer_lean(customer), rng)
            batch_outcomes.append(pb.Outcome(decision_id=decision.decision_id, **values))  # type: ignore[arg-type]
        recorded = outcomes.RecordOutcomes(pb.RecordOutcomesRequest(outcomes=batch_outcomes))
        report.outcomes += sum(r.WhichOneof("result") == "recorded" for r in recorded.results)
        report.routed += size
        if sim.ramp_at and report.routed >= sim.ramp_at and sim.ramp_to_bp:
            experiments.RampExperiment(
                pb.RampExperimentRequest(
                    id=experiment.id, traffic_bp=sim.ramp_to_bp, actor=sim.actor, reason="simulated ramp"
                )
            )
            say(f"{report.routed:>8,} orders: ramped {experiment.id} to {sim.ramp_to_bp / 100:g}%")
            sim.ramp_at = 0
        if report.routed >= next_report or report.routed >= sim.orders:
            next_report += sim.report_every
            results = experiments.GetResults(pb.GetResultsRequest(id=experiment.id))
            report.final = results
            report.verdicts.append(results.verdict)
            primary = results.metrics[0]
            change = (
                f"{primary.difference:+.4f} [{primary.low:+.4f}, {primary.high:+.4f}]"
                if primary.HasField("difference")
                else "-"
            )
            say(
                f"{report.routed:>8,} orders: {state_name(results.experiment.state)}, "
                f"{primary.metric} {change}, verdict: {verdict_name(results.verdict)}"
            )
            if results.experiment.state == pb.EXPERIMENT_STATE_ABORTED:
                report.aborted = True
                say(f"{experiment.id} was aborted by its guardrail: {results.reason}")
                break
            if sim.promote_when_better and results.verdict == pb.VERDICT_CANDIDATE_BETTER:
                experiments.PromoteExperiment(
                    pb.PromoteExperimentRequest(
                        id=experiment.id, actor=sim.actor, reason=f"simulation: {results.reason}"
                    )
                )
                report.promoted = True
                say(f"promoted {experiment.id}: v{experiment.candidate_version} is active for everyone")
                break
    if report.final is not None:
        say("")
        transitions = experiments.GetExperiment(pb.GetExperimentRequest(id=experiment.id)).transitions
        say(results_text(experiments.GetResults(pb.GetResultsRequest(id=experiment.id)), transitions))
    return report
