"""Route reads an order for its version in one pass over the message (service.api.order_keys): the key it
makes is the key the memo's own function makes from the order's facts, it refuses exactly the orders the
converter refuses (with the converter's error), and the facts it reads when asked are the converter's."""

from __future__ import annotations

import copy
import itertools
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import find, given
from hypothesis import strategies as st
from orderroute.v1 import orderroute_pb2 as pb

import rules
from loadtest.bench import requests
from rules import CompiledRuleSet, InvalidOrder
from rules.canonical import CanonicalPlan
from rules.memo import TRIAL
from rules.model import AllOf, Compare, LineScope, Op, Outputs, Rule, RuleSet, Scope
from service.api.order_keys import MessageFacts, OrderReaders, SharedFacts, key_reader
from service.api.orders import ORDER_CONVERTER, order_to_facts
from service.app.masking import masked, parse_masks
from service.client.documents import order_from_document
from tests.conftest import EXAMPLES
from tests.fuzzing import fuzz_settings
from tests.rules.strategies import DEFAULT, rule_sets
from tests.rules.strategies import orders as fact_documents
from tests.service.api.order_strategies import orders as messages

# Facts of every kind and depth the reader handles: nested messages (also the candidate warehouses'
# logistics, read inline when a rule compares one of its facts), enums, a map entry, text lists, lines.
EVERY_KIND = RuleSet(
    "kinds",
    (
        Rule("r-0", 0, Compare("logistics.logistics_cost_minor", Op.GT, 100), Outputs(tags=("t0",))),
        Rule("r-1", 1, Compare("risk.address_risk", Op.EQUALS, "HIGH"), Outputs(tags=("t1",))),
        Rule("r-2", 2, Compare("attributes.gift", Op.STARTS_WITH, "y"), Outputs(tags=("t2",))),
        Rule("r-3", 3, Compare("customer.segments", Op.CONTAINS, "vip"), Outputs(tags=("t3",))),
        Rule(
            "r-4",
            4,
            AllOf((Compare("channel", Op.IN, ("APP", "WEB")), LineScope(Scope.ANY, Compare("qty", Op.GTE, 2)))),
            Outputs(tags=("t4",)),
        ),
        Rule("r-5", 5, Compare("ship_to.country", Op.NOT_EQUALS, "CN"), Outputs(tags=("t5",))),
    ),
    DEFAULT,
)


def read(plan: CanonicalPlan | None, order: pb.Order) -> Any:
    try:
        return key_reader(plan)(order)
    except (ValueError, KeyError):
        return "refused"


def converted(order: pb.Order) -> Any:
    try:
        return ORDER_CONVERTER.convert(order, "order")
    except InvalidOrder:
        return "refused"


def agree(rule_set: RuleSet, order: pb.Order, reading: CanonicalPlan | None = None) -> bool:
    """Whether the reader (of `reading`, by default the rule set's plan) keys and refuses `order` as the
    facts' key function and the converter do."""
    plan = CanonicalPlan.of(rule_set)
    facts = converted(order)
    want = "refused" if facts == "refused" else plan.key_function()(facts)
    return read(reading or plan, order) == want and read(None, order) == (None if facts != "refused" else "refused")


@fuzz_settings(300)
@given(rule_set=rule_sets(), order=st.one_of(messages, fact_documents().map(order_from_document)))
def test_fuzz_the_key_read_from_the_message_is_the_key_of_its_facts(rule_set: RuleSet, order: pb.Order) -> None:
    assert agree(rule_set, order)


@fuzz_settings(300)
@given(order=messages)
def test_fuzz_facts_of_every_kind_and_depth_key_alike_and_read_alike(order: pb.Order) -> None:
    assert agree(EVERY_KIND, order)
    facts = converted(order)
    if facts != "refused":
        assert dict(MessageFacts(order)) == facts and MessageFacts(order) == facts
        assert [MessageFacts(order).get(name) for name in facts] == list(facts.values())


def test_the_check_catches_a_reader_that_drops_a_distinction() -> None:
    """A reader that sees whether the country is known but not whether it is "CN" is found out."""
    plan = CanonicalPlan.of(EVERY_KIND)
    blind = CanonicalPlan(
        tuple(replace(use, equal=set()) if use.path == "ship_to.country" else use for use in plan.facts),
        plan.line_facts,
    )
    assert all(agree(EVERY_KIND, pb.Order(order_id="o", ship_to=pb.Address(country=c))) for c in ("CN", "DE"))
    found = find(messages, lambda order: not agree(EVERY_KIND, order, blind))
    assert found.HasField("ship_to") and found.ship_to.HasField("country") and found.ship_to.country != "CN"


def test_a_refused_order_gets_the_converters_error_naming_the_field() -> None:
    engine = CompiledRuleSet(EVERY_KIND)
    bad = pb.Order(order_id="o", logistics=pb.Logistics(warehouses=[pb.Warehouse(id="w", distance_km=-1)]))
    with pytest.raises(InvalidOrder) as refused:
        OrderReaders().read(engine, bad, "orders[2]")
    with pytest.raises(InvalidOrder) as converter:
        order_to_facts(bad, "orders[2]")
    assert refused.value.field == converter.value.field == "orders[2].logistics.warehouses[0].distance_km"
    engine.close()


def example_engine() -> CompiledRuleSet:
    check = rules.check((EXAMPLES / "fulfilment.yaml").read_text())
    assert check.rule_set is not None
    return CompiledRuleSet(check.rule_set, 1)


def test_keys_read_with_the_order_decide_as_the_engines_own_and_none_while_the_memo_rests() -> None:
    engine = example_engine()
    orders = [request.order for request in requests(300)[0]]
    readers = OrderReaders()
    read = [readers.read(engine, order, "order") for order in orders]
    facts = [order_to_facts(order) for order in orders]
    assert engine.evaluate_many([f for f, _ in read], [k for _, k in read]) == example_engine().evaluate_many(facts)
    engine.close()
    resting = example_engine()
    resting.memo.count(TRIAL, TRIAL)  # a trial without a hit: the memo rests, and the reader only checks
    assert resting.memo_resting and readers.read(resting, orders[0], "order")[1] is None
    resting.close()


def test_shared_warehouse_facts_stay_as_they_were_through_routing_and_masking() -> None:
    """The candidate warehouses' facts are one dict for every order sending the same list: nothing on the
    path may change them (the engine's document, the warehouse resolution, the input log's masks)."""
    engine = example_engine()
    readers = OrderReaders()
    orders = [request.order for request in requests(200)[0]]
    read = [readers.read(engine, order, "order") for order in orders]
    shared = [facts.get("logistics") for facts, _ in read]
    before = copy.deepcopy(shared)
    engine.evaluate_many([f for f, _ in read], [k for _, k in read])  # hits, misses, warehouse nodes
    engine.evaluate_many([f for f, _ in read])  # the engine's own keys and documents
    masks = parse_masks(["logistics.nearest_warehouse", "customer.customer_id=hash"])
    for facts, _ in read:
        masked(facts, masks, b"key")
    assert shared == before and any(a is b for a, b in itertools.pairwise(shared))  # shared, and unchanged
    engine.close()


def test_large_warehouse_lists_are_not_kept() -> None:
    """Only small content is kept, so a client sending large or ever-different lists cannot grow it."""
    shared = SharedFacts("logistics")
    many = pb.Logistics(warehouses=[pb.Warehouse(id=f"W-{i:03}-" + "x" * 40, in_stock=True) for i in range(60)])
    small = pb.Logistics(warehouses=[pb.Warehouse(id="DC-SH", in_stock=True)])
    assert many.ByteSize() > SharedFacts.MAX_BYTES
    assert shared(many) == shared(many) and len(shared) == 0
    assert shared(small) is shared(small) and len(shared) == 1
