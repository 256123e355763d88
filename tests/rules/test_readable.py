"""A draft with mistakes still reads as a table, and each mistake names the cell it concerns."""

from __future__ import annotations

from rules import check
from rules.readable import UNREAD_PRIORITY, readable_parts
from rules.wording import ENGLISH, rule_cells
from tests.conftest import EXAMPLES

SOURCE = (EXAMPLES / "fulfilment.yaml").read_text()


def broken(old: str, new: str) -> str:
    assert old in SOURCE
    return SOURCE.replace(old, new, 1)


def cells(source: str, rule_id: str) -> dict[str, str]:
    rule_set = readable_parts(source)
    assert rule_set is not None
    rule = next(r for r in (*rule_set.rules, rule_set.default) if r.id == rule_id)
    return rule_cells(rule, ENGLISH)


def test_a_bad_threshold_leaves_the_rest_of_its_rule_and_names_its_cell() -> None:
    source = broken("customer.repeat_purchases: {at_least: 3}", "customer.repeat_purchases: {at_least: three}")
    (problem,) = [d for d in check(source).errors if d.rule_id == "repeat-customer-express"]
    assert (problem.field, problem.code) == ("customer.repeat_purchases", "type-mismatch")
    row = cells(source, "repeat-customer-express")
    assert "customer.repeat_purchases" not in row
    assert row["then.path"] == "EXPRESS" and row["priority"] == "30"
    rule_set = readable_parts(source)
    assert rule_set is not None and len(rule_set.rules) == len(readable_parts(SOURCE).rules)  # type: ignore[union-attr]


def test_bad_outputs_and_priorities_name_their_cells_and_the_rest_reads() -> None:
    source = broken("      carrier: SF_EXPRESS\n", "      carrier: sf express\n")
    source = source.replace("    priority: 30\n", "    priority: high\n", 1)
    fields = {d.field for d in check(source).errors if d.rule_id == "repeat-customer-express"}
    assert fields == {"then.carrier", "priority"}
    row = cells(source, "repeat-customer-express")
    assert "then.carrier" not in row and row["then.path"] == "EXPRESS"
    assert row["priority"] == str(UNREAD_PRIORITY)
    assert row["customer.repeat_purchases"] == "at least 3"


def test_a_test_inside_all_and_a_line_fact_read_one_by_one() -> None:
    source = broken("        - is_cross_border: {equals: true}", "        - is_cross_border: {equals: maybe}")
    (problem,) = [d for d in check(source).errors if d.rule_id == "cross-border-return-bonded"]
    assert problem.field == "is_cross_border"
    assert cells(source, "cross-border-return-bonded")["order_type"] == "is RETURN"
    scoped = broken("hazmat: {equals: true}", "hazmat: {equals: sometimes}")
    assert [d.field for d in check(scoped).errors] == [""]  # a line's fact has no column of its own


def test_what_does_not_read_at_all_gives_no_table() -> None:
    assert readable_parts("rules: [\n") is None
    assert readable_parts("- just a list\n") is None
    valid = readable_parts(SOURCE)
    assert valid is not None and valid == check(SOURCE).rule_set
