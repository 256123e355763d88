"""Runs a rule set's own test cases against its compiled form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.combine import Decision
from rules.engine import CompiledRuleSet
from rules.model import SET_FIELDS, TestCase

_UNORDERED = frozenset(SET_FIELDS) | {"missing_facts"}


@dataclass(frozen=True, slots=True)
class TestResult:
    name: str
    passed: bool
    failures: tuple[str, ...] = ()
    line: int = 0


def run_tests(compiled: CompiledRuleSet, tests: Sequence[TestCase]) -> list[TestResult]:
    results = []
    for case in tests:
        decision = compiled.evaluate(case.order)
        failures = tuple(_differences(case, decision))
        results.append(TestResult(case.name, not failures, failures, case.line))
    return results


def _differences(case: TestCase, decision: Decision) -> list[str]:
    out = []
    for name, want in case.expect.items():
        got = getattr(decision, name)
        if name in _UNORDERED or name == "matched_rules":
            want_items = [want] if isinstance(want, str) else list(want or [])
            same = set(want_items) == set(got) if name in _UNORDERED else want_items == list(got)
            if not same:
                out.append(f"{name}: want {want_items}, got {list(got)}")
        elif (str(got) if isinstance(want, str) else got) != want:
            out.append(f"{name}: want {want!r}, got {got!r}")
    return out
