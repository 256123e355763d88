"""The child process of the engine fuzzer: checks a case's rule set and holds the engine against the reference.

It runs what publishing and routing run: rules.check (parse, validate,
analyse, compile, the rule set's tests), CompiledRuleSet, check_order, then
evaluate_many (RouteBatch's one engine call) on all the orders, then match
and evaluate on each alone, each compared with rules.reference. Before each step it tells the
parent which step it is in, so a crash or hang is reported with its step.

PLANTS are known defects (each one a fix of issue 12 taken back) that the
fuzzer's own tests install to prove it finds what it exists to find.
"""

from __future__ import annotations

import math
import resource
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from types import ModuleType
from typing import Any

import rules
from rules import CompiledRuleSet, EngineRejected, InvalidOrder, check_order, reference


@dataclass(slots=True)
class Verdict:
    """What one case came to: `problem` is empty when the engine and the reference agree everywhere."""

    valid: bool = False
    refusals: tuple[str, ...] = ()
    """Diagnostic codes of a rule set validation refused."""
    orders: int = 0
    refused_orders: int = 0
    problem: str = ""
    kind: str = ""
    """mismatch, inconsistent (validation passed, then the engine refused), engine-rejected (validation
    refused only because the engine did, naming no limit) or error (an exception)."""
    orders_involved: list[int] = field(default_factory=list)


def run_case(source: str, orders: list[Any], step: Callable[[str], None]) -> Verdict:
    step("check")
    checked = rules.check(source, "fuzz.yaml")
    if not checked.valid or checked.rule_set is None:
        verdict = Verdict(refusals=tuple(sorted({d.code for d in checked.errors} or {"test-failed"})))
        unexplained = [d for d in checked.errors if d.code == "engine-rejected"]
        if unexplained:  # a limit validation does not know: it must name it before the engine refuses
            verdict.kind, verdict.problem = "engine-rejected", unexplained[0].render()
        return verdict
    verdict = Verdict(valid=True)
    step("compile")
    try:
        compiled = CompiledRuleSet(checked.rule_set)
    except EngineRejected as exc:
        verdict.kind, verdict.problem = "inconsistent", f"validation accepted a rule set the engine refused: {exc}"
        return verdict
    try:
        _compare(compiled, orders, verdict, step)
    except Exception as exc:  # noqa: BLE001 - any exception on a checked order is a finding
        verdict.kind, verdict.problem = "error", f"{type(exc).__name__}: {exc}"
    finally:
        step("close")
        compiled.close()
    return verdict


def _compare(compiled: CompiledRuleSet, orders: list[Any], verdict: Verdict, step: Callable[[str], None]) -> None:
    """The batch first (RouteBatch's one engine call), then each order alone, each against the reference."""
    rule_set = compiled.rule_set
    checked: list[tuple[int, dict[str, Any]]] = []
    for number, order in enumerate(orders):
        try:
            checked.append((number, check_order(order)))
        except InvalidOrder:
            verdict.refused_orders += 1
    verdict.orders = len(checked)
    wanted = {number: [r.id for r in reference.matched_rules(rule_set, facts)] for number, facts in checked}
    if len(checked) > 1:
        step("batch")
        verdict.orders_involved = [number for number, _ in checked]
        batch = compiled.evaluate_many([facts for _, facts in checked])
        for (number, _), decision in zip(checked, batch, strict=True):
            if list(decision.matched_rules) != wanted[number]:
                verdict.kind = "mismatch"
                verdict.problem = (
                    f"order {number} in a batch of {len(checked)}: the reference matches {wanted[number]}, "
                    f"the engine {list(decision.matched_rules)}"
                )
                return
    for number, facts in checked:
        step(f"order {number}")
        verdict.orders_involved = [number]
        want = wanted[number]
        got = [r.id for r in compiled.match(facts)]
        decided = list(compiled.evaluate(facts).matched_rules)
        if got != want or decided != want:
            verdict.kind = "mismatch"
            verdict.problem = f"order {number}: the reference matches {want}, the engine {got} (decision {decided})"
            return
    verdict.orders_involved = []


def serve(connection: Connection, memory_bytes: int, plant: str) -> None:
    """Answers (source, orders) with a Verdict until the connection closes; step names go first."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if plant:
        PLANTS[plant]()
    connection.send("ready")
    while True:
        try:
            source, orders = connection.recv()
        except EOFError:
            return
        try:
            verdict = run_case(source, orders, lambda name: connection.send(("step", name)))
        except MemoryError:
            verdict = Verdict(kind="memory", problem="the case needed more memory than the fuzzer allows")
        except Exception as exc:  # noqa: BLE001 - a defect while checking: reported as a finding
            verdict = Verdict(kind="error", problem=f"{type(exc).__name__}: {exc}")
        connection.send(("verdict", verdict))


def _replace(module: ModuleType, **names: Any) -> None:
    """Rebinds module globals in this child only (each plant runs before any case)."""
    for name, value in names.items():
        assert hasattr(module, name), f"{module.__name__} has no {name}: the plant is out of date"
        setattr(module, name, value)


def _same(value: Any) -> Any:
    return value


def _raw_floats() -> None:
    """Floats go to the engine as orjson writes them (1e-07): the crash and errors of issue 12, item 1."""
    import rules.engine

    _replace(rules.engine, engine_float=_same, _engine_float_of=_same, engine_values=_same)


def _rounded_floats() -> None:
    """Floats reach the engine with 6 significant digits, constants and facts alike: a precision loss
    that changes comparisons of values close to each other."""
    import rules._engine_json
    import rules.engine

    def rounded(value: Any) -> Any:
        return float(f"{value:.6g}") if isinstance(value, float) and math.isfinite(value) else value

    _replace(rules._engine_json, engine_float=rounded)
    _replace(rules.engine, engine_float=rounded, _engine_float_of=rounded)
    # the readable document builder, which writes every float through engine_float
    _replace(rules.engine.DocumentPlan, builder=lambda plan: plan.document)  # type: ignore[arg-type]


def _one_ruleset() -> None:
    """The whole rule set in one durable_rules ruleset, as before sharding: it hangs past 511 comparisons."""
    import rules.compile
    import rules.engine

    _replace(rules.engine, to_durable_shards=lambda rule_set, capacity=0: [rules.compile.to_durable(rule_set)])


def _wide_documents() -> None:
    """No limit on the distinct text tests a rule set reads: an engine document object of 255 fields or
    more crashes durable_rules (segmentation fault)."""
    import rules.compile

    _replace(rules.compile, MAX_DOCUMENT_FIELDS=1_000_000)


PLANTS: dict[str, Callable[[], None]] = {
    "raw-floats": _raw_floats,
    "rounded-floats": _rounded_floats,
    "one-ruleset": _one_ruleset,
    "wide-documents": _wide_documents,
}
