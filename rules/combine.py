"""Matched rules -> one Decision, as DOMAIN.md says several matches combine.

- single-valued fields (path, warehouse, carrier, priority_pickup, cs_queue):
  the first matched rule, by priority, that sets the field;
- reviews: the most restrictive among matched rules (MANUAL > STANDARD > SKIP);
- holds, tags, avoid_warehouse_types: the union, in priority order;
- the default rule decides every field no matched rule set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rules.facts import WAREHOUSE_TYPES, OrderFacts
from rules.model import REVIEW_STRICTNESS, SET_FIELDS, SINGLE_FIELDS, Review, Rule

NEAREST_WITH_STOCK = "NEAREST_WITH_STOCK"


@dataclass(frozen=True, slots=True, weakref_slot=True)  # caches of its wire form follow its life
class Decision:
    path: str
    risk_review: Review
    credit_review: Review
    warehouse: str
    warehouse_node: str
    carrier: str
    priority_pickup: bool
    cs_queue: str
    holds: tuple[str, ...]
    tags: tuple[str, ...]
    avoid_warehouse_types: tuple[str, ...]
    rule_set: str
    version: int
    content_hash: str
    matched_rules: tuple[str, ...]
    default_rule_used: bool
    missing_facts: tuple[str, ...] = ()
    decided_by: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Provenance:
    rule_set: str
    version: int
    content_hash: str


@dataclass(frozen=True, slots=True)
class Combined:
    """What the matched rules decide, before anything order-specific (cacheable per set of matches)."""

    values: Mapping[str, Any]
    decided_by: Mapping[str, str]
    matched_rules: tuple[str, ...]


def combine_outputs(matched: Sequence[Rule], default: Rule) -> Combined:
    """Combines the matched rules (in priority order) with the default rule."""
    values: dict[str, Any] = {}
    decided_by: dict[str, str] = {}
    for name in SINGLE_FIELDS:
        for rule in (*matched, default):
            value = getattr(rule.then, name)
            if value is not None:
                values[name], decided_by[name] = value, rule.id
                break
    for name in ("risk_review", "credit_review"):
        best: Rule | None = None
        for rule in matched:
            value = getattr(rule.then, name)
            if value is not None and (
                best is None or REVIEW_STRICTNESS[value] > REVIEW_STRICTNESS[getattr(best.then, name)]
            ):
                best = rule
        chosen = best or default
        values[name], decided_by[name] = getattr(chosen.then, name), chosen.id
    for name in SET_FIELDS:
        contributors = [rule for rule in matched if getattr(rule.then, name)] or [default]
        items = dict.fromkeys(item for rule in contributors for item in getattr(rule.then, name))
        values[name] = tuple(items)
        if items:
            decided_by[name] = ",".join(rule.id for rule in contributors)
    return Combined(values, decided_by, tuple(rule.id for rule in matched))


def decide(combined: Combined, facts: OrderFacts, provenance: Provenance, missing: tuple[str, ...] = ()) -> Decision:
    """The decision for one order: the combined outputs, the warehouse resolved against its candidates."""
    values = combined.values
    warehouse = values.get("warehouse", "")
    return Decision(
        path=values["path"],
        risk_review=values["risk_review"],
        credit_review=values["credit_review"],
        warehouse=warehouse,
        warehouse_node=resolve_warehouse(warehouse, values["avoid_warehouse_types"], facts),
        carrier=values.get("carrier") or "",
        priority_pickup=bool(values.get("priority_pickup")),
        cs_queue=values.get("cs_queue") or "",
        holds=values["holds"],
        tags=values["tags"],
        avoid_warehouse_types=values["avoid_warehouse_types"],
        rule_set=provenance.rule_set,
        version=provenance.version,
        content_hash=provenance.content_hash,
        matched_rules=combined.matched_rules,
        default_rule_used=not combined.matched_rules,
        missing_facts=missing,
        decided_by=combined.decided_by,
    )


def combine(
    matched: Sequence[Rule], default: Rule, facts: OrderFacts, provenance: Provenance, missing: tuple[str, ...] = ()
) -> Decision:
    """combine_outputs then decide: the straightforward path (the reference uses it)."""
    return decide(combine_outputs(matched, default), facts, provenance, missing)


def resolve_warehouse(selector: str, avoid: Sequence[str], facts: OrderFacts) -> str:
    """The candidate node for a selector, or "" when no candidate fits.

    Candidates come from logistics.warehouses, nearest first: by distance_km
    when every candidate has one, else in the order the OMS sent them. A node
    type or NEAREST_WITH_STOCK picks the nearest in-stock candidate that fits
    and is not of an avoided type; a node id names itself unless it is a
    candidate of an avoided type.
    """
    if not selector:
        return ""  # what the rest would answer too, without reading the candidates
    candidates: list[Mapping[str, Any]] = (facts.get("logistics") or {}).get("warehouses") or []
    if candidates and all("distance_km" in w for w in candidates):
        candidates = sorted(candidates, key=lambda w: w["distance_km"])
    eligible = [w for w in candidates if w.get("type") not in avoid]
    if selector == NEAREST_WITH_STOCK or selector in WAREHOUSE_TYPES:
        for w in eligible:
            if w.get("in_stock") is True and (selector == NEAREST_WITH_STOCK or w.get("type") == selector):
                return str(w.get("id", ""))
        return ""
    if any(w.get("id") == selector and w.get("type") in avoid for w in candidates):
        return ""
    return selector
