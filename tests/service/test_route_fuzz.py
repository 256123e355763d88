"""Random orders, however odd, get a decision or INVALID_ARGUMENT naming a field: never INTERNAL."""

from __future__ import annotations

import grpc
from hypothesis import given
from hypothesis import strategies as st
from orderroute.v1 import orderroute_pb2 as pb

from tests.fuzzing import fuzz_settings

ints = st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, 1, -1, 3]))
int64s = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, 1, -1, 10**12]))
floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, 0.5, 0.93, 1.0, -0.1]))
texts = st.one_of(st.text(max_size=20), st.text(min_size=250, max_size=300))
enums = st.integers(0, 9)


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


def build(cls, **fields):
    return cls(**{k: v for k, v in fields.items() if v is not None})


lines = st.builds(
    build,
    st.just(pb.OrderLine),
    sku=optional(texts),
    qty=optional(ints),
    category=optional(texts),
    price_minor=optional(int64s),
    cost_minor=optional(int64s),
    hazmat=optional(st.booleans()),
    oversize=optional(st.booleans()),
    inventory_type=optional(enums),
)
warehouses = st.builds(
    build,
    st.just(pb.Warehouse),
    id=texts,
    type=optional(enums),
    in_stock=optional(st.booleans()),
    distance_km=optional(floats),
)
orders = st.builds(
    build,
    st.just(pb.Order),
    order_id=st.one_of(st.just(""), texts),
    order_type=optional(enums),
    channel=optional(enums),
    total_minor=optional(int64s),
    margin_minor=optional(int64s),
    currency=optional(texts),
    item_count=optional(ints),
    is_cross_border=optional(st.booleans()),
    promised_hours=optional(ints),
    payment_method=optional(texts),
    tags=optional(st.lists(texts, max_size=3)),
    customer=optional(
        st.builds(
            build,
            st.just(pb.Customer),
            customer_id=optional(texts),
            tier=optional(enums),
            repeat_purchases=optional(ints),
            ltv_minor=optional(int64s),
            return_rate=optional(floats),
            segments=optional(st.lists(texts, max_size=2)),
        )
    ),
    lines=optional(st.lists(lines, max_size=4)),
    risk=optional(st.builds(build, st.just(pb.Risk), fraud_score=optional(floats), address_risk=optional(enums))),
    logistics=optional(
        st.builds(
            build,
            st.just(pb.Logistics),
            nearest_warehouse=optional(texts),
            warehouses=optional(st.lists(warehouses, max_size=3)),
            logistics_cost_minor=optional(int64s),
        )
    ),
    attributes=optional(st.dictionaries(texts, texts, max_size=3)),
)


@fuzz_settings(300)
@given(order=orders)
def test_route_never_fails_internally(routing, order) -> None:
    try:
        decision = routing.Route(pb.RouteRequest(order=order)).decision
    except grpc.RpcError as error:
        assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, error.details()
        assert error.details().startswith("order."), error.details()
        return
    assert decision.path and decision.rule_set == "fulfilment"


@fuzz_settings(50)
@given(batch=st.lists(orders, max_size=6))
def test_route_batch_never_fails_internally(routing, batch) -> None:
    results = routing.RouteBatch(pb.RouteBatchRequest(orders=batch)).results
    assert len(results) == len(batch)
    for index, result in enumerate(results):
        if result.WhichOneof("result") == "error":
            assert result.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
            assert result.error.field.startswith(f"orders[{index}].")
