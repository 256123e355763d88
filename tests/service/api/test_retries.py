"""A retried mutation with its request_id returns the first answer: no error, no second audit entry."""

from __future__ import annotations

import grpc
from orderroute.v1 import orderroute_pb2 as pb

from service.api.statuses import field_of
from tests.service.api.test_experiment_service import experiments  # noqa: F401 - a fixture
from tests.service.api.test_rich_errors import rich
from tests.service.api.test_ruleset_service import CANDIDATE, publish


def test_a_retried_start_returns_the_experiment_it_created_and_audits_once(rulesets, experiments) -> None:  # noqa: F811
    publish(rulesets, CANDIDATE)
    start = pb.StartExperimentRequest(
        rule_set="fulfilment", candidate_version=2, actor="rev", reason="pilot", request_id="start-1"
    )
    first, again = experiments.StartExperiment(start).experiment, experiments.StartExperiment(start).experiment
    assert first == again
    history = experiments.GetExperiment(pb.GetExperimentRequest(id=first.id)).transitions
    assert [t.action for t in history] == ["start"]
    listed = experiments.ListExperiments(pb.ListExperimentsRequest()).experiments
    assert [e.id for e in listed] == [first.id]


def test_a_retried_change_returns_what_the_first_did_and_audits_once(rulesets, experiments) -> None:  # noqa: F811
    publish(rulesets, CANDIDATE)
    start = pb.StartExperimentRequest(rule_set="fulfilment", candidate_version=2, actor="rev", reason="pilot")
    running = experiments.StartExperiment(start).experiment
    ramp = pb.RampExperimentRequest(id=running.id, traffic_bp=1_000, actor="rev", reason="more", request_id="r-1")
    ramped = experiments.RampExperiment(ramp).experiment
    assert experiments.RampExperiment(ramp).experiment == ramped  # not a second ramp, not an error
    pause = pb.PauseExperimentRequest(id=running.id, actor="rev", reason="look", request_id="p-1")
    paused = experiments.PauseExperiment(pause).experiment
    assert experiments.PauseExperiment(pause).experiment == paused  # a plain retry would be "already paused"
    history = experiments.GetExperiment(pb.GetExperimentRequest(id=running.id)).transitions
    assert [t.action for t in history] == ["start", "ramp", "pause"]
    # A request id names one request: used for another change, it is refused.
    resume = pb.ResumeExperimentRequest(id=running.id, actor="rev", reason="go", request_id="p-1")
    error, status, _ = rich(experiments.ResumeExperiment, resume)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT and field_of(status) == "request_id"
    assert "pause" in error.details()
