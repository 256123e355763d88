"""Canonical keys: orders a rule set cannot tell apart share one key, so the engine's answer for one of
them is the answer for all (rules.engine's memo).

Why it is exact: a rule set only ever compares a fact with the constants its rules name. Per fact path the
key keeps just what those comparisons can see:

- a fact compared by order (greater than, at most, between...): where its value falls among the sorted
  constants, and whether it equals one (`2 * bisect_left + equal`); equality tests alone: which constant
  it equals, or none (-1);
- each contains / starts_with on a text fact: whether it holds;
- a text list (tags, segments): whether it is empty, and which of the constants it contains;
- an unknown fact: None (so three-valued logic and the missing facts are unchanged);
- the lines: the *set* of their keys over the line facts (any_line, all_lines and no_line depend on
  nothing else), empty without lines.

Every comparison of every rule is then a function of the key (Kleene logic combines them), so two orders
with one key match the same rules (the reference interpreter's semantics, which durable_rules is held to
by the differential tests) and lack the same facts. tests/rules/test_canonical.py checks memoised ==
direct engine == reference, and that a key that drops a distinction is caught.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rules.compile import TEXT_TESTS
from rules.facts import LINE_FACTS, FactSpec, FactType, OrderFacts, fact_spec
from rules.model import Compare, Op, RuleSet, comparisons

KeyFunction = Callable[[OrderFacts], Hashable]
ORDERED = frozenset({Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN})
EQUALITY = frozenset({Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN})


@dataclass
class FactUse:
    """What the rules compare one fact path with."""

    path: str
    listed: bool = False
    """A text list: compared by contains (membership)."""
    ordered: set[Any] = field(default_factory=set)
    equal: set[Any] = field(default_factory=set)
    patterns: dict[tuple[Op, str], None] = field(default_factory=dict)
    """contains / starts_with on a text fact, in first-seen order."""

    def add(self, c: Compare, spec: FactSpec | None) -> None:
        operand = c.value
        if spec is not None and spec.type is FactType.TEXT_LIST:
            self.listed = True
            if c.op is Op.CONTAINS:
                self.equal.add(operand)
        elif c.op in TEXT_TESTS and isinstance(operand, str):
            self.patterns[(c.op, operand)] = None
        elif c.op in ORDERED:
            self.ordered.update(operand if isinstance(operand, tuple) else (operand,))
        elif c.op in EQUALITY:
            self.equal.update(operand if isinstance(operand, tuple) else (operand,))


@dataclass(frozen=True, slots=True)
class CanonicalPlan:
    facts: tuple[FactUse, ...]
    """Order-level fact paths the rules read, in first-seen order."""
    line_facts: tuple[FactUse, ...]

    @staticmethod
    def of(rule_set: RuleSet) -> CanonicalPlan:
        order: dict[str, FactUse] = {}
        lines: dict[str, FactUse] = {}

        for condition, in_lines in comparisons(rule_set):
            uses = lines if in_lines else order
            spec = LINE_FACTS.get(condition.fact) if in_lines else fact_spec(condition.fact)
            uses.setdefault(condition.fact, FactUse(condition.fact)).add(condition, spec)
        return CanonicalPlan(tuple(order.values()), tuple(lines.values()))

    def key_function(self) -> KeyFunction:
        """The key, generated as straight-line code for this rule set (it runs for every order)."""
        namespace: dict[str, Any] = {"EMPTY": _EMPTY, **KEY_NAMES}
        code = ["def key(facts):", "    get = facts.get"]
        parts = []
        for number, use in enumerate(self.facts):
            head, _, tail = use.path.partition(".")
            read = f"(get({head!r}) or EMPTY).get({tail!r})" if tail else f"get({head!r})"
            code.append(f"    v = {read}")
            parts += classify(use, f"f{number}", "v", namespace, code, "    ")
        if self.line_facts:
            line_code = ["def line_key(line):"]
            line_parts: list[str] = []
            for number, use in enumerate(self.line_facts):
                line_code.append(f"    v = line.get({use.path!r})")
                line_parts += classify(use, f"l{number}", "v", namespace, line_code, "    ")
            line_code.append(f"    return ({''.join(p + ', ' for p in line_parts)})")
            exec(compile("\n".join(line_code), "<canonical line key>", "exec"), line_names := dict(namespace))
            namespace["line_key"] = line_names.pop("line_key")  # (no cycle: see below)
            parts.append("frozenset(map(line_key, get('lines') or ()))")
        code.append(f"    return ({''.join(p + ', ' for p in parts)})")
        exec(compile("\n".join(code), "<canonical key>", "exec"), namespace)  # our own code
        # Taken out of its own globals, so no reference cycle keeps a retired version's key alive until
        # the collector's next full pass (a server collects rarely: service.api.process).
        built: KeyFunction = namespace.pop("key")
        return built


def classify(use: FactUse, name: str, value: str, namespace: dict[str, Any], code: list[str], indent: str) -> list[str]:
    """Appends the statements that classify `value` (the name of a variable holding the fact's value as
    the facts document has it, None when unknown) for `use`; returns the names of the key's parts. The
    API's order reader (service.api.order_keys) calls it too, so both keys are one code."""
    if use.listed:
        namespace[f"{name}_C"] = frozenset(use.equal)
        code.append(f"{indent}{name} = (True, {name}_C.intersection({value})) if {value} else NO_LIST")
        return [name]
    if use.ordered:
        constants = sorted(use.ordered | use.equal)
        namespace[f"{name}_T"], namespace[f"{name}_S"] = constants, frozenset(constants)
        cls = f"2 * bisect_left({name}_T, {value}) + ({value} in {name}_S)"
    elif use.equal:
        namespace[f"{name}_E"] = {constant: i for i, constant in enumerate(use.equal)}
        cls = f"{name}_E.get({value}, -1)"
    else:
        cls = "0"  # only whether it is known
    code.append(f"{indent}{name} = None if {value} is None else {cls}")
    parts = [name]
    for number, (op, operand) in enumerate(use.patterns):
        namespace[f"{name}_P{number}"] = operand
        test = f"{name}_P{number} in {value}" if op is Op.CONTAINS else f"{value}.startswith({name}_P{number})"
        code.append(f"{indent}{name}_{number} = None if {value} is None else {test}")
        parts.append(f"{name}_{number}")
    return parts


_EMPTY: Mapping[str, Any] = {}
KEY_NAMES: Mapping[str, Any] = {"NO_LIST": (False, frozenset()), "bisect_left": bisect_left}
"""What the classifying statements refer to: put them in the namespace they run in."""
