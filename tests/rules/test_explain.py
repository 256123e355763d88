"""Why an order went where it did: each rule's tests with the order's values and whether they held; a
re-evaluation that differs from what was logged says where."""

from __future__ import annotations

from rules import check
from rules.explain import disagreements, explain
from tests.conftest import EXAMPLES

RULE_SET = check((EXAMPLES / "fulfilment.yaml").read_text()).rule_set
ORDER = {
    "order_id": "SO-1003",
    "order_type": "NORMAL",
    "customer": {"customer_id": "c", "tier": "REGULAR", "repeat_purchases": 2},
    "lines": [{"sku": "a", "qty": 1, "hazmat": False}, {"sku": "b", "qty": 1, "hazmat": True}],
}


def test_a_rule_that_did_not_match_names_its_failing_test_and_the_value() -> None:
    assert RULE_SET is not None
    e = explain(RULE_SET, ORDER)
    by_id = {r.rule_id: r for r in e.rules}
    express = by_id["repeat-customer-express"]
    assert express.matched is False
    (test,) = express.tests
    assert (test.fact, test.test, test.value, test.held) == ("customer.repeat_purchases", "at least 3", 2, False)
    hazmat = by_id["hazmat-no-store"]
    assert hazmat.matched is True and hazmat.decided == ("avoid_warehouse_types",)
    (line_test,) = hazmat.tests
    assert (line_test.scope, line_test.value, line_test.held) == ("any_line", [False, True], True)
    fraud = by_id["fraud-manual-review"]
    assert fraud.matched is None and fraud.tests[0].value is None and fraud.tests[0].held is None
    assert e.rules[-1].rule_id == RULE_SET.default.id and e.rules[-1].matched is True


def test_a_reevaluation_that_differs_from_the_log_says_so() -> None:
    assert RULE_SET is not None
    e = explain(RULE_SET, ORDER)
    d = e.trial.decision
    assert disagreements(e, {"path": d.path}, d.matched_rules) == ()
    assert disagreements(e, {"path": "EXPRESS"}, ()) == (
        f"path: logged 'EXPRESS', now {d.path!r}",
        f"matched rules: logged none, now {', '.join(d.matched_rules)}",
    )
