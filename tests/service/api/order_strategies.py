"""Order strategies for the fuzz tests: wild orders (anything the wire allows) and plausible ones
(every value in range), so both the refusing and the deciding paths are exercised."""

from __future__ import annotations

from hypothesis import strategies as st
from orderroute.v1 import orderroute_pb2 as pb


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


def build(cls, **fields):
    return cls(**{k: v for k, v in fields.items() if v is not None})


def order_strategy(
    ints: st.SearchStrategy,
    int64s: st.SearchStrategy,
    floats: st.SearchStrategy,
    texts: st.SearchStrategy,
    enums: st.SearchStrategy,
    order_ids: st.SearchStrategy,
) -> st.SearchStrategy:
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
        order_id=order_ids,
        order_type=optional(enums),
        channel=optional(enums),
        total_minor=optional(int64s),
        margin_minor=optional(int64s),
        currency=optional(texts),
        item_count=optional(ints),
        is_cross_border=optional(st.booleans()),
        promised_hours=optional(ints),
        payment_method=optional(texts),
        ship_to=optional(
            st.builds(
                build,
                st.just(pb.Address),
                country=optional(st.one_of(st.just("CN"), texts)),
                province=optional(texts),
                city=optional(texts),
            )
        ),
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
    return orders


wild_orders = order_strategy(
    ints=st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, 1, -1, 3])),
    int64s=st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, 1, -1, 10**12])),
    floats=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, 0.5, 0.93, 1.0, -0.1])),
    texts=st.one_of(st.text(max_size=20), st.text(min_size=250, max_size=300)),
    enums=st.integers(0, 9),
    order_ids=st.one_of(st.just(""), st.text(max_size=20), st.text(min_size=250, max_size=300)),
)
plausible_orders = order_strategy(
    ints=st.integers(1, 1_000),
    int64s=st.integers(0, 10**9),
    floats=st.floats(0, 1),
    texts=st.text(min_size=1, max_size=20),
    enums=st.integers(1, 3),
    order_ids=st.text(min_size=1, max_size=20),
)
orders = st.one_of(wild_orders, plausible_orders)
