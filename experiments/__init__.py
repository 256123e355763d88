"""Gray releases: sticky assignment, experiment lifecycle, outcomes, statistics, verdicts.

Pure logic: no gRPC, no Redis; clocks and randomness are passed in.
"""

from experiments._errors import ExperimentError, InvalidExperiment, InvalidOutcome, WrongState
from experiments.bucketing import assign, bucket
from experiments.lifecycle import change, new_experiment, ramp, transition
from experiments.model import METRICS, Action, Arm, Experiment, Guardrail, State, Transition, Unit
from experiments.outcomes import check_outcome
from experiments.results import ArmData, Results, Verdict, compute_results

__all__ = [
    "METRICS",
    "Action",
    "Arm",
    "ArmData",
    "Experiment",
    "ExperimentError",
    "Guardrail",
    "InvalidExperiment",
    "InvalidOutcome",
    "Results",
    "State",
    "Transition",
    "Unit",
    "Verdict",
    "WrongState",
    "assign",
    "bucket",
    "change",
    "check_outcome",
    "compute_results",
    "new_experiment",
    "ramp",
    "transition",
]
