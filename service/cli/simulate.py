"""`orderroute simulate`: drive a running service with synthetic orders and outcomes."""

from __future__ import annotations

import argparse
from importlib import resources
from typing import Any

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments import METRICS
from experiments.simulation import OutcomeModel
from service.cli._common import CliError, channel, pairs, percent, remote
from service.client.simulate import Simulation, simulate


def register(sub: Any) -> None:
    c = remote(sub.add_parser("simulate", help="drive a running service with synthetic orders and outcomes"))
    c.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        help="publish the example candidate and start an "
        "experiment: a real on-time gain (then promote), or a harmful candidate (then watch it aborted)",
    )
    c.add_argument("--experiment", default="", help="an experiment already running (instead of --scenario)")
    c.add_argument("--orders", type=int, default=20_000)
    c.add_argument("--customers", type=int, default=8_000)
    c.add_argument("--batch", type=int, default=500)
    c.add_argument(
        "--effect",
        action="append",
        default=[],
        metavar="METRIC=CHANGE",
        help="true candidate effect: on_time=0.08 (absolute for rates, relative for amounts), "
        "'*exception=15' multiplies; repeatable",
    )
    c.add_argument("--ramp-at", type=int, default=0, help="ramp after this many orders")
    c.add_argument("--ramp-to", type=percent, default=0, help="percent")
    c.add_argument("--promote-when-better", action="store_true")
    c.add_argument("--report-every", type=int, default=2_000)
    c.add_argument("--seed", type=int, default=1)
    c.set_defaults(run=_simulate)


SCENARIOS: dict[str, dict[str, Any]] = {
    "improve": {
        "traffic": 500,
        "effects": {"on_time": 0.08},
        "ramp_at": 4_000,
        "ramp_to": 1_000,
        "promote": True,
        "baseline": OutcomeModel(),
    },
    "harm": {
        "traffic": 1_000,
        "effects": {"*exception": 15.0},
        "ramp_at": 0,
        "ramp_to": 0,
        "promote": False,
        "baseline": OutcomeModel(exception=0.01),
    },
}


def _simulate(args: argparse.Namespace) -> int:
    with channel(args) as chan:
        baseline = OutcomeModel()
        effects = pairs(args.effect, "effect")
        ramp_at, ramp_to, promote = args.ramp_at, args.ramp_to, args.promote_when_better
        experiment_id = args.experiment
        if args.scenario:
            scenario = SCENARIOS[args.scenario]
            experiment_id = _scenario_experiment(chan, scenario["traffic"], args.scenario)
            effects = effects or scenario["effects"]
            baseline = scenario["baseline"]
            ramp_at, ramp_to = ramp_at or scenario["ramp_at"], ramp_to or scenario["ramp_to"]
            promote = promote or scenario["promote"]
        if not experiment_id:
            raise CliError("name a running experiment with --experiment, or use --scenario improve|harm")
        try:
            simulate(
                chan,
                Simulation(
                    experiment_id,
                    orders=args.orders,
                    customers=args.customers,
                    batch=args.batch,
                    effects=effects,
                    baseline=baseline,
                    seed=args.seed,
                    report_every=args.report_every,
                    ramp_at=ramp_at,
                    ramp_to_bp=ramp_to,
                    promote_when_better=promote,
                ),
            )
        except ValueError as exc:
            raise CliError(str(exc)) from None
    return 0


def _scenario_experiment(chan: grpc.Channel, traffic_bp: int, scenario: str) -> str:
    """Publishes the example candidate (a no-op if stored already) and starts an experiment with it."""
    rulesets = pb_grpc.RuleSetServiceStub(chan)
    examples = resources.files("rules").joinpath("examples")
    source = examples.joinpath("fulfilment-candidate.yaml").read_text()
    if rulesets.GetRuleSet(pb.GetRuleSetRequest(name="fulfilment")).version.source == source:
        source = examples.joinpath("fulfilment.yaml").read_text()  # the candidate was promoted already
    published = rulesets.PublishRuleSet(
        pb.PublishRuleSetRequest(
            source=source, file_name="scenario.yaml", author="orderroute-simulate", comment=scenario
        )
    )
    experiment = pb_grpc.ExperimentServiceStub(chan).StartExperiment(
        pb.StartExperimentRequest(
            rule_set=published.version.name,
            candidate_version=published.version.version,
            traffic_bp=traffic_bp,
            actor="orderroute-simulate",
            reason=f"simulated scenario: {scenario}",
            # Simulated outcomes come within seconds of the decision: every report is compared as it comes.
            maturity_seconds=dict.fromkeys(METRICS, 0),
        )
    )
    return str(experiment.experiment.id)
