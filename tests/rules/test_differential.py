"""durable_rules and the reference interpreter agree on every order.

Random rule sets (any mix of comparisons, all/any/not and line scopes) and
random orders (facts missing, lines empty or partial): the rules the engine
fires must be exactly the rules the reference says match, and a trial
(rules.trial, the reference's whole decision) must decide as the engine does.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rules import CompiledRuleSet, EngineRejected, check_order, reference
from rules.engine import DocumentPlan
from rules.model import RuleSet
from rules.trial import try_order
from tests.rules.strategies import orders, rule_sets


@settings(
    max_examples=int(os.environ.get("DIFFERENTIAL_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(rule_set=rule_sets(), batch=st.lists(orders(), min_size=1, max_size=8))
def test_engine_matches_reference(rule_set: RuleSet, batch: list[dict]) -> None:
    try:
        compiled = CompiledRuleSet(rule_set)
    except EngineRejected:
        # Validation reports these (tests/rules/test_diagnostics.py); they are never published.
        assume(False)
        return
    try:
        for order in batch:
            facts = check_order(order)
            want = [r.id for r in reference.matched_rules(rule_set, facts)]
            got = [r.id for r in compiled.match(facts)]
            assert got == want, f"order {facts}"
            decision = compiled.evaluate(facts)
            assert try_order(rule_set, facts).decision == decision  # a trial decides as the engine does
            assert decision.tags == tuple(f"t{r.split('-')[1]}" for r in want) or (not want and decision.tags == ())
        # One engine call for the whole batch decides each order exactly as alone.
        checked = [check_order(order) for order in batch]
        together = compiled.evaluate_many(checked)
        assert [d.matched_rules for d in together] == [compiled.evaluate(f).matched_rules for f in checked]
    finally:
        compiled.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_set=rule_sets(), order=orders(), index=st.integers(0, 999))
def test_generated_document_builder_equals_the_readable_one(rule_set: RuleSet, order: dict, index: int) -> None:
    plan = DocumentPlan.of(rule_set)
    facts = check_order(order)
    assert plan.builder()(facts, index) == plan.document(facts, index)
