"""Editing a rule set one cell at a time changes only the edited rule's lines: comments and layout
everywhere else stay byte for byte."""

from __future__ import annotations

import difflib

import pytest

from rules import check
from rules.editing import (
    EditError,
    add_rule,
    add_test,
    move_rule,
    remove_rule,
    set_condition,
    set_output,
    set_priority,
)
from tests.conftest import EXAMPLES

SOURCE = (
    (EXAMPLES / "fulfilment.yaml")
    .read_text()
    .replace(
        "  - id: plus-forward-warehouse\n",
        "  # Agreed with the warehouse team in May.\n  - id: plus-forward-warehouse\n",
        1,
    )
)


def changed_lines(old: str, new: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_a_threshold_changes_one_line_and_keeps_its_flow_style() -> None:
    new = set_condition(SOURCE, "repeat-customer-express", "customer.repeat_purchases", "at_least", "2")
    assert changed_lines(SOURCE, new) == [
        "-      customer.repeat_purchases: {at_least: 3}",
        "+      customer.repeat_purchases: {at_least: 2}",
    ]
    assert "  # Agreed with the warehouse team in May.\n" in new
    assert check(new).rule_set is not None


def test_a_second_test_makes_an_all_and_removing_it_makes_a_lone_test_again() -> None:
    added = set_condition(SOURCE, "plus-forward-warehouse", "channel", "in", "WEB, APP")
    assert changed_lines(SOURCE, added) == [
        "-      customer.tier: {equals: PLUS}",
        "+      all:",
        "+        - customer.tier: {equals: PLUS}",
        "+        - channel: {in: [WEB, APP]}",
    ]
    assert set_condition(added, "plus-forward-warehouse", "channel", "", "") == SOURCE
    assert not check(added).errors or all(d.code == "test-failed" for d in check(added).errors)


def test_outputs_priority_and_rules_come_and_go_leaving_the_rest_alone() -> None:
    edited = set_output(SOURCE, "presale-hold-balance", "holds", "AWAIT_BALANCE, CALL_CUSTOMER")
    assert changed_lines(SOURCE, edited) == [
        "-      holds: [AWAIT_BALANCE]",
        "+      holds: [AWAIT_BALANCE, CALL_CUSTOMER]",
    ]
    assert changed_lines(SOURCE, set_priority(SOURCE, "high-return-category-qc", 45)) == [
        "-    priority: 50",
        "+    priority: 45",
    ]
    removed = remove_rule(SOURCE, "hazmat-no-store")
    assert all(line.startswith("-") for line in changed_lines(SOURCE, removed))
    assert "hazmat-no-store" not in removed.split("tests:")[0]
    added = add_rule(SOURCE, "weekend-express", 60)
    assert changed_lines(SOURCE, added) == [
        "+",
        "+  - id: weekend-express",
        "+    priority: 60",
        "+    when: {}",
        "+    then: {}",
    ]


def test_what_cannot_be_edited_says_why() -> None:
    with pytest.raises(EditError, match="no rule 'nope'"):
        set_priority(SOURCE, "nope", 1)
    with pytest.raises(EditError, match="not valid YAML"):
        set_priority("rules: [", "x", 1)
    with pytest.raises(EditError, match="exists already"):
        add_rule(SOURCE, "repeat-customer-express", 1)


def test_a_tried_order_becomes_a_test_case_at_the_end_of_the_tests() -> None:
    order = {"order_id": "SO-1", "customer": {"customer_id": "c-9", "repeat_purchases": 4}}
    expect = {"path": "EXPRESS", "matched_rules": ["repeat-customer-express"]}
    new = add_test(SOURCE, "SO-1 keeps the express lane", order, expect)
    assert all(line.startswith("+") for line in changed_lines(SOURCE, new))
    assert new.endswith(
        "  - name: SO-1 keeps the express lane\n"
        "    order:\n"
        "      order_id: SO-1\n"
        "      customer: {customer_id: c-9, repeat_purchases: 4}\n"
        "    expect:\n"
        "      path: EXPRESS\n"
        "      matched_rules: [repeat-customer-express]\n"
    )
    result = check(new)
    assert result.valid and len(result.tests) == len(check(SOURCE).tests) + 1
    started = add_test("name: x\nrules: []\n", "first", {"order_id": "o"}, {"path": "STANDARD"})
    assert started.endswith(
        "\ntests:\n  - name: first\n    order:\n      order_id: o\n    expect:\n      path: STANDARD\n"
    )


def test_a_test_of_a_line_goes_into_its_scope_and_out_again() -> None:
    added = set_condition(SOURCE, "hazmat-no-store", "oversize", "equals", "true", "any_line")
    assert changed_lines(SOURCE, added) == ["+        oversize: {equals: true}"]  # the same line: hazmat and oversize
    assert set_condition(added, "hazmat-no-store", "oversize", "", "", "any_line") == SOURCE
    scoped = set_condition(SOURCE, "repeat-customer-express", "category", "in", "apparel, shoes", "no_line")
    assert changed_lines(SOURCE, scoped)[1:] == [
        "+      all:",
        "+        - customer.repeat_purchases: {at_least: 3}",
        "+        - no_line:",
        "+            category: {in: [apparel, shoes]}",
    ]
    assert check(scoped).rule_set is not None
    with pytest.raises(EditError, match="unknown line scope"):
        set_condition(SOURCE, "hazmat-no-store", "hazmat", "equals", "true", "some_line")


def test_a_test_joins_the_rules_any_group_or_is_negated_and_leaves_again() -> None:
    either = set_condition(SOURCE, "plus-forward-warehouse", "channel", "equals", "APP", group="any")
    assert changed_lines(SOURCE, either) == [
        "-      customer.tier: {equals: PLUS}",
        "+      all:",
        "+        - customer.tier: {equals: PLUS}",
        "+        - any:",
        "+            - channel: {equals: APP}",
    ]
    both = set_condition(either, "plus-forward-warehouse", "customer.segments", "contains", "vip", group="any")
    assert "+            - customer.segments: {contains: vip}" in changed_lines(either, both)
    rule = check(both).rule_set
    assert rule is not None
    assert set_condition(both, "plus-forward-warehouse", "customer.segments", "", "", group="any") == either
    assert set_condition(either, "plus-forward-warehouse", "channel", "", "", group="any") == SOURCE

    negated = set_condition(SOURCE, "plus-forward-warehouse", "category", "equals", "food", "any_line", "not")
    assert changed_lines(SOURCE, negated)[-3:] == [
        "+        - not:",
        "+            any_line:",
        "+              category: {equals: food}",
    ]
    assert check(negated).rule_set is not None
    again = set_condition(negated, "plus-forward-warehouse", "category", "equals", "toys", "any_line", "not")
    assert changed_lines(negated, again) == [
        "-              category: {equals: food}",
        "+              category: {equals: toys}",
    ]
    assert set_condition(negated, "plus-forward-warehouse", "category", "", "", "any_line", "not") == SOURCE
    with pytest.raises(EditError, match="unknown group"):
        set_condition(SOURCE, "plus-forward-warehouse", "channel", "equals", "APP", group="either")


def test_a_rule_moves_past_the_nearest_rule_of_its_priority_with_its_comment() -> None:
    commented = SOURCE.replace(
        "  - id: presale-hold-balance\n", "  # Finance asked for this one.\n  - id: presale-hold-balance\n", 1
    )
    moved = move_rule(commented, "presale-hold-balance", "up")
    assert moved.index("# Finance asked") < moved.index("- id: presale-hold-balance")
    assert moved.index("- id: presale-hold-balance") < moved.index("- id: cross-border-return-bonded")
    assert move_rule(moved, "presale-hold-balance", "down") == commented
    assert sorted(moved.splitlines()) == sorted(commented.splitlines())
    result = check(moved).rule_set
    assert result is not None
    assert [r.id for r in result.rules][1:3] == ["presale-hold-balance", "cross-border-return-bonded"]
    with pytest.raises(EditError, match="no rule of priority 10 above 'cross-border-return-bonded'"):
        move_rule(commented, "cross-border-return-bonded", "up")
    with pytest.raises(EditError, match="no rule of priority 1 below"):
        move_rule(commented, "fraud-manual-review", "down")
