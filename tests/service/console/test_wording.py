"""Rules in plain words and as a decision table, in both languages."""

from __future__ import annotations

import pytest

from rules.model import AllOf, AnyOf, Compare, LineScope, Not, Op, Scope
from rules.parse import parse_rule_set
from rules.wording import comparison_words, condition_words
from service.console.i18n import Language
from service.console.tables import decision_table
from tests.conftest import EXAMPLES

EN, ZH = Language("en"), Language("zh_CN")


@pytest.mark.parametrize(
    ("compare", "english", "chinese"),
    [
        (Compare("customer.repeat_purchases", Op.GTE, 3), "at least 3", "至少 3"),
        (Compare("lines.category", Op.IN, ("apparel", "shoes")), "one of apparel, shoes", "以下之一：apparel, shoes"),
        (
            Compare("total_minor", Op.BETWEEN, (100_000, 2_500_000)),
            "from 100,000 to 2,500,000",
            "介于 100,000 和 2,500,000 之间",
        ),
        (Compare("risk.fraud_score", Op.GT, 0.8), "more than 0.8", "大于 0.8"),
        (Compare("is_cross_border", Op.EQUALS, True), "yes", "是"),
        (Compare("customer.tier", Op.NOT_EQUALS, "VIP"), "is not VIP", "不是 VIP"),
        (Compare("promised_hours", Op.NOT_EXISTS, None), "unknown", "未知"),
    ],
)
def test_a_test_reads_in_plain_words(compare: Compare, english: str, chinese: str) -> None:
    assert (comparison_words(compare, EN), comparison_words(compare, ZH)) == (english, chinese)


def test_a_composite_condition_reads_as_a_phrase() -> None:
    condition = AllOf(
        (
            AnyOf((Compare("customer.tier", Op.EQUALS, "VIP"), Compare("customer.ltv_minor", Op.GTE, 5_000_000))),
            Not(Compare("channel", Op.EQUALS, "POS")),
            LineScope(Scope.ANY, Compare("hazmat", Op.EQUALS, True)),
        )
    )
    assert condition_words(condition, EN) == (
        "(either customer.tier is VIP or customer.ltv_minor is at least 5,000,000) and not (channel is POS)"
        " and some line: hazmat is yes"
    )


def test_the_example_rule_set_as_a_table() -> None:
    rule_set, _ = parse_rule_set((EXAMPLES / "fulfilment.yaml").read_text(), "fulfilment.yaml")
    assert rule_set is not None
    table = decision_table(rule_set, EN)
    assert [r.rule_id for r in table.rows][-1] == "standard" and table.rows[-1].is_default
    assert [int(r.priority) for r in table.rows[:-1]] == sorted(int(r.priority) for r in table.rows[:-1])
    express = next(r for r in table.rows if r.rule_id == "repeat-customer-express")
    facts = [c.key for c in table.facts]
    assert express.conditions[facts.index("customer.repeat_purchases")] == "at least 3"
    outputs = [c.key for c in table.outputs]
    assert express.outputs[outputs.index("path")] == "EXPRESS"
    assert express.sentence.startswith("When customer.repeat_purchases is at least 3: Path EXPRESS;")
    chinese = decision_table(rule_set, ZH)
    assert next(c.label for c in chinese.facts if c.key == "customer.tier") == "会员等级"
