"""The zen-engine peer is only a fair comparison if it matches exactly the rules our engine matches."""

from __future__ import annotations

import random

import pytest

import rules
from experiments.simulation import customer_pool, pick_customer, synthetic_order
from loadtest.bench_core import EXAMPLES, sample_orders
from loadtest.zen_peer import ZenPeer, check_equivalent
from service.api.orders import order_to_facts
from service.client.documents import order_from_document


@pytest.fixture(scope="module")
def compiled():
    check = rules.check((EXAMPLES / "fulfilment.yaml").read_text())
    assert check.rule_set is not None
    engine = rules.CompiledRuleSet(check.rule_set, 1, check.content_hash)
    yield engine
    engine.close()


def test_zen_table_matches_the_same_rules_on_samples_and_synthetic_orders(compiled) -> None:
    rng = random.Random(5)
    pool = customer_pool(300, "zen")
    synthetic = [order_from_document(synthetic_order(f"z-{i}", pick_customer(pool, rng), rng)) for i in range(1_500)]
    facts = [order_to_facts(o) for o in [*sample_orders(), *synthetic]]
    check_equivalent(compiled, ZenPeer(), facts)


def test_the_equivalence_check_catches_a_different_table(compiled, monkeypatch) -> None:
    from loadtest import zen_peer

    rows = [
        (rule, tests) if rule != "repeat-customer-express" else (rule, {"repeats": ">= 2"})
        for rule, tests in zen_peer.ROWS
    ]
    monkeypatch.setattr(zen_peer, "ROWS", rows)
    two_repeats = order_to_facts(order_from_document({"order_id": "o", "customer": {"repeat_purchases": 2}}))
    with pytest.raises(AssertionError, match="repeat-customer-express"):
        check_equivalent(compiled, ZenPeer(), [two_repeats])
