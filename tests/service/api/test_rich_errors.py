"""Errors in the standard rich model: google.rpc.Status in grpc-status-details-bin, decoded as any
client library decodes it."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from orderroute.v1 import orderroute_pb2 as pb

from tests.service.api.test_experiment_service import experiments, running  # noqa: F401 - fixtures
from tests.service.api.test_routing_service import load_order
from tests.service.api.test_ruleset_service import BASE

KINDS = {
    "ErrorInfo": error_details_pb2.ErrorInfo,
    "BadRequest": error_details_pb2.BadRequest,
    "PreconditionFailure": error_details_pb2.PreconditionFailure,
    "Diagnostic": pb.Diagnostic,
}


def rich(call, request) -> tuple[grpc.RpcError, status_pb2.Status, dict[str, list]]:
    """The error, its google.rpc.Status, and its details unpacked by type name."""
    with pytest.raises(grpc.RpcError) as info:
        call(request)
    error = info.value
    raw = dict(error.trailing_metadata())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(raw)
    details: dict[str, list] = {}
    for packed in status.details:
        name = packed.TypeName().rsplit(".", 1)[-1]
        message = KINDS[name]()
        assert packed.Unpack(message)
        details.setdefault(name, []).append(message)
    return error, status, details


def test_a_bad_order_names_its_field_in_a_bad_request(routing) -> None:
    order = load_order("02-vip-customer.yaml")
    order.lines[0].qty = -3
    error, status, details = rich(routing.Route, pb.RouteRequest(order=order))
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0] and status.message == error.details()
    (violation,) = details["BadRequest"][0].field_violations
    assert violation.field == "order.lines[0].qty" and violation.description == error.details()
    (info,) = details["ErrorInfo"]
    assert (info.reason, info.domain, info.metadata["field"]) == ("INVALID_ORDER", "orderroute.dev", violation.field)


def test_an_unknown_rule_set_has_its_own_reason(routing) -> None:
    _, status, details = rich(routing.Route, pb.RouteRequest(order=load_order("10-default.yaml"), rule_set="nope"))
    assert status.code == grpc.StatusCode.NOT_FOUND.value[0]
    assert details["ErrorInfo"][0].reason == "RULE_SET_NOT_FOUND"


def test_a_held_rule_set_is_a_precondition_failure_naming_the_holder(running, experiments, rulesets) -> None:  # noqa: F811
    again = pb.StartExperimentRequest(rule_set="fulfilment", candidate_version=2, actor="x", reason="again")
    _, _, details = rich(experiments.StartExperiment, again)
    assert details["ErrorInfo"][0].reason == "RULE_SET_HELD"
    (violation,) = details["PreconditionFailure"][0].violations
    assert (violation.type, violation.subject) == ("RULE_SET_HELD", running.id)
    activate = pb.ActivateRuleSetRequest(name="fulfilment", version=2, actor="x", reason="sneak")
    _, _, details = rich(rulesets.ActivateRuleSet, activate)
    assert details["PreconditionFailure"][0].violations[0].subject == running.id


def test_a_transition_the_state_forbids_says_so(running, experiments) -> None:  # noqa: F811
    experiments.AbortExperiment(pb.AbortExperimentRequest(id=running.id, actor="rev", reason="stop"))
    pause = pb.PauseExperimentRequest(id=running.id, actor="rev", reason="late")
    _, status, details = rich(experiments.PauseExperiment, pause)
    assert status.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert details["ErrorInfo"][0].reason == "EXPERIMENT_WRONG_STATE"
    assert details["PreconditionFailure"][0].violations[0].type == "EXPERIMENT_WRONG_STATE"
    _, _, missing = rich(experiments.GetExperiment, pb.GetExperimentRequest(id="exp-404"))
    assert missing["ErrorInfo"][0].reason == "EXPERIMENT_NOT_FOUND"


def test_a_failed_publish_carries_its_diagnostics_whole(rulesets) -> None:
    broken = BASE.replace("at_least: 3", "at_least: x")
    _, _, details = rich(rulesets.PublishRuleSet, pb.PublishRuleSetRequest(source=broken, author="ana"))
    assert details["ErrorInfo"][0].reason == "RULE_SET_INVALID"
    (diagnostic, *_) = details["Diagnostic"]
    assert diagnostic.code == "type-mismatch" and diagnostic.rule_id == "repeat-customer-express" and diagnostic.line
    violations = details["BadRequest"][0].field_violations
    assert violations[0].field == f"source:{diagnostic.line}" and "type-mismatch" in violations[0].description


def test_a_bad_order_in_a_batch_gets_the_status_a_route_of_its_own_would(routing) -> None:
    good, bad = load_order("10-default.yaml"), load_order("02-vip-customer.yaml")
    bad.lines[0].qty = -3
    reply = routing.RouteBatch(pb.RouteBatchRequest(orders=[good, bad]))
    assert [r.WhichOneof("result") for r in reply.results] == ["decision", "error"]
    status = reply.results[1].error
    info, request = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    assert status.details[0].Unpack(info) and status.details[1].Unpack(request)
    assert (status.code, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT.value[0], "INVALID_ORDER")
    assert request.field_violations[0].field == "orders[1].lines[0].qty"
    assert status.message.startswith("orders[1].lines[0].qty:")
