"""Floats durable_rules could not read (an exponent without a decimal point, as orjson writes 1e-7)
reach it in a form it reads exactly: in orders, alone and in batches, and as rule constants."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import rules
from rules import CompiledRuleSet, check_order, reference

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "rules" / "examples" / "fulfilment.yaml").read_text()
TINY = [5e-324, 1e-7, 1e-5, 2e-6, 1e-6]
THRESHOLD = """
name: tiny
rules:
  - id: clean
    priority: 1
    when: {risk.fraud_score: {less_than: 0.000001}}
    then: {path: EXPRESS}
  - id: huge-ltv
    priority: 2
    when: {customer.return_rate: {at_least: 1.0e-300}}
    then: {tags: [returns]}
default: {then: {path: STANDARD, risk_review: STANDARD, credit_review: STANDARD, warehouse: DC}}
"""


def order(fraud: float, return_rate: float = 0.5) -> dict[str, object]:
    return check_order({"order_id": "o", "risk": {"fraud_score": fraud}, "customer": {"return_rate": return_rate}})


@pytest.mark.parametrize("fraud", TINY)
def test_an_order_with_a_tiny_float_is_decided(fraud: float) -> None:
    checked = rules.check(EXAMPLE)
    engine = CompiledRuleSet(checked.rule_set, 1, checked.content_hash)
    try:
        decision = engine.evaluate(order(fraud))
        assert decision.path == "STANDARD" and decision.default_rule_used
    finally:
        engine.close()


def test_a_rule_constant_written_with_an_exponent_is_accepted_and_compared_exactly() -> None:
    checked = rules.check(THRESHOLD, "tiny.yaml")
    assert checked.valid, [d.render() for d in checked.diagnostics]
    engine = CompiledRuleSet(checked.rule_set, 1, checked.content_hash)
    try:
        for fraud in TINY:
            for rate in (0.0, 5e-324, 1e-300, 0.5):
                got = engine.evaluate(order(fraud, rate))
                want = [r.id for r in reference.matched_rules(checked.rule_set, order(fraud, rate))]
                assert list(got.matched_rules) == want, (fraud, rate)
        assert engine.evaluate(order(1e-7)).path == "EXPRESS" and engine.evaluate(order(1e-6)).path == "STANDARD"
    finally:
        engine.close()


def test_a_batch_with_tiny_floats_does_not_bring_the_process_down() -> None:
    # Run apart: before the fix durable_rules died of SIGSEGV here, taking the test runner with it.
    code = (
        "import rules; from rules import CompiledRuleSet, check_order\n"
        f"c = rules.check(open({str(ROOT / 'rules' / 'examples' / 'fulfilment.yaml')!r}).read())\n"
        "e = CompiledRuleSet(c.rule_set, 1, c.content_hash)\n"
        f"batch = [check_order({{'order_id': str(i), 'risk': {{'fraud_score': f}}}}) for i, f in enumerate({TINY!r})]\n"
        "print(','.join(d.path for d in e.evaluate_many(batch)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ",".join(["STANDARD"] * len(TINY))


def with_margin_rule(op: str, value: int) -> str:
    """THRESHOLD whose first rule also needs `margin_minor <op> value`."""
    return THRESHOLD.replace("less_than: 0.000001}", f"less_than: 0.000001}}, margin_minor: {{{op}: {value}}}")


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_a_whole_number_beyond_64_bits_is_refused_in_orders_and_rule_constants(value: int) -> None:
    # The engine read 2^63 as another number (wrong matches) and orjson cannot write 10^30 (an exception).
    with pytest.raises(rules.InvalidOrder, match=r"order\.margin_minor: must be a 64-bit whole number"):
        check_order({"order_id": "o", "margin_minor": value})
    source = with_margin_rule("at_most", value)
    checked = rules.check(source)
    assert not checked.valid
    assert any("64-bit whole number" in d.message for d in checked.errors), [d.render() for d in checked.errors]


def test_the_64_bit_edges_are_decided_as_the_reference_decides() -> None:
    source = with_margin_rule("at_least", 2**63 - 2)
    checked = rules.check(source)
    assert checked.valid and checked.rule_set is not None, [d.render() for d in checked.errors]
    engine = CompiledRuleSet(checked.rule_set)
    for margin in (2**63 - 3, 2**63 - 2, 2**63 - 1, -(2**63)):
        facts = check_order({"order_id": "o", "risk": {"fraud_score": 0.0}, "margin_minor": margin})
        want = [r.id for r in reference.matched_rules(checked.rule_set, facts)]
        assert [r.id for r in engine.match(facts)] == want, margin
    engine.close()
