"""The generated order converter Route uses equals the readable one: same facts, same errors."""

from __future__ import annotations

from hypothesis import given

from rules import InvalidOrder
from service.convert import _ORDER, order_to_facts
from tests.fuzzing import fuzz_settings
from tests.service.test_route_fuzz import orders


@fuzz_settings(500)
@given(order=orders)
def test_fuzz_fast_conversion_equals_the_readable_one(order) -> None:
    try:
        want: object = _ORDER.convert(order, "order") if order.order_id else None
    except InvalidOrder as exc:
        want = (exc.field, str(exc))
    try:
        got: object = order_to_facts(order)
    except InvalidOrder as exc:
        got = (exc.field, str(exc))
    if want is None:  # no order id: refused before conversion
        assert got == ("order.order_id", "order.order_id: is required")
    else:
        assert got == want
