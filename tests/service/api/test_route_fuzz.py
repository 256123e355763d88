"""Random orders, however odd, get a decision or INVALID_ARGUMENT naming a field: never INTERNAL."""

from __future__ import annotations

from collections import Counter

import grpc
from hypothesis import given
from hypothesis import strategies as st
from orderroute.v1 import orderroute_pb2 as pb

from service.api.statuses import field_of
from tests.fuzzing import fuzz_settings
from tests.service.api.order_strategies import orders


def test_route_never_fails_internally(routing) -> None:
    """Every order gets a decision or INVALID_ARGUMENT naming a field; and a fair share is decided,
    so a converter that refused everything (or a strategy that only makes bad orders) fails here."""
    seen: Counter[str] = Counter()

    @fuzz_settings(300)
    @given(order=orders)
    def route(order: pb.Order) -> None:
        try:
            decision = routing.Route(pb.RouteRequest(order=order)).decision
        except grpc.RpcError as error:
            assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, error.details()
            assert error.details().startswith("order."), error.details()
            seen["refused"] += 1
            return
        assert decision.path and decision.rule_set == "fulfilment"
        seen["decided"] += 1

    route()
    assert seen["decided"] >= 0.2 * seen.total(), seen
    assert seen["refused"] >= 0.05 * seen.total(), seen


@fuzz_settings(50)
@given(batch=st.lists(orders, max_size=6))
def test_route_batch_never_fails_internally(routing, batch) -> None:
    results = routing.RouteBatch(pb.RouteBatchRequest(orders=batch)).results
    assert len(results) == len(batch)
    for index, result in enumerate(results):
        if result.WhichOneof("result") == "error":
            assert result.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
            assert field_of(result.error).startswith(f"orders[{index}].")
        else:
            assert result.decision.decision_id and result.decision.path
