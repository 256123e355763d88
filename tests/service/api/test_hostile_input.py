"""Hostile input at the gRPC edge: malformed bytes, oversized messages and fields, bounded labels.
Every answer is a clean status naming the problem: never INTERNAL, never a hang."""

from __future__ import annotations

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from orderroute.v1 import orderroute_pb2 as pb

from rules.facts import MAX_ENTRIES, MAX_TEXT
from service.api.boundary import Edge
from tests.fuzzing import fuzz_settings

SERVICES = pb.DESCRIPTOR.services_by_name
METHODS = [f"/{s.full_name}/{m.name}" for s in SERVICES.values() for m in s.methods]
VALID = pb.RouteRequest(
    order=pb.Order(
        order_id="o-1",
        customer=pb.Customer(customer_id="c-1", repeat_purchases=3),
        lines=[pb.OrderLine(sku="s", qty=2, category="books")],
        tags=["gift"],
        attributes={"k": "v"},
    )
).SerializeToString()
CLEAN = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
}


def raw_call(channel: grpc.Channel, method: str, body: bytes) -> tuple[grpc.StatusCode, str]:
    call = channel.unary_unary(method)
    try:
        call(body, timeout=10)
        return grpc.StatusCode.OK, ""
    except grpc.RpcError as error:
        return error.code(), error.details() or ""


def mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in edits:
        if out:
            out[position % len(out)] = value
    return bytes(out)


@fuzz_settings(200)
@given(method=st.sampled_from(METHODS), body=st.binary(max_size=200))
def test_fuzz_random_bytes_to_every_method_get_a_clean_status(channel, method: str, body: bytes) -> None:
    code, details = raw_call(channel, method, body)
    assert code in CLEAN, (method, body, code, details)


@fuzz_settings(300)
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6))
def test_fuzz_corrupted_route_requests_get_a_clean_status(channel, edits: list[tuple[int, int]]) -> None:
    code, details = raw_call(channel, "/orderroute.v1.RoutingService/Route", mutate(VALID, edits))
    assert code in CLEAN, (code, details)


def test_a_malformed_request_names_what_was_wrong(channel) -> None:
    code, details = raw_call(channel, "/orderroute.v1.RoutingService/Route", b"\x0a\xff\xff\xff\xff\x0f")
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith("request: not a valid RouteRequest message")


@pytest.mark.parametrize(
    ("order", "field"),
    [
        (pb.Order(order_id="x" * (MAX_TEXT + 1)), "order.order_id"),
        (pb.Order(order_id="o", customer=pb.Customer(customer_id="c" * 10_000)), "order.customer.customer_id"),
        (pb.Order(order_id="o", tags=[str(i) for i in range(MAX_ENTRIES + 1)]), "order.tags"),
        (pb.Order(order_id="o", tags=["t" * (MAX_TEXT + 1)]), "order.tags"),
        (pb.Order(order_id="o", attributes={"k": "v" * (MAX_TEXT + 1)}), "order.attributes"),
        (pb.Order(order_id="o", lines=[pb.OrderLine(sku="s" * 1_000)]), "order.lines[0].sku"),
        (pb.Order(order_id="o", lines=[pb.OrderLine(qty=1)] * 1_001), "order.lines"),
    ],
)
def test_oversized_fields_are_refused_by_name(routing, order: pb.Order, field: str) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        routing.Route(pb.RouteRequest(order=order))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(f"{field}: at most"), caught.value.details()


def test_a_message_over_the_size_limit_is_refused_before_parsing(routing) -> None:
    orders = [pb.Order(order_id=f"o-{i}", attributes={f"k{j}": "v" * 200 for j in range(60)}) for i in range(400)]
    with pytest.raises(grpc.RpcError) as caught:
        routing.RouteBatch(pb.RouteBatchRequest(orders=orders))
    assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED


def test_a_batch_over_the_limit_is_refused(routing) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        routing.RouteBatch(pb.RouteBatchRequest(orders=[pb.Order(order_id="o")] * 1_001))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("orders: at most 1000")


def test_requested_rule_set_names_cannot_grow_metric_labels() -> None:
    edge = Edge(telemetry=None, rule_sets={"fulfilment"})  # type: ignore[arg-type]
    assert edge.label("fulfilment") == "fulfilment"
    assert edge.label("") == ""
    assert {edge.label(f"attacker-{i}") for i in range(100)} == {"other"}
