"""The generated order converter Route uses equals the readable one: the same facts for every valid
order, and a refusal for exactly the orders the readable one refuses."""

from __future__ import annotations

import gc

from hypothesis import given
from orderroute.v1 import orderroute_pb2 as pb

import rules
from rules import InvalidOrder
from service.api.decisions import DecisionMessages
from service.api.orders import ORDER_CONVERTER, fast_order_to_facts, order_to_facts
from tests.conftest import EXAMPLES
from tests.fuzzing import fuzz_settings
from tests.service.api.order_strategies import orders


def readable(order: pb.Order) -> object:
    try:
        return ORDER_CONVERTER.convert(order, "order")
    except InvalidOrder as exc:
        return ("refused", exc.field)


def fast(order: pb.Order) -> object:
    try:
        return fast_order_to_facts(order)
    except (ValueError, KeyError):
        return "refused"


@fuzz_settings(500)
@given(order=orders)
def test_fuzz_the_generated_converter_accepts_and_refuses_what_the_readable_one_does(order) -> None:
    want, got = readable(order), fast(order)
    if isinstance(want, tuple):
        assert got == "refused", f"the generated converter accepted an order refused at {want[1]}"
    else:
        assert got == want


def test_order_to_facts_names_the_field_the_generated_converter_refused() -> None:
    order = pb.Order(order_id="o", lines=[pb.OrderLine(sku="a", qty=0)])
    assert fast(order) == "refused"
    try:
        order_to_facts(order)
    except InvalidOrder as exc:
        assert exc.field == "order.lines[0].qty"
    else:
        raise AssertionError("an order with qty 0 was accepted")


def test_an_order_without_id_is_refused_before_conversion() -> None:
    try:
        order_to_facts(pb.Order(customer=pb.Customer(customer_id="c")), "orders[3]")
    except InvalidOrder as exc:
        assert (exc.field, exc.message) == ("orders[3].order_id", "orders[3].order_id: is required")
    else:
        raise AssertionError("an order without id was accepted")


def test_a_decisions_message_is_built_once_and_kept_only_while_the_decision_lives() -> None:
    engine = rules.CompiledRuleSet(rules.check((EXAMPLES / "fulfilment.yaml").read_text()).rule_set, version=3)
    messages = DecisionMessages()
    decision = engine.evaluate(rules.check_order({"order_id": "o-1"}))
    template = messages.template(decision)
    assert template.version == 3 and messages.template(decision) is template
    del engine, decision  # a retired version: its decisions go, and their messages with them
    gc.collect()
    assert len(messages.template) == 0
