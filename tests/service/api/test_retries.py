"""A retried mutation with its request_id returns the first answer: no error, no second audit entry."""

from __future__ import annotations

import grpc
from orderroute.v1 import orderroute_pb2 as pb

from service.api.statuses import field_of
from tests.conftest import EXAMPLES
from tests.service.api.test_experiment_service import experiments  # noqa: F401 - a fixture
from tests.service.api.test_rich_errors import rich
from tests.service.api.test_ruleset_service import CANDIDATE, publish

BASELINE = (EXAMPLES / "fulfilment.yaml").read_text()


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


def test_a_change_to_an_experiment_that_moved_on_is_aborted(rulesets, experiments) -> None:  # noqa: F811
    publish(rulesets, CANDIDATE)
    start = pb.StartExperimentRequest(rule_set="fulfilment", candidate_version=2, actor="rev", reason="pilot")
    read = experiments.StartExperiment(start).experiment
    pause = pb.PauseExperimentRequest(id=read.id, actor="ops", reason="look", etag=read.etag)
    paused = experiments.PauseExperiment(pause).experiment
    assert paused.etag != read.etag
    # A reviewer who read the running experiment promotes it: it was paused meanwhile.
    promote = pb.PromoteExperimentRequest(id=read.id, actor="rev", reason="ship", etag=read.etag)
    error, _, details = rich(experiments.PromoteExperiment, promote)
    assert error.code() is grpc.StatusCode.ABORTED and details["ErrorInfo"][0].reason == "CONCURRENT_CHANGE"
    assert experiments.GetExperiment(pb.GetExperimentRequest(id=read.id)).experiment.etag == paused.etag


def test_an_activation_of_a_rule_set_that_moved_on_is_aborted(rulesets) -> None:
    publish(rulesets, CANDIDATE)
    seen = 1  # the example is active as version 1
    rulesets.ActivateRuleSet(
        pb.ActivateRuleSetRequest(name="fulfilment", version=2, actor="a", reason="go", expected_active_version=seen)
    )
    late = pb.ActivateRuleSetRequest(
        name="fulfilment", version=1, actor="b", reason="undo?", expected_active_version=seen
    )
    error, _, _ = rich(rulesets.ActivateRuleSet, late)
    assert error.code() is grpc.StatusCode.ABORTED and "version 2 active now, not 1" in error.details()
    audit = rulesets.GetAuditLog(pb.GetAuditLogRequest(name="fulfilment")).entries
    assert audit[0].version == 2  # nothing written by the refused one


def test_a_retried_publish_returns_the_version_it_made_even_after_another(rulesets) -> None:
    request = pb.PublishRuleSetRequest(source=CANDIDATE, author="ana", request_id="pub-1")
    first = rulesets.PublishRuleSet(request)
    assert (first.version.version, first.created) == (2, True)
    # Someone publishes the example again (version 3, the same content as version 1); then the retry comes.
    publish(rulesets, BASELINE)
    again = rulesets.PublishRuleSet(request)
    assert (again.version.version, again.created) == (2, True)  # not a version 4 with version 2's content
    assert [e.version for e in rulesets.GetAuditLog(pb.GetAuditLogRequest(name="fulfilment")).entries][:2] == [3, 2]
    changed = BASELINE.replace("priority: 1\n", "priority: 2\n", 1)
    other = pb.PublishRuleSetRequest(source=changed, author="ana", request_id="pub-1")
    error, status, _ = rich(rulesets.PublishRuleSet, other)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT and field_of(status) == "request_id"


def test_a_retried_activation_returns_the_first_answer_and_audits_once(rulesets) -> None:
    publish(rulesets, CANDIDATE)
    go = pb.ActivateRuleSetRequest(name="fulfilment", version=2, actor="a", reason="go", request_id="act-1")
    first = rulesets.ActivateRuleSet(go).activation
    rulesets.ActivateRuleSet(pb.ActivateRuleSetRequest(name="fulfilment", version=1, actor="b", reason="back"))
    again = rulesets.ActivateRuleSet(go).activation  # a late retry must not undo the rollback
    assert again == first
    assert rulesets.GetRuleSet(pb.GetRuleSetRequest(name="fulfilment")).version.version == 1
    audit = rulesets.GetAuditLog(pb.GetAuditLogRequest(name="fulfilment")).entries
    assert [(e.action, e.version) for e in audit[:3]] == [("activate", 1), ("activate", 2), ("publish", 2)]
    other = pb.ActivateRuleSetRequest(name="fulfilment", version=1, actor="a", reason="x", request_id="act-1")
    error, status, _ = rich(rulesets.ActivateRuleSet, other)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT and field_of(status) == "request_id"
