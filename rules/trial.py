"""Trying an order against a rule set that need not be published: the decision, and per rule whether it
matched (or could not tell, a fact being unknown) and which fields it decided.

Evaluated by the reference interpreter (rules.reference), not durable_rules: a draft changes with
every keystroke, and the engine keeps memory for every rule set it ever loaded. The differential test
holds the engine equal to the reference, so a published version decides as its trial did.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules import reference
from rules.combine import Decision, Provenance, combine
from rules.engine import DocumentPlan
from rules.facts import OrderFacts
from rules.model import RuleSet
from rules.reference import Truth


@dataclass(frozen=True, slots=True)
class RuleTrace:
    rule_id: str
    truth: Truth
    """True: matched; False: did not; None: could not tell (a fact it reads is unknown)."""
    decided: tuple[str, ...]
    """Decision fields this rule decided; a rule that matched and decided none lost on priority."""


@dataclass(frozen=True, slots=True)
class Trial:
    decision: Decision
    rules: tuple[RuleTrace, ...]
    """Every rule in priority order, the default last."""


def try_order(rule_set: RuleSet, facts: OrderFacts, version: int = 0, content_hash: str = "") -> Trial:
    truths = [
        (rule, reference.evaluate(rule.when, facts) if rule.when is not None else True) for rule in rule_set.rules
    ]
    matched = [rule for rule, truth in truths if truth is True]
    _, missing = DocumentPlan.of(rule_set).document(facts, 0)
    decision = combine(
        matched, rule_set.default, facts, Provenance(rule_set.name, version, content_hash), tuple(missing)
    )
    fields_by_rule: dict[str, list[str]] = {}
    for field, deciders in decision.decided_by.items():
        for rule_id in deciders.split(","):
            fields_by_rule.setdefault(rule_id, []).append(field)
    traces = [RuleTrace(rule.id, truth, tuple(fields_by_rule.get(rule.id, ()))) for rule, truth in truths]
    default = rule_set.default
    traces.append(RuleTrace(default.id, True, tuple(fields_by_rule.get(default.id, ()))))
    return Trial(decision, tuple(traces))
