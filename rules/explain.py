"""Why an order was decided as it was: per rule, whether it matched, and per test of a fact the value
the order had and whether the test held (three-valued: an unknown fact neither holds nor fails).

Re-evaluated by the reference interpreter (rules.reference), which the differential test holds equal
to the engine, from the facts as the engine read them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rules import reference
from rules.facts import OrderFacts, lookup
from rules.model import AllOf, AnyOf, Compare, Condition, LineScope, Not, RuleSet
from rules.reference import Truth
from rules.replay import reproduced
from rules.trial import Trial, try_order
from rules.wording import ENGLISH, Words, comparison_words


@dataclass(frozen=True, slots=True)
class TestTrace:
    fact: str
    test: str
    """The test in words ("at least 3")."""
    scope: str
    """"" on the order; any_line, all_lines or no_line on its lines."""
    negated: bool
    """Under a `not`: the rule needs this test not to hold."""
    value: Any
    """The order's value (None: unknown); for a line scope, each line's."""
    held: Truth


@dataclass(frozen=True, slots=True)
class RuleExplanation:
    rule_id: str
    priority: int
    matched: Truth
    decided: tuple[str, ...]
    tests: tuple[TestTrace, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    trial: Trial
    rules: tuple[RuleExplanation, ...]
    """Every rule in priority order, the default last (matched, testing nothing)."""


def explain(
    rule_set: RuleSet, facts: OrderFacts, version: int = 0, content_hash: str = "", words: Words = ENGLISH
) -> Explanation:
    trial = try_order(rule_set, facts, version, content_hash)
    traces = {t.rule_id: t for t in trial.rules}
    rules = tuple(
        RuleExplanation(
            rule.id,
            rule.priority,
            traces[rule.id].truth,
            traces[rule.id].decided,
            tuple(_tests(rule.when, facts, words)) if rule.when is not None else (),
        )
        for rule in (*rule_set.rules, rule_set.default)
    )
    return Explanation(trial, rules)


def _tests(
    condition: Condition, facts: OrderFacts, words: Words, scope: LineScope | None = None, negated: bool = False
) -> Iterator[TestTrace]:
    match condition:
        case Compare():
            if scope is None:
                held = reference.evaluate(condition, facts)
                yield TestTrace(
                    condition.fact, comparison_words(condition, words), "", negated, lookup(facts, condition.fact), held
                )
            else:
                held = reference.evaluate(LineScope(scope.scope, condition), facts)
                lines: Sequence[Mapping[str, Any]] = facts.get("lines") or []
                values = [line.get(condition.fact) for line in lines]
                yield TestTrace(
                    condition.fact, comparison_words(condition, words), str(scope.scope.value), negated, values, held
                )
        case AllOf(items) | AnyOf(items):
            for item in items:
                yield from _tests(item, facts, words, scope, negated)
        case Not(item):
            yield from _tests(item, facts, words, scope, not negated)
        case LineScope():
            yield from _tests(condition.item, facts, words, condition, negated)


def disagreements(explanation: Explanation, decided: Mapping[str, Any], matched: Sequence[str]) -> tuple[str, ...]:
    """Where re-evaluating the logged facts with the logged version differs from what was logged:
    "path: logged 'EXPRESS', now 'STANDARD'" (empty: the decision is reproduced)."""
    return tuple(reproduced(decided, matched, explanation.trial.decision)[1])
