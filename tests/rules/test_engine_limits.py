"""Rule sets of the sizes that froze or crashed durable_rules run correctly (the engine is split into
rulesets of rules.compile.SHARD_CONDITIONS comparisons), and what one ruleset still cannot hold is refused
at validation with the limit named. Whatever could hang runs in a child process with a time limit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import rules
from rules import CompiledRuleSet, check_order, reference
from rules.compile import MAX_DOCUMENT_FIELDS, MAX_RULE_ALTERNATIVES, MAX_RULE_CONDITIONS, MAX_RULE_GROUPS

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = "default: {then: {path: STANDARD, risk_review: STANDARD, credit_review: STANDARD, warehouse: DC}}\n"


def rule_set(rules_yaml: list[str]) -> str:
    return "name: big\nrules:\n" + "".join(rules_yaml) + DEFAULT


def rule(index: int, when: str) -> str:
    return f"  - id: r{index}\n    priority: {index + 1}\n    when: {when}\n    then: {{tags: [t{index}]}}\n"


SHAPES = {
    "1,000 rules with distinct conditions": [rule(i, f"{{total_minor: {{at_least: {i}}}}}") for i in range(1000)],
    "300 rules sharing one condition": [rule(i, "{channel: {equals: LIVE_STREAM}}") for i in range(300)],
    "300 text tests in 300 rules": [rule(i, f"{{payment_method: {{contains: p{i}}}}}") for i in range(199)]
    + [rule(199 + i, f"{{total_minor: {{at_most: {10**6 + i}}}}}") for i in range(101)],
    "an in list of 400 values": [rule(0, "{ship_to.city: {in: [" + ", ".join(f"v{i}" for i in range(400)) + "]}}")],
}
ORDER = {
    "order_id": "o",
    "channel": "LIVE_STREAM",
    "total_minor": 500,
    "payment_method": "p17",
    "ship_to": {"city": "v3"},
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_large_rule_set_validates_and_every_matching_rule_fires(shape: str, tmp_path: Path) -> None:
    source = tmp_path / "big.yaml"
    source.write_text(rule_set(SHAPES[shape]))
    code = textwrap.dedent(f"""
        import rules
        from rules import CompiledRuleSet, check_order, reference
        checked = rules.check(open({str(source)!r}).read(), "big.yaml")
        assert checked.valid, [d.render() for d in checked.diagnostics if d.is_error][:3]
        engine = CompiledRuleSet(checked.rule_set)
        order = check_order({ORDER!r})
        want = [r.id for r in reference.matched_rules(checked.rule_set, order)]
        assert list(engine.evaluate(order).matched_rules) == want
        batch = engine.evaluate_many([order, check_order({{"order_id": "p"}}), order])
        assert [list(d.matched_rules) for d in batch] == [want, [], want]
        print(len(want))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout) > 0


@pytest.mark.parametrize(
    ("when", "limit"),
    [
        ("{payment_method: {in: [" + ", ".join(f"v{i}" for i in range(MAX_RULE_CONDITIONS + 1)) + "]}}", "400"),
        ("{any: [" + ", ".join(f"{{total_minor: {{at_least: {i}}}}}" for i in range(49)) + "]}", "48"),
        # 15 all-groups under one any: 16 groups, one over what a rule's engine node holds (error 113)
        (
            "{any: ["
            + ", ".join(f"{{all: [{{total_minor: {{equals: {i}}}}}, {{currency: {{equals: c}}}}]}}" for i in range(15))
            + "]}",
            "15",
        ),
    ],
    ids=["in list over the limit", "alternatives over the limit", "groups over the limit"],
)
def test_a_rule_one_ruleset_cannot_hold_is_refused_naming_the_limit(when: str, limit: str) -> None:
    result = rules.check(rule_set([rule(0, when)]), "big.yaml")
    refused = [d for d in result.diagnostics if d.code == "not-expressible"]
    assert not result.valid and refused, [d.render() for d in result.diagnostics]
    assert limit in refused[0].message and refused[0].rule_id == "r0" and refused[0].hint


@pytest.mark.parametrize(
    "make",
    [
        lambda i: f"{{payment_method: {{contains: p{i}}}}}",
        lambda i: f"{{attributes.k{i}: {{equals: x}}}}",
    ],
    ids=["text tests", "attribute keys"],
)
def test_more_document_fields_than_the_engine_holds_are_refused(make) -> None:
    result = rules.check(rule_set([rule(i, make(i)) for i in range(MAX_DOCUMENT_FIELDS + 1)]), "big.yaml")
    refused = [d for d in result.diagnostics if d.code == "not-expressible"]
    assert not result.valid and refused and str(MAX_DOCUMENT_FIELDS) in refused[0].message


def test_the_limits_are_inside_what_the_engine_was_measured_to_survive() -> None:
    from rules.compile import SHARD_CONDITIONS

    assert SHARD_CONDITIONS < 64 and MAX_RULE_ALTERNATIVES < 64 and MAX_RULE_CONDITIONS < 511
    assert MAX_DOCUMENT_FIELDS < 255


def test_a_rule_with_as_many_groups_as_the_engine_holds_is_decided_as_the_reference_decides() -> None:
    groups = [
        f"{{all: [{{total_minor: {{equals: {i}}}}}, {{currency: {{equals: c}}}}]}}" for i in range(MAX_RULE_GROUPS - 1)
    ]
    result = rules.check(rule_set([rule(0, "{any: [" + ", ".join(groups) + "]}")]), "big.yaml")
    assert result.valid and result.rule_set is not None, [d.render() for d in result.diagnostics]
    engine = CompiledRuleSet(result.rule_set)
    for total, currency in ((3, "c"), (3, "d"), (MAX_RULE_GROUPS, "c")):
        facts = check_order({"order_id": "o", "total_minor": total, "currency": currency})
        assert [r.id for r in engine.match(facts)] == [r.id for r in reference.matched_rules(result.rule_set, facts)]
    engine.close()
