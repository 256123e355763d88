"""Rule sets: the language, its validation, compilation to durable_rules, evaluation.

Pure logic: no gRPC, no Redis, no clocks. The public surface:

- check(source, file) -> CheckResult: parse, validate, analyse, run embedded tests
- CompiledRuleSet(rule_set, version, content_hash).evaluate(facts) -> Decision
- check_order(doc) -> fact document, raising InvalidOrder on a bad field
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

from rules._errors import EngineRejected, InvalidOrder, RulesError, RuleSetInvalid
from rules.analysis import analyse
from rules.combine import Decision
from rules.compile import compile_problem, rule_set_problem
from rules.diagnostics import Diagnostic, Severity, error
from rules.diff import RuleSetDiff, diff_rule_sets
from rules.engine import CompiledRuleSet
from rules.facts import OrderFacts, check_order
from rules.model import Review, RuleSet
from rules.parse import parse_rule_set
from rules.testing import TestResult, run_tests

__all__ = [
    "CheckResult",
    "CompiledRuleSet",
    "Decision",
    "Diagnostic",
    "EngineRejected",
    "InvalidOrder",
    "OrderFacts",
    "Review",
    "RuleSet",
    "RuleSetDiff",
    "RuleSetInvalid",
    "RulesError",
    "Severity",
    "TestResult",
    "check",
    "check_order",
    "content_hash",
    "diff_rule_sets",
    "parse_rule_set",
]


@dataclass(frozen=True, slots=True)
class CheckResult:
    rule_set: RuleSet | None
    diagnostics: tuple[Diagnostic, ...]
    tests: tuple[TestResult, ...]
    content_hash: str

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def valid(self) -> bool:
        """No error, and every embedded test passed."""
        return self.rule_set is not None and not self.errors and all(t.passed for t in self.tests)


def content_hash(source: str) -> str:
    return "sha256:" + hashlib.sha256(source.encode()).hexdigest()


def check(source: str, file: str = "<source>") -> CheckResult:
    """Everything publish requires, without storing anything."""
    digest = content_hash(source)
    rule_set, diagnostics = parse_rule_set(source, file)
    if rule_set is None:
        return CheckResult(None, tuple(diagnostics), (), digest)
    for rule in rule_set.rules:
        problem = compile_problem(rule.when) if rule.when is not None else None
        if problem is not None:
            located = error(
                "not-expressible", problem.message, line=problem.line or rule.line, rule_id=rule.id, hint=problem.hint
            )
            diagnostics.append(_located(located, file))
    whole = rule_set_problem(rule_set)
    if whole is not None:
        diagnostics.append(_located(error("not-expressible", whole.message, line=1, hint=whole.hint), file))
    if any(d.is_error for d in diagnostics):
        return CheckResult(None, tuple(diagnostics), (), digest)
    diagnostics.extend(analyse(rule_set))
    try:
        compiled = CompiledRuleSet(rule_set, memo_size=0)  # a check evaluates only its tests
    except EngineRejected:
        diagnostics.extend(_located(d, file) for d in _engine_rejections(rule_set))
        return CheckResult(None, tuple(diagnostics), (), digest)
    try:
        tests = run_tests(compiled, rule_set.tests)
    finally:
        compiled.close()
    for result in tests:
        if not result.passed:
            failed = error(
                "test-failed",
                f"test '{result.name}' failed: " + "; ".join(result.failures),
                line=result.line,
                hint="fix the rules or the test's expect",
            )
            diagnostics.append(_located(failed, file))
    return CheckResult(rule_set, tuple(diagnostics), tuple(tests), digest)


def _engine_rejections(rule_set: RuleSet) -> list[Diagnostic]:
    """Which rules the engine refuses, found by loading each one alone."""
    found = []
    for rule in rule_set.rules:
        try:
            CompiledRuleSet(dataclasses.replace(rule_set, rules=(rule,)), memo_size=0).close()
        except EngineRejected as exc:
            found.append(
                error(
                    "engine-rejected",
                    exc.message,
                    line=rule.line,
                    rule_id=rule.id,
                    hint="the condition is too complex for the engine: split the rule",
                )
            )
    return found or [error("engine-rejected", "the engine refused the rule set", hint="split large rules")]


def _located(diagnostic: Diagnostic, file: str) -> Diagnostic:
    return dataclasses.replace(diagnostic, file=file)
