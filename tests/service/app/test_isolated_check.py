"""Rule set checks in a child process: the same answers as in process, and a check that hangs or
crashes costs a refused source and a new child, never the caller."""

from __future__ import annotations

import threading
import time

import pytest

import rules
from service.app.isolated_check import IsolatedChecker
from service.errors import InvalidArgument
from tests.conftest import EXAMPLES

EXAMPLE = (EXAMPLES / "fulfilment.yaml").read_text()
DEFAULT = "default: {then: {path: STANDARD, risk_review: STANDARD, credit_review: STANDARD, warehouse: DC}}\n"
LARGE = (
    "name: large\nrules:\n"
    + "".join(
        f"  - id: r{i}\n    priority: {i + 1}\n"
        f"    when: {{total_minor: {{at_least: {i}}}}}\n    then: {{tags: [t{i}]}}\n"
        for i in range(1000)
    )
    + DEFAULT
)


@pytest.fixture
def checker():
    isolated = IsolatedChecker()
    yield isolated
    isolated.close()


def test_a_check_in_the_child_answers_as_in_process(checker: IsolatedChecker) -> None:
    isolated, local = checker(EXAMPLE, "fulfilment.yaml"), rules.check(EXAMPLE, "fulfilment.yaml")
    assert isolated.valid and (isolated.content_hash, isolated.tests) == (local.content_hash, local.tests)
    assert isolated.rule_set == local.rule_set
    broken = checker("name: x\nrules: []\n", "broken.yaml")
    assert not broken.valid and broken.diagnostics == rules.check("name: x\nrules: []\n", "broken.yaml").diagnostics


def test_a_check_over_its_time_is_refused_and_the_next_one_gets_a_new_child() -> None:
    hurried = IsolatedChecker(timeout=0.05)
    try:
        hurried("name: warm\n" + DEFAULT, "warm.yaml")  # the child is up (its start is not timed)
        with pytest.raises(InvalidArgument) as refused:
            hurried(LARGE, "large.yaml")
        assert refused.value.field == "source" and "took longer than" in refused.value.message
    finally:
        hurried.close()
    patient = IsolatedChecker()
    try:
        assert patient(LARGE, "large.yaml").valid, "the same source, given time, is fine"
    finally:
        patient.close()


def test_a_child_that_dies_mid_check_is_a_clear_refusal_and_is_replaced(checker: IsolatedChecker) -> None:
    checker(EXAMPLE, "warm.yaml")
    child = checker._child
    assert child is not None
    outcome: list[object] = []
    thread = threading.Thread(target=lambda: outcome.append(_attempt(checker, LARGE)))
    thread.start()
    time.sleep(0.01)  # the source is on its way; whether it is read yet does not matter
    child.kill()  # what a segmentation fault in the engine does to the child
    thread.join(30)
    (result,) = outcome
    if isinstance(result, InvalidArgument):
        assert "crashed the rule engine" in result.message
    else:  # the check finished before the kill landed
        assert isinstance(result, rules.CheckResult)
    assert checker(EXAMPLE, "after.yaml").valid, "a new child took over"
    assert checker._child is not child


def _attempt(checker: IsolatedChecker, source: str) -> object:
    try:
        return checker(source, "large.yaml")
    except InvalidArgument as exc:
        return exc


def test_a_defect_in_the_checker_is_reported_as_one_and_the_child_stays(checker: IsolatedChecker) -> None:
    checker(EXAMPLE, "warm.yaml")
    child = checker._child
    with pytest.raises(RuntimeError, match=r"rules\.check failed"):
        checker(None, "none.yaml")  # type: ignore[arg-type]  # no caller sends this; it makes check raise
    assert checker(EXAMPLE, "after.yaml").valid and checker._child is child


def test_a_child_is_replaced_once_it_answered_its_share_of_checks() -> None:
    # What the engine leaks in the child (a ruleset it refuses to create is never freed) stays bounded.
    checker = IsolatedChecker(recycle_checks=2)
    try:
        assert checker(EXAMPLE, "1.yaml").valid
        first = checker._child
        assert first is not None and checker.recycled == 0
        assert checker(EXAMPLE, "2.yaml").valid  # its second check: it ends after answering
        assert checker._child is None and checker.recycled == 1 and first.exitcode is not None
        assert checker(EXAMPLE, "3.yaml").valid and checker._child is not first
    finally:
        checker.close()


def test_a_child_holding_more_than_its_limit_is_replaced() -> None:
    checker = IsolatedChecker(recycle_rss_bytes=1)  # any child holds more than one byte
    try:
        assert checker(EXAMPLE, "1.yaml").valid
        assert checker._child is None and checker.recycled == 1
        assert checker(EXAMPLE, "2.yaml").valid and checker.recycled == 2
    finally:
        checker.close()
