"""Route and RouteBatch over a real gRPC server backed by a real Redis."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf import json_format
from orderroute.v1 import orderroute_pb2 as pb

from service.api.settings import Settings
from service.api.statuses import field_of
from service.client.documents import order_from_document
from tests.conftest import EXAMPLES

ORDERS = EXAMPLES / "orders"
CASES = yaml.safe_load((Path(__file__).parent / "cases" / "examples.yaml").read_text())


def load_order(name: str) -> pb.Order:
    return order_from_document(yaml.safe_load((ORDERS / name).read_text()))


def short(decision: pb.Decision, field: str) -> object:
    value = getattr(decision, field)
    if field in ("risk_review", "credit_review"):
        return pb.Review.Name(value).removeprefix("REVIEW_")
    if field == "avoid_warehouse_types":
        return [pb.WarehouseType.Name(v).removeprefix("WAREHOUSE_TYPE_") for v in value]
    if field in ("holds", "tags", "matched_rules"):
        return list(value)
    return value


@pytest.mark.parametrize("case", CASES, ids=[c["order"] for c in CASES])
def test_domain_examples_route_as_described(routing, case) -> None:
    decision = routing.Route(pb.RouteRequest(order=load_order(case["order"]))).decision
    for field, want in case["want"].items():
        assert short(decision, field) == want, field
    assert decision.rule_set == "fulfilment"
    assert decision.version == 1
    assert decision.content_hash.startswith("sha256:")
    assert decision.decision_id
    assert decision.evaluated_at.seconds > 0
    assert set(decision.decided_by) >= {"path", "risk_review", "credit_review", "warehouse"}


def test_every_sample_order_has_a_case() -> None:
    assert sorted(p.name for p in ORDERS.glob("*.yaml")) == sorted(c["order"] for c in CASES)


def test_decision_ids_are_unique(routing) -> None:
    order = load_order("10-default.yaml")
    ids = {routing.Route(pb.RouteRequest(order=order)).decision.decision_id for _ in range(50)}
    assert len(ids) == 50


def test_missing_facts_are_reported_not_guessed(routing) -> None:
    decision = routing.Route(pb.RouteRequest(order=pb.Order(order_id="bare"))).decision
    assert decision.default_rule_used
    assert "customer.tier" in decision.missing_facts
    assert "risk.fraud_score" in decision.missing_facts


def _error(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call(request)
    return info.value


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda o: o.lines[0].__setattr__("qty", -1), "order.lines[0].qty"),
        (lambda o: o.customer.__setattr__("tier", 42), "order.customer.tier"),
        (lambda o: o.__setattr__("channel", 99), "order.channel"),
        (lambda o: o.risk.__setattr__("fraud_score", 1.5), "order.risk.fraud_score"),
        (lambda o: o.risk.__setattr__("fraud_score", float("nan")), "order.risk.fraud_score"),
        (lambda o: o.__setattr__("total_minor", -5), "order.total_minor"),
        (lambda o: o.__setattr__("order_id", ""), "order.order_id"),
        (lambda o: o.logistics.warehouses.add(id="W", type=17), "order.logistics.warehouses[0].type"),
        (
            lambda o: o.logistics.warehouses.add(id="W", distance_km=float("inf")),
            "order.logistics.warehouses[0].distance_km",
        ),
    ],
    ids=[
        "negative qty",
        "unknown tier",
        "unknown channel",
        "fraud above 1",
        "NaN",
        "negative total",
        "no id",
        "unknown warehouse type",
        "infinite distance",
    ],
)
def test_bad_field_is_invalid_argument_naming_it(routing, mutate, field) -> None:
    order = load_order("02-vip-customer.yaml")
    mutate(order)
    error = _error(routing.Route, pb.RouteRequest(order=order))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(field + ":"), error.details()
    assert ("orderroute-field", field) in tuple(error.trailing_metadata())


def test_unknown_rule_set_is_not_found(routing) -> None:
    error = _error(routing.Route, pb.RouteRequest(order=load_order("10-default.yaml"), rule_set="nope"))
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert "nope" in error.details()


def test_batch_keeps_order_and_isolates_bad_orders(routing) -> None:
    good = [load_order(c["order"]) for c in CASES]
    bad = load_order("01-plus-member.yaml")
    bad.lines[0].qty = -3
    orders = [*good[:3], bad, *good[3:]]
    results = routing.RouteBatch(pb.RouteBatchRequest(orders=orders)).results
    assert len(results) == len(orders)
    for order, result in zip(orders, results, strict=True):
        if order is bad:
            assert result.WhichOneof("result") == "error"
            assert result.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
            assert field_of(result.error) == "orders[3].lines[0].qty"
        else:
            assert result.WhichOneof("result") == "decision"
            single = routing.Route(pb.RouteRequest(order=order)).decision
            assert result.decision.path == single.path
            assert list(result.decision.matched_rules) == list(single.matched_rules)


def test_batch_over_the_limit_is_invalid_argument(routing, app) -> None:
    orders = [load_order("10-default.yaml")] * (Settings().max_batch + 1)
    error = _error(routing.RouteBatch, pb.RouteBatchRequest(orders=orders))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("orders:")


def test_decision_serialises_to_json_with_domain_names(routing) -> None:
    decision = routing.Route(pb.RouteRequest(order=load_order("03-repeat-customer.yaml"))).decision
    data = json_format.MessageToDict(decision, preserving_proto_field_name=True)
    assert data["path"] == "EXPRESS"
    assert data["carrier"] == "SF_EXPRESS"
    assert data["priority_pickup"] is True
