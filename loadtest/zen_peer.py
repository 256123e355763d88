"""A peer for the engine benchmark: the example rule set as a zen-engine (GoRules) decision table.

The table has one column per fact the rules test and one row per rule (two
for the rule with an `any`), hit policy "collect": zen returns every matching
rule, as durable_rules does before our combination step. `check_equivalent`
proves both engines match the same rules on the orders timed, so the
figures compare like with like. zen-engine's batch mode
(`ZenEngine.evaluate_batch`) is its fastest path from Python.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Sequence
from typing import Any

import rules

KEY = "fulfilment"

# (column id, zen expression over the fact document); missing facts are null, missing lists empty.
COLUMNS = [
    ("fraud", "risk.fraud_score"),
    ("order_type", "order_type"),
    ("cross_border", "is_cross_border"),
    ("tier", "customer.tier"),
    ("ltv", "customer.ltv_minor"),
    ("channel", "channel"),
    ("tags", "tags ?? []"),
    ("repeats", "customer.repeat_purchases"),
    ("hazmat_line", "some(lines ?? [], #.hazmat == true)"),
    ("virtual_line", 'some(lines ?? [], #.inventory_type == "VIRTUAL")'),
    ("qc_line", 'some(lines ?? [], #.category in ["apparel", "shoes", "consumer_electronics"])'),
]

# rule id -> unary tests per column (rules/examples/fulfilment.yaml, rule for rule).
ROWS: list[tuple[str, dict[str, str]]] = [
    ("fraud-manual-review", {"fraud": "> 0.8"}),
    ("cross-border-return-bonded", {"order_type": '"RETURN"', "cross_border": "true"}),
    ("presale-hold-balance", {"order_type": '"PRESALE"'}),
    ("hazmat-no-store", {"hazmat_line": "true"}),
    ("high-value-dedicated-service", {"tier": '"VIP"'}),
    ("high-value-dedicated-service", {"ltv": ">= 5000000"}),
    (
        "live-stream-flash-nearest-stock",
        {"channel": '"LIVE_STREAM"', "tags": 'contains($, "flash_sale")', "virtual_line": "true"},
    ),
    ("repeat-customer-express", {"repeats": ">= 3"}),
    ("plus-forward-warehouse", {"tier": '"PLUS"'}),
    ("high-return-category-qc", {"qc_line": "true"}),
]


def decision_graph() -> dict[str, Any]:
    """The JSON Decision Model: input -> decision table -> output."""
    inputs = [{"id": cid, "name": cid, "type": "expression", "field": expr} for cid, expr in COLUMNS]
    table_rows = []
    for index, (rule_id, tests) in enumerate(ROWS):
        row = {"_id": f"row-{index}", **{cid: tests.get(cid, "") for cid, _ in COLUMNS}}
        row["rule"] = json.dumps(rule_id)
        table_rows.append(row)
    position = {"x": 0, "y": 0}
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "Request", "position": position},
            {
                "id": "rules",
                "type": "decisionTableNode",
                "name": "fulfilment",
                "position": position,
                "content": {
                    "hitPolicy": "collect",
                    "inputs": inputs,
                    "outputs": [{"id": "rule", "name": "rule", "type": "expression", "field": "rule"}],
                    "rules": table_rows,
                },
            },
            {"id": "response", "type": "outputNode", "name": "Response", "position": position},
        ],
        "edges": [
            {"id": "in", "sourceId": "request", "targetId": "rules", "type": "edge"},
            {"id": "out", "sourceId": "rules", "targetId": "response", "type": "edge"},
        ],
    }


def available() -> bool:
    """Whether zen-engine is installed (the dev extra has it; a plain install may not)."""
    return importlib.util.find_spec("zen") is not None


class ZenPeer:
    def __init__(self) -> None:
        import zen  # a benchmark-only dependency (the dev extra)

        self._engine = zen.ZenEngine({"loader": {"type": "static", "content": {KEY: decision_graph()}}})

    def matched_many(self, facts: Sequence[dict[str, Any]]) -> list[set[str]]:
        results = self._engine.evaluate_batch([{"key": KEY, "context": f} for f in facts])
        out = []
        for result in results:
            if not result.get("success"):
                raise RuntimeError(f"zen-engine failed: {result.get('error')}")
            out.append({row["rule"] for row in result["data"]["result"]})
        return out


def check_equivalent(compiled: rules.CompiledRuleSet, peer: ZenPeer, facts: Sequence[dict[str, Any]]) -> None:
    """Raises unless zen matches exactly the rules durable_rules matches, order by order."""
    ours = [set(d.matched_rules) for d in compiled.evaluate_many(list(facts))]
    theirs = peer.matched_many(facts)
    for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        if a != b:
            raise AssertionError(f"order {index}: durable_rules matched {sorted(a)}, zen {sorted(b)}: {facts[index]}")


def zen_batch_us(peer: ZenPeer, facts: Sequence[dict[str, Any]], seconds: float) -> float:
    """µs per order through zen-engine's batch mode, batches of len(facts)."""
    orders, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        peer.matched_many(facts)
        orders += len(facts)
    return elapsed / orders * 1e6
