"""The compiled engine: combination, concurrency, memory, lifecycle."""

from __future__ import annotations

import gc
import resource
import threading
from pathlib import Path

import pytest

import rules
from rules import CompiledRuleSet, EngineRejected, check_order
from rules.combine import resolve_warehouse

EXAMPLE = (Path(__file__).parents[2] / "rules" / "examples" / "fulfilment.yaml").read_text()


@pytest.fixture(scope="module")
def compiled():
    result = rules.check(EXAMPLE, "fulfilment.yaml")
    engine = CompiledRuleSet(result.rule_set, version=7, content_hash=result.content_hash)
    yield engine
    engine.close()


def order(**facts):
    return check_order({"order_id": "o-1", **facts})


def test_single_valued_fields_take_the_highest_priority_rule(compiled) -> None:
    # fraud (priority 1) and repeat customer (30) both set path; fraud wins, express still sets the carrier.
    decision = compiled.evaluate(order(risk={"fraud_score": 0.9}, customer={"repeat_purchases": 5}))
    assert decision.path == "MANUAL_REVIEW"
    assert decision.carrier == "SF_EXPRESS"
    assert decision.decided_by["path"] == "fraud-manual-review"
    assert decision.decided_by["carrier"] == "repeat-customer-express"


def test_most_restrictive_review_wins_regardless_of_priority(compiled) -> None:
    # PLUS (priority 40) skips risk review, VIP-level lifetime value (20) forces manual: MANUAL wins.
    decision = compiled.evaluate(order(customer={"tier": "PLUS", "ltv_minor": 9_000_000}))
    assert decision.risk_review == "MANUAL"
    assert decision.decided_by["risk_review"] == "high-value-dedicated-service"


def test_holds_and_tags_are_unions(compiled) -> None:
    decision = compiled.evaluate(order(order_type="PRESALE", lines=[{"category": "shoes", "qty": 1}]))
    assert set(decision.holds) == {"AWAIT_BALANCE", "QUALITY_CHECK"}
    assert decision.decided_by["holds"] == "presale-hold-balance,high-return-category-qc"


def test_default_fills_what_no_rule_set(compiled) -> None:
    decision = compiled.evaluate(order(customer={"tier": "PLUS"}))
    assert (decision.path, decision.credit_review) == ("STANDARD", "STANDARD")
    assert decision.decided_by["path"] == "standard"
    assert not decision.default_rule_used
    assert (decision.version, decision.rule_set) == (7, "fulfilment")


def test_warehouse_resolution_prefers_distance_and_stock() -> None:
    facts = {
        "logistics": {
            "warehouses": [
                {"id": "A", "type": "DC", "in_stock": True, "distance_km": 50},
                {"id": "B", "type": "DC", "in_stock": False, "distance_km": 1},
                {"id": "C", "type": "STORE", "in_stock": True, "distance_km": 2},
                {"id": "D", "type": "DC", "in_stock": True, "distance_km": 10},
            ]
        }
    }
    assert resolve_warehouse("DC", (), facts) == "D"
    assert resolve_warehouse("NEAREST_WITH_STOCK", (), facts) == "C"
    assert resolve_warehouse("NEAREST_WITH_STOCK", ("STORE",), facts) == "D"
    assert resolve_warehouse("BONDED", (), facts) == ""
    assert resolve_warehouse("C", ("STORE",), facts) == ""
    assert resolve_warehouse("WH-OTHER", (), facts) == "WH-OTHER"


def test_concurrent_evaluation_matches_sequential(compiled) -> None:
    samples = [
        order(customer={"tier": tier, "repeat_purchases": n}, risk={"fraud_score": f})
        for tier in ("REGULAR", "PLUS", "VIP")
        for n in (0, 3)
        for f in (0.1, 0.95)
    ]
    want = [compiled.evaluate(s).matched_rules for s in samples]
    errors: list[str] = []

    def work() -> None:
        for _ in range(200):
            for sample, expected in zip(samples, want, strict=True):
                got = compiled.evaluate(sample).matched_rules
                if got != expected:
                    errors.append(f"{sample}: {got} != {expected}")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def test_memory_stays_flat_over_many_evaluations(compiled) -> None:
    facts = order(
        channel="LIVE_STREAM",
        tags=["flash_sale"],
        customer={"tier": "PLUS", "repeat_purchases": 4},
        lines=[{"inventory_type": "VIRTUAL", "qty": 1, "hazmat": True, "category": "apparel"}],
    )
    for _ in range(20_000):  # warm up allocator pools
        compiled.evaluate(facts)
    gc.collect()
    before = _rss_kb()
    for i in range(200_000):
        facts["order_id"] = f"o-{i}"
        compiled.evaluate(facts)
    gc.collect()
    growth = _rss_kb() - before
    # No per-order state may stay behind: 200k orders leaving even 50 bytes each would be ~10 MB.
    assert growth < 2_000, f"RSS grew by {growth} KiB"


def test_rule_sets_can_be_created_and_freed_without_limit() -> None:
    result = rules.check(EXAMPLE)
    before = _rss_kb()
    for _ in range(1_500):  # past durable_rules' ~1,024 live sessions/rulesets
        CompiledRuleSet(result.rule_set).close()
    assert _rss_kb() - before < 20_000


def test_retired_versions_leave_nothing_behind_in_the_engine() -> None:
    # durable_rules' delete_ruleset alone left each ruleset's session state: ~190 KB per version that
    # saw an order, ~0.9 MB after a batch of 100 (300 versions here: ~270 MB). The engine deletes it.
    rule_set = rules.check(EXAMPLE).rule_set
    batch = [
        order(order_id=f"o-{i}", total_minor=i * 1_000, customer={"tier": "PLUS", "repeat_purchases": i % 6})
        for i in range(100)
    ]

    def retire_one() -> None:
        engine = CompiledRuleSet(rule_set)
        engine.evaluate_many(batch)
        engine.evaluate(batch[0])
        del engine  # freed by reference counting, as the catalog retires a version

    for _ in range(50):  # warm up allocator pools
        retire_one()
    gc.collect()
    before = _rss_kb()
    for _ in range(300):
        retire_one()
    gc.collect()
    growth = _rss_kb() - before
    assert growth < 5_000, f"RSS grew by {growth} KiB over 300 versions"


def test_a_version_closed_before_any_order_and_closed_twice_is_fine() -> None:
    engine = CompiledRuleSet(rules.check(EXAMPLE).rule_set)
    engine.close()
    engine.close()


def test_closed_rule_set_refuses_to_evaluate() -> None:
    engine = CompiledRuleSet(rules.check(EXAMPLE).rule_set)
    engine.close()
    with pytest.raises(RuntimeError, match="closed"):
        engine.evaluate(order())


def test_engine_limit_is_reported_not_crashed() -> None:
    wide = " ".join(f"{{all: [{{total_minor: {{equals: {i}}}}}, {{item_count: {{equals: {i}}}}}]}}," for i in range(20))
    source = f"""name: x
rules:
  - id: wide
    priority: 1
    when:
      any: [{wide.rstrip(",")}]
    then: {{path: EXPRESS}}
default: {{then: {{path: STANDARD, risk_review: STANDARD, credit_review: STANDARD, warehouse: DC}}}}
"""
    result = rules.check(source, "wide.yaml")
    assert not result.valid
    (problem,) = result.errors
    assert (problem.code, problem.rule_id, problem.line) == ("engine-rejected", "wide", 3)
    with pytest.raises(EngineRejected):
        CompiledRuleSet(rules.parse_rule_set(source)[0])
