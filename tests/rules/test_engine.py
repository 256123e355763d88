"""The compiled engine: combination, concurrency, memory, lifecycle."""

from __future__ import annotations

import gc
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import rules
from rules import CompiledRuleSet, EngineRejected, check_order, reference
from rules.combine import resolve_warehouse
from rules.engine import DocumentPlan

ROOT = Path(__file__).parents[2]
EXAMPLE = (ROOT / "rules" / "examples" / "fulfilment.yaml").read_text()


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


_GROUPS = " ".join(f"{{all: [{{total_minor: {{equals: {i}}}}}, {{item_count: {{equals: {i}}}}}]}}," for i in range(20))
WIDE = f"""name: x
rules:
  - id: wide
    priority: 1
    when:
      any: [{_GROUPS.rstrip(",")}]
    then: {{path: EXPRESS}}
default: {{then: {{path: STANDARD, risk_review: STANDARD, credit_review: STANDARD, warehouse: DC}}}}
"""


def test_an_engine_limit_is_refused_at_validation_naming_it() -> None:
    source = WIDE
    result = rules.check(source, "wide.yaml")
    assert not result.valid
    (problem,) = result.errors
    assert (problem.code, problem.rule_id, problem.line) == ("not-expressible", "wide", 3)
    assert "21 engine groups" in problem.message and "allows 15" in problem.message
    with pytest.raises(EngineRejected):
        CompiledRuleSet(rules.parse_rule_set(source)[0])


def test_what_the_engine_refuses_beyond_the_limits_validation_knows_is_reported_per_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rules.compile, "MAX_RULE_GROUPS", 1_000)  # as if the limit were not known yet
    result = rules.check(WIDE, "wide.yaml")
    (problem,) = result.errors
    assert (problem.code, problem.rule_id, problem.line) == ("engine-rejected", "wide", 3)
    assert "error code: 113" in problem.message


ALL_LINES_ALTERNATIVES = """name: lines
rules:
  - id: missing-province
    priority: 1
    when: {all: [{ship_to.province: {not_exists: true}}, {margin_minor: {greater_than: -2}}]}
    then: {tags: [t0]}
  - id: every-line-small
    priority: 2
    when: {all_lines: {qty: {in: [1, 2]}}}
    then: {tags: [t1]}
  - id: cross-border-known
    priority: 3
    when: {is_cross_border: {exists: true}}
    then: {tags: [t2]}
  - id: low-returns
    priority: 4
    when: {customer.return_rate: {between: [1.0e-07, 0.3]}}
    then: {tags: [t3]}
default: {then: {path: STANDARD, risk_review: STANDARD, credit_review: STANDARD, warehouse: DC}}
"""


def test_a_line_scope_never_ends_in_an_or_whose_node_type_the_engine_leaves_uninitialised() -> None:
    # Found by loadtest.engine_fuzz: `$iall` over an `$or` was refused (error 102) now and then, as the heap
    # happened to hold; here, 2 of 300 compiles in a fresh process. No scope body may end in an `$or`.
    rule_set, _ = rules.parse_rule_set(ALL_LINES_ALTERNATIVES)
    assert rule_set is not None

    def bodies(expression: object) -> list[object]:
        if isinstance(expression, list):
            return [b for e in expression for b in bodies(e)]
        if not isinstance(expression, dict):
            return []
        found = [body for key, scoped in expression.items() if key in ("$iall", "$iany") for body in scoped.values()]
        return found + [b for value in expression.values() for b in bodies(value)]

    scoped = bodies(rules.compile.to_durable(rule_set))
    assert scoped and not [b for b in scoped if isinstance(b, dict) and "$or" in b], scoped
    code = (
        "import rules\n"
        f"rule_set, _ = rules.parse_rule_set({ALL_LINES_ALTERNATIVES!r})\n"
        "refused = 0\n"
        "for _ in range(1000):\n"
        "    try:\n"
        "        rules.CompiledRuleSet(rule_set).close()\n"
        "    except rules.EngineRejected:\n"
        "        refused += 1\n"
        "print(refused)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == "0", (result.stdout, result.stderr[-2000:])


def test_only_rule_sets_that_read_the_line_mark_put_it_on_their_lines() -> None:
    order = check_order({"order_id": "o", "lines": [{"qty": 1, "hazmat": True}]})
    for source, marked in ((ALL_LINES_ALTERNATIVES, True), (EXAMPLE, False)):
        rule_set, _ = rules.parse_rule_set(source)
        assert rule_set is not None
        plan = DocumentPlan.of(rule_set)
        document, _ = plan.builder()(order, 0)
        assert plan.line_mark is marked and ('"#line":1' in document) is marked, document


def test_every_line_of_a_clause_with_alternatives_is_decided_as_the_reference_decides() -> None:
    rule_set, _ = rules.parse_rule_set(ALL_LINES_ALTERNATIVES)
    assert rule_set is not None
    engine = CompiledRuleSet(rule_set)
    for lines in ([], [{"qty": 1}], [{"qty": 1}, {"qty": 2}], [{"qty": 1}, {"qty": 3}], [{"qty": 2}, {"sku": "x"}]):
        facts = check_order({"order_id": "o", "lines": lines})
        want = [r.id for r in reference.matched_rules(rule_set, facts)]
        assert [r.id for r in engine.match(facts)] == want, lines
    engine.close()
