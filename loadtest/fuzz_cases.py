"""Random rule set sources and nasty orders for the engine fuzzer (loadtest.engine_fuzz).

Each case is a pure function of (seed, index), so a case can always be made
again from its two numbers. A rule set reads any order or line fact with any
operator the language has, nested in all / any / not and line scopes; most are
small, some have hundreds of rules or `in` lists near the limits (so the
engine's rulesets are split and the validation limits are met). Orders are
built around the rule set's own constants: the value itself, its neighbours
(the next float either way, the integer on each side), magnitudes from 1e-12
to 1e15 and the int64 edges, text from a two- or three-letter alphabet with
repeats and overlapping patterns, JSON metacharacters, facts missing, lines
empty, partial or a thousand of them. Some values are outside a fact's type or
range on purpose: such an order must be refused (InvalidOrder), never routed.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from typing import Any

from rules.facts import LINE_FACTS, MAX_LINES, MAX_TEXT, ORDER_FACTS, FactSpec, FactType
from rules.model import Op

DEFAULT = "default: {then: {path: STANDARD, risk_review: STANDARD, credit_review: STANDARD, warehouse: DC}}\n"
ATTRIBUTES = ("k", "gift_wrap", "X-1")
ALPHABETS = ("01", "ab", "aab", "é中", '"\\{}:#,$', "a. %*[-")
"""Small alphabets make overlapping patterns ("000" in "0000") and near-misses common."""
INT64 = (-(2**63), 2**63 - 1)
MAGNITUDES = (0, 1, 2, 10, 999, 10**6, 10**9, 10**12, 10**15 - 1, 10**15, 10**15 + 1, 2**53, 2**53 + 1, *INT64)
SHARES = (0.0, 5e-324, 1e-12, 1e-9, 1e-7, 1e-5, 1e-4, 0.001, 0.1, 0.25, 0.5, 0.8, 0.1 + 0.2, 0.9999999999999999, 1.0)
OPS_FOR: dict[FactType, tuple[Op, ...]] = {
    FactType.TEXT: (Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN, Op.CONTAINS, Op.STARTS_WITH, Op.EXISTS, Op.NOT_EXISTS),
    FactType.INTEGER: (Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN, Op.EXISTS),
    FactType.NUMBER: (Op.EQUALS, Op.NOT_EQUALS, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN, Op.EXISTS, Op.NOT_EXISTS),
    FactType.BOOLEAN: (Op.EQUALS, Op.NOT_EQUALS, Op.EXISTS, Op.NOT_EXISTS),
    FactType.ENUM: (Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN, Op.EXISTS, Op.NOT_EXISTS),
    FactType.TEXT_LIST: (Op.CONTAINS,),
}
SCOPES = ("any_line", "all_lines", "no_line")
SIZES = {"small": (1, 8), "medium": (20, 120), "large": (300, 700), "text": (150, 300)}
"""Rules per rule set. A "text" rule set is a large one of contains / starts_with tests only: on either
side of the limit of distinct text tests one rule set may read (rules.compile.MAX_DOCUMENT_FIELDS)."""
TEXT_FACTS = tuple(name for name, spec in sorted(ORDER_FACTS.items()) if spec.type is FactType.TEXT)


@dataclass(frozen=True, slots=True)
class Case:
    seed: int
    index: int
    source: str
    orders: list[dict[str, Any]]
    size: str

    def orders_json(self) -> str:
        return json.dumps(self.orders, ensure_ascii=False, indent=1)


def make_case(seed: int, index: int, large_percent: float = 5.0) -> Case:
    """The case `index` of the run `seed` (the same two numbers always give the same case)."""
    rng = random.Random(f"{seed}:{index}")
    roll = rng.random() * 100
    size = "large" if roll < large_percent else "medium" if roll < large_percent + 15 else "small"
    if size == "large" and rng.random() < 0.3:
        size = "text"
    maker = _Maker(rng, strict=size != "small")
    low, high = SIZES[size]
    make_rule = maker.text_rule if size == "text" else maker.rule
    rules = [make_rule(i, size == "large") for i in range(rng.randint(low, high))]
    source = "name: fuzz\nrules:\n" + "".join(rules) + DEFAULT
    orders = [maker.order() for _ in range(rng.randint(1, 30 if size == "small" else 8))]
    return Case(seed, index, source, orders, size)


class _Maker:
    """Draws conditions, remembering each fact's constants so that orders can be built around them.

    A strict maker draws only rules validation accepts (one refused rule refuses a whole rule set, and
    the larger sets are there for the engine); the others also draw constants out of a fact's range
    and line scopes the engine cannot express, which validation must refuse.
    """

    def __init__(self, rng: random.Random, strict: bool) -> None:
        self.rng = rng
        self.strict = strict
        self.alphabet = rng.choice(ALPHABETS)
        self.constants: dict[str, list[Any]] = {}
        self.hostile = False

    # Rule sets

    def rule(self, index: int, simple: bool) -> str:
        when = self.comparison(self.order_fact()) if simple else self.condition(depth=0, in_lines=False)
        priority = self.rng.choice((index + 1, index + 1, 5, 10))  # ties too: outputs combine by priority
        return f"  - id: r{index}\n    priority: {priority}\n    when: {_flow(when)}\n    then: {{tags: [t{index}]}}\n"

    def text_rule(self, index: int, _simple: bool = True) -> str:
        fact = self.rng.choice(TEXT_FACTS)
        op = self.rng.choice((Op.CONTAINS, Op.STARTS_WITH))
        pattern = self.text(self.rng.randint(1, 3)) + str(index)  # distinct: one text test per rule
        self.constants.setdefault(fact, []).append(pattern)
        when = {fact: {op.value: pattern}}
        return f"  - id: r{index}\n    priority: {index + 1}\n    when: {_flow(when)}\n    then: {{tags: [t{index}]}}\n"

    def condition(self, depth: int, in_lines: bool) -> dict[str, Any]:
        roll = self.rng.random()
        if depth >= 3 or roll < 0.55:
            return self.comparison(self.line_fact() if in_lines else self.order_fact(), in_lines)
        if roll < 0.85:
            group = self.rng.choice(("all", "any"))
            return {group: [self.condition(depth + 1, in_lines) for _ in range(self.rng.randint(1, 4))]}
        if roll < 0.93 or in_lines:
            return {"not": self.condition(depth + 1, in_lines)}
        scope = self.rng.choice(SCOPES)
        if self.strict and scope != "any_line":  # alternatives over several line facts: not expressible
            return {scope: self.comparison(self.line_fact(), in_lines=True)}
        return {scope: self.condition(depth + 1, in_lines=True)}

    def order_fact(self) -> tuple[str, FactSpec]:
        if self.rng.random() < 0.1:
            key = self.rng.choice(ATTRIBUTES)
            return f"attributes.{key}", FactSpec(f"attributes.{key}", FactType.TEXT, "")
        name = self.rng.choice(sorted(ORDER_FACTS))
        return name, ORDER_FACTS[name]

    def line_fact(self) -> tuple[str, FactSpec]:
        name = self.rng.choice(sorted(LINE_FACTS))
        return name, LINE_FACTS[name]

    def comparison(self, fact: tuple[str, FactSpec], in_lines: bool = False) -> dict[str, Any]:
        path, spec = fact
        op = self.rng.choice(OPS_FOR[spec.type])
        if op is Op.NOT_EXISTS and in_lines:
            op = Op.EXISTS
        key = f"lines.{path}" if in_lines else path
        value: Any
        if op in (Op.EXISTS, Op.NOT_EXISTS):
            value = True
        elif op in (Op.IN, Op.NOT_IN):
            roll = self.rng.random()  # now and then a list near the engine's limit, or just over it
            count = (
                self.rng.choice((1, 2, 3, 5)) if roll < 0.98 else self.rng.randint(100, 400 if roll < 0.997 else 450)
            )
            drawn = (self.value(spec, self.strict) for _ in range(count))
            value = sorted({_key(v): v for v in drawn}.values(), key=_key)
        elif op is Op.BETWEEN:
            value = sorted((self.value(spec, self.strict), self.value(spec, self.strict)))
        else:
            value = self.value(spec, self.strict)
        for each in value if isinstance(value, list) else [value]:
            if not isinstance(each, bool) or spec.type is FactType.BOOLEAN:
                self.constants.setdefault(key, []).append(each)
        return {path: {op.value: value}}

    def value(self, spec: FactSpec, in_range: bool = False) -> Any:
        rng = self.rng
        match spec.type:
            case FactType.TEXT | FactType.TEXT_LIST:
                return self.text(rng.randint(1, 4))
            case FactType.BOOLEAN:
                return rng.random() < 0.5
            case FactType.ENUM:
                return rng.choice(spec.values)
            case FactType.INTEGER:
                value = rng.choice(MAGNITUDES) if rng.random() < 0.6 else rng.randint(0, 10 ** rng.randint(1, 15))
                if spec.minimum is None:
                    return value if rng.random() < 0.7 or value == INT64[0] else -value
                return max(value, spec.minimum) if in_range or rng.random() < 0.98 else -1  # refused
            case FactType.NUMBER:
                return rng.choice(SHARES) if rng.random() < 0.6 else round(rng.random(), rng.randint(1, 17))
        raise ValueError(spec.type)

    def text(self, length: int) -> str:
        return "".join(self.rng.choice(self.alphabet) for _ in range(length))

    # Orders

    def order(self) -> dict[str, Any]:
        self.hostile = self.rng.random() < 0.1  # values of the wrong type or out of range: refused
        doc: dict[str, Any] = {"order_id": self.text_near("order_id")}
        for name, spec in ORDER_FACTS.items():
            if name == "order_id" or self.rng.random() < 0.35:
                continue  # missing facts are common
            head, _, tail = name.partition(".")
            value = self.fact_value(name, spec)
            if tail:
                doc.setdefault(head, {})[tail] = value
            else:
                doc[name] = value
        attributes = {k: self.text_near(f"attributes.{k}") for k in ATTRIBUTES if self.rng.random() < 0.5}
        if attributes:
            doc["attributes"] = attributes
        count = self.rng.choice((0, 0, 1, 2, 3, 5)) if self.rng.random() < 0.97 else self.rng.randint(100, MAX_LINES)
        lines = [self.line() for _ in range(count)]
        if lines or self.rng.random() < 0.2:
            doc["lines"] = lines
        return doc

    def line(self) -> dict[str, Any]:
        return {
            name: self.fact_value(f"lines.{name}", spec) for name, spec in LINE_FACTS.items() if self.rng.random() < 0.7
        }

    def fact_value(self, key: str, spec: FactSpec) -> Any:
        rng = self.rng
        if spec.type is FactType.TEXT_LIST:
            return [self.text_near(key) for _ in range(rng.choice((0, 1, 2, 4)))]
        if spec.type is FactType.TEXT:
            return self.text_near(key)
        if self.hostile and rng.random() < 0.1:
            return rng.choice(("1", 1.5, True, [1], float("nan"), float("inf"), 2**63, -(2**63) - 1))
        near = self.constants.get(key)
        if near and rng.random() < 0.7:
            value = _neighbour(rng, rng.choice(near), spec)
            return value if self.hostile else _clamped(value, spec)
        return self.value(spec, in_range=not self.hostile)

    def text_near(self, key: str) -> str:
        """Text around the rule set's constants for `key`: equal, extended, overlapping, cut or repeated."""
        rng = self.rng
        near = [c for c in self.constants.get(key, []) if isinstance(c, str)]
        if not near or rng.random() < 0.25:
            return self.text(rng.randint(1, 6)) if rng.random() < 0.98 else self.text(MAX_TEXT)
        pattern = rng.choice(near)
        pick = rng.randrange(7)
        if pick == 0:
            return pattern
        if pick == 1:
            return self.text(rng.randint(0, 2)) + pattern + self.text(rng.randint(0, 2))
        if pick == 2:
            return pattern[: rng.randint(1, len(pattern))] + pattern  # overlaps itself: "00" + "000"
        if pick == 3:
            return pattern * rng.randint(2, 4)
        if pick == 4:
            return pattern[:-1] or pattern
        if pick == 5:
            return pattern.upper() if pattern.upper() != pattern else pattern + "\u0301"
        return (pattern + self.text(3))[:MAX_TEXT]


def _neighbour(rng: random.Random, constant: Any, spec: FactSpec) -> Any:
    """The constant, or a value just beside it (what a `>=` against `>` mix-up or a rounding would miss)."""
    if isinstance(constant, bool) or spec.type is FactType.ENUM:
        return constant
    if spec.type is FactType.NUMBER:
        step = rng.choice((0, -1, 1, 0))
        value = float(constant)
        if step:
            value = math.nextafter(value, math.inf * step)
        return value if rng.random() < 0.9 else int(constant) if float(constant).is_integer() else value
    if isinstance(constant, int):
        return constant + rng.choice((0, -1, 1, 0))
    return constant


def _clamped(value: Any, spec: FactSpec) -> Any:
    """`value` moved into the fact's range (a neighbour of a limit can fall outside it)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    low = spec.minimum if spec.minimum is not None else INT64[0]
    high = spec.maximum if spec.maximum is not None else INT64[1]
    return min(max(value, low), high)


def _key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


def _flow(value: Any) -> str:
    """`value` as YAML flow text the rule parser reads exactly as written."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)  # YAML 1.1 reads an exponent without a point as text
        return text.replace("e", ".0e") if "e" in text and "." not in text else text
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
