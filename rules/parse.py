"""Rule set source (YAML) -> RuleSet, reporting every mistake at once."""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rules import facts as F
from rules._errors import InvalidOrder
from rules._yaml import LinedList, LinedMap, YamlError, line_of, load_yaml
from rules.diagnostics import Diagnostic, error
from rules.model import (
    CREDIT_REVIEWS,
    OP_ALIASES,
    OUTPUT_FIELDS,
    PRIORITY,
    REQUIRED_DEFAULT_FIELDS,
    THEN,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    LineScope,
    Not,
    Op,
    Outputs,
    Review,
    Rule,
    RuleSet,
    Scope,
    TestCase,
)

MAX_SOURCE_BYTES = 1_000_000
MAX_RULES = 1_000
MAX_DEPTH = 12
MAX_LIST_VALUES = 1_000

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")

TOP_KEYS = ("name", "description", "rules", "default", "tests")
RULE_KEYS = ("id", "priority", "description", "when", "then")
DEFAULT_KEYS = ("id", "description", "then")
TEST_KEYS = ("name", "order", "expect")
EXPECT_EXTRA = ("matched_rules", "default_rule_used", "warehouse_node", "missing_facts")
GROUPS = ("all", "any", "not")
NUMERIC = (F.FactType.INTEGER, F.FactType.NUMBER)


_EXPONENT_WITHOUT_POINT = re.compile(r"[-+]?\d+[eE][-+]?\d+")
"""A number as YAML 1.1 does not read it: an exponent without a decimal point (1e-6 is text there)."""


class _Context:
    def __init__(self, file: str) -> None:
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self.rule_id = ""
        self.field = ""
        """The cell being read (Diagnostic.field)."""

    def error(self, code: str, message: str, line: int, hint: str = "") -> None:
        d = error(code, message, line=line, rule_id=self.rule_id, hint=hint)
        d = dataclasses.replace(d, file=self.file, field=self.field)
        if d not in self.diagnostics:  # e.g. two branches too deep on one line: said once
            self.diagnostics.append(d)


def parse_rule_set(source: str, file: str = "<source>") -> tuple[RuleSet | None, list[Diagnostic]]:
    """Parses and checks a rule set. Returns (rule set or None, diagnostics).

    The rule set is None exactly when a diagnostic is an error.
    """
    ctx = _Context(file)
    if len(source.encode()) > MAX_SOURCE_BYTES:
        ctx.error("too-large", f"rule set is larger than {MAX_SOURCE_BYTES} bytes", 0)
        return None, ctx.diagnostics
    try:
        doc = load_yaml(source)
    except YamlError as exc:
        ctx.error("yaml", exc.message, exc.line, "check indentation and quoting around that line")
        return None, ctx.diagnostics
    if not isinstance(doc, LinedMap):
        ctx.error("shape", "a rule set is a mapping with name, rules, default and tests", line_of(doc, 1))
        return None, ctx.diagnostics
    _unknown_keys(ctx, doc, TOP_KEYS, "rule set")
    name = doc.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        ctx.error(
            "name",
            f"rule set name {name!r} is missing or not allowed",
            doc.key_lines.get("name", doc.line),
            "use lower-case letters, digits, '-' and '_', e.g. name: fulfilment",
        )
    rules = _parse_rules(ctx, doc)
    default = _parse_default(ctx, doc)
    tests = _parse_tests(ctx, doc)
    description = _text(ctx, doc, "description", "")
    if ctx.diagnostics or default is None or not isinstance(name, str):
        return None, ctx.diagnostics
    ordered = tuple(sorted(rules, key=lambda r: r.priority))  # stable: file order breaks ties
    rule_set = RuleSet(
        name=name,
        rules=ordered,
        default=default,
        tests=tuple(tests),
        description=description,
        file=file,
        rule_lines={r.id: r.line for r in (*rules, default)},
    )
    return rule_set, ctx.diagnostics


def _unknown_keys(ctx: _Context, node: LinedMap, allowed: Sequence[str], what: str) -> None:
    for key in node:
        if key not in allowed:
            ctx.error("unknown-key", f"unknown key {key!r} in {what}", node.key_lines[key], _did_you_mean(key, allowed))


def _text(ctx: _Context, node: LinedMap, key: str, default: str) -> str:
    """A free-text field (description, test name): text only, so a list or a number is not silently
    turned into its Python spelling."""
    value = node.get(key)
    if value is None:  # absent, or the key written with nothing after it
        return default
    if isinstance(value, str):
        return value
    ctx.error(
        "not-text",
        f"{key} must be text, not {_kind(value)}",
        node.key_lines.get(key, node.line),
        'put the text in quotes, e.g. description: "12 hour cut-off"',
    )
    return default


def _kind(value: object) -> str:
    if isinstance(value, LinedMap):
        return "a mapping"
    if isinstance(value, LinedList):
        return "a list"
    return f"the {type(value).__name__ if not isinstance(value, bool) else 'yes/no'} value {value!r}"


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return "allowed: " + ", ".join(options)


def _parse_rules(ctx: _Context, doc: LinedMap) -> list[Rule]:
    items = doc.get("rules", LinedList())
    if not isinstance(items, LinedList):
        ctx.error(
            "shape", "rules must be a list", doc.key_lines.get("rules", doc.line), "start each rule with '- id: ...'"
        )
        return []
    if len(items) > MAX_RULES:
        ctx.error("too-large", f"{len(items)} rules; at most {MAX_RULES}", items.line)
        return []
    seen: dict[str, int] = {}
    rules: list[Rule] = []
    for item, line in zip(items, items.item_lines, strict=True):
        ctx.rule_id = ""
        if not isinstance(item, LinedMap):
            ctx.error("shape", "each rule is a mapping with id, priority, when and then", line)
            continue
        rule = _parse_rule(ctx, item)
        if rule is None:
            continue
        if rule.id in seen:
            ctx.error("duplicate-id", f"rule id {rule.id!r} is already used on line {seen[rule.id]}", rule.line)
            continue
        seen[rule.id] = rule.line
        rules.append(rule)
    ctx.rule_id = ""
    return rules


def _parse_rule_id(ctx: _Context, node: LinedMap) -> str | None:
    rule_id = node.get("id")
    if not isinstance(rule_id, str) or not RULE_ID.fullmatch(rule_id):
        ctx.error(
            "rule-id",
            f"rule id {rule_id!r} is missing or not allowed",
            node.key_lines.get("id", node.line),
            "give every rule a unique id of letters, digits, '-', '_' or '.', e.g. id: plus-forward-warehouse",
        )
        return None
    ctx.rule_id = rule_id
    return rule_id


def _parse_rule(ctx: _Context, node: LinedMap) -> Rule | None:
    rule_id = _parse_rule_id(ctx, node)
    _unknown_keys(ctx, node, RULE_KEYS, "rule")
    priority = node.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 1_000_000:
        ctx.field = PRIORITY
        ctx.error(
            "priority",
            f"priority {priority!r} is missing or not a whole number from 0 to 1000000",
            node.key_lines.get("priority", node.line),
            "1 is the highest priority; higher numbers come later",
        )
        ctx.field = ""
        priority = None
    if "when" not in node:
        ctx.error("no-condition", "rule has no 'when'", node.line, "only the default rule may go without a condition")
        when = None
    else:
        when = _parse_condition(ctx, node["when"], node.key_lines["when"], scope=None, depth=0)
    then = _parse_outputs(ctx, node, required=())
    description = _text(ctx, node, "description", "")
    if rule_id is None or priority is None or when is None or then is None:
        return None
    return Rule(rule_id, priority, when, then, description, node.line)


def _parse_default(ctx: _Context, doc: LinedMap) -> Rule | None:
    node = doc.get("default")
    ctx.rule_id = ""
    if node is None:
        ctx.error(
            "no-default",
            "the rule set has no default rule",
            doc.line,
            "add 'default: {id: standard, then: {path: STANDARD, risk_review: STANDARD, credit_review: STANDARD, "
            "warehouse: DC}}' so every order gets a decision",
        )
        return None
    if not isinstance(node, LinedMap):
        ctx.error("shape", "default must be a mapping with id and then", doc.key_lines["default"])
        return None
    if "id" not in node:
        node["id"] = "default"
        node.key_lines["id"] = node.line
    rule_id = _parse_rule_id(ctx, node)
    _unknown_keys(ctx, node, DEFAULT_KEYS, "default rule")
    then = _parse_outputs(ctx, node, required=REQUIRED_DEFAULT_FIELDS)
    description = _text(ctx, node, "description", "")
    ctx.rule_id = ""
    if rule_id is None or then is None:
        return None
    return Rule(rule_id, 2**31, None, then, description, node.line)


# ---------------------------------------------------------------- conditions


def _parse_condition(ctx: _Context, node: object, line: int, scope: Scope | None, depth: int) -> Condition | None:
    line = line_of(node, line)
    if depth > MAX_DEPTH:
        ctx.error(
            "too-deep", f"conditions nest deeper than {MAX_DEPTH} levels", line, "split the rule into several rules"
        )
        return None
    if isinstance(node, LinedList):
        return _group(ctx, AllOf, node, scope, depth)
    if not isinstance(node, LinedMap) or not node:
        ctx.error(
            "condition",
            "a condition is a mapping such as 'customer.tier: {equals: PLUS}'",
            line,
            "combine conditions with all:, any: or not:",
        )
        return None
    parts = [_parse_condition_key(ctx, key, value, node.key_lines[key], scope, depth) for key, value in node.items()]
    if any(p is None for p in parts):
        return None
    done = [p for p in parts if p is not None]
    return done[0] if len(done) == 1 else AllOf(tuple(done))


def _parse_condition_key(
    ctx: _Context, key: str, value: object, key_line: int, scope: Scope | None, depth: int
) -> Condition | None:
    """One key of a condition mapping: a group (all, any, not), a line scope, or a fact's test."""
    if key in ("all", "any"):
        if not isinstance(value, LinedList) or not value:
            ctx.error("condition", f"{key}: needs a non-empty list of conditions", key_line)
            return None
        return _group(ctx, AllOf if key == "all" else AnyOf, value, scope, depth)
    if key == "not":
        inner = _parse_condition(ctx, value, key_line, scope, depth + 1)
        return None if inner is None else Not(inner)
    if key in Scope._value2member_map_:
        if scope is not None:
            ctx.error("scope", f"{key}: cannot be used inside {scope.value}:", key_line, "line scopes do not nest")
            return None
        inner = _parse_condition(ctx, value, key_line, Scope(key), depth + 1)
        return None if inner is None else LineScope(Scope(key), inner)
    return _parse_compare(ctx, key, value, key_line, scope)


def _group(
    ctx: _Context, kind: type[AllOf] | type[AnyOf], items: LinedList, scope: Scope | None, depth: int
) -> Condition | None:
    parsed = [
        _parse_condition(ctx, item, line, scope, depth + 1) for item, line in zip(items, items.item_lines, strict=True)
    ]
    if any(p is None for p in parsed):
        return None
    return kind(tuple(p for p in parsed if p is not None))


def _fact_spec(ctx: _Context, fact: str, scope: Scope | None, line: int) -> F.FactSpec | None:
    if scope is not None:
        spec = F.LINE_FACTS.get(fact)
        if spec is None:
            ctx.error("unknown-fact", f"unknown line fact {fact!r}", line, _did_you_mean(fact, list(F.LINE_FACTS)))
        return spec
    spec = F.fact_spec(fact)
    if spec is None:
        if fact in F.LINE_FACTS or fact.removeprefix("lines.") in F.LINE_FACTS:
            hint = f"line facts are read inside a scope: any_line: {{{fact.removeprefix('lines.')}: ...}}"
        elif fact.startswith("attributes."):
            hint = "attribute keys are letters, digits, '-' and '_'"
        else:
            hint = _did_you_mean(fact, list(F.ORDER_FACTS))
        ctx.error("unknown-fact", f"unknown fact {fact!r}", line, hint)
    return spec


def _parse_compare(ctx: _Context, fact: str, node: object, line: int, scope: Scope | None) -> Compare | None:
    ctx.field = fact if scope is None else ""  # a line's fact has no column of its own
    try:
        return _parse_test(ctx, fact, node, line, scope)
    finally:
        ctx.field = ""


def _parse_test(ctx: _Context, fact: str, node: object, line: int, scope: Scope | None) -> Compare | None:
    spec = _fact_spec(ctx, fact, scope, line)
    if not isinstance(node, Mapping) or len(node) != 1:
        ctx.error(
            "condition",
            f"{fact}: needs exactly one operator, e.g. {fact}: {{equals: ...}}",
            line,
            "operators: " + ", ".join(op.value for op in Op),
        )
        return None
    ((op_text, value),) = node.items()
    op = OP_ALIASES.get(str(op_text))
    if op is None:
        ctx.error(
            "unknown-operator", f"unknown operator {op_text!r}", line, _did_you_mean(str(op_text), list(OP_ALIASES))
        )
        return None
    if spec is None:
        return None
    checked = _check_operand(ctx, spec, op, value, line)
    if checked is _BAD:
        return None
    if op is Op.EXISTS and checked is False:
        return Compare(fact, Op.NOT_EXISTS, None, line)
    if op is Op.NOT_EXISTS and checked is False:
        return Compare(fact, Op.EXISTS, None, line)
    if op in (Op.EXISTS, Op.NOT_EXISTS):
        checked = None
    return Compare(fact, op, checked, line)


_BAD: Any = object()
_OPS_BY_TYPE: Mapping[F.FactType, tuple[Op, ...]] = {
    F.FactType.TEXT: (
        Op.EQUALS,
        Op.NOT_EQUALS,
        Op.IN,
        Op.NOT_IN,
        Op.CONTAINS,
        Op.STARTS_WITH,
        Op.EXISTS,
        Op.NOT_EXISTS,
    ),
    F.FactType.ENUM: (Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN, Op.EXISTS, Op.NOT_EXISTS),
    F.FactType.BOOLEAN: (Op.EQUALS, Op.NOT_EQUALS, Op.EXISTS, Op.NOT_EXISTS),
    F.FactType.INTEGER: (
        Op.EQUALS,
        Op.NOT_EQUALS,
        Op.IN,
        Op.NOT_IN,
        Op.GT,
        Op.GTE,
        Op.LT,
        Op.LTE,
        Op.BETWEEN,
        Op.EXISTS,
        Op.NOT_EXISTS,
    ),
    F.FactType.TEXT_LIST: (Op.CONTAINS,),
}


def operators_for(spec: F.FactSpec) -> tuple[Op, ...]:
    """The operators a fact of this type can be tested with (numbers take the integers')."""
    return _OPS_BY_TYPE.get(spec.type, _OPS_BY_TYPE[F.FactType.INTEGER])


def _check_operand(ctx: _Context, spec: F.FactSpec, op: Op, value: object, line: int) -> Any:
    allowed = operators_for(spec)
    if op not in allowed:
        ctx.error(
            "operator-type",
            f"{op.value} does not apply to {spec.name} ({spec.type.value})",
            line,
            "use one of: " + ", ".join(o.value for o in allowed),
        )
        return _BAD
    if op in (Op.EXISTS, Op.NOT_EXISTS):
        if not isinstance(value, bool):
            ctx.error("type-mismatch", f"{op.value} takes true or false", line, f"write {spec.name}: {{exists: true}}")
            return _BAD
        return value
    if op in (Op.IN, Op.NOT_IN, Op.BETWEEN):
        if not isinstance(value, list) or not value or len(value) > MAX_LIST_VALUES:
            ctx.error(
                "type-mismatch",
                f"{op.value} takes a non-empty list",
                line,
                f"write {spec.name}: {{{op.value}: [a, b]}}",
            )
            return _BAD
        items = tuple(_check_scalar(ctx, spec, op, v, line) for v in value)
        if any(v is _BAD for v in items):
            return _BAD
        if op is Op.BETWEEN and (len(items) != 2 or items[0] > items[1]):
            ctx.error("type-mismatch", "between takes [low, high] with low <= high", line, "both ends are included")
            return _BAD
        return items
    return _check_scalar(ctx, spec, op, value, line)


def _check_scalar(ctx: _Context, spec: F.FactSpec, op: Op, value: object, line: int) -> Any:
    if spec.type is F.FactType.TEXT_LIST or op in (Op.CONTAINS, Op.STARTS_WITH):
        if not isinstance(value, str) or not value:
            ctx.error("type-mismatch", f"{op.value} takes non-empty text, got {value!r}", line, "quote the value")
            return _BAD
        return value
    try:
        return F.check_value(spec, value, spec.name)
    except InvalidOrder as exc:
        hint = "quote text values such as 'NO' or 'yes'" if isinstance(value, bool) else ""
        if isinstance(value, str) and _EXPONENT_WITHOUT_POINT.fullmatch(value.strip()):
            # YAML 1.1 reads 1e-6 as text, 1.0e-6 as a number.
            mantissa, _, exponent = value.strip().lower().partition("e")
            hint = f"YAML reads {value} as text: write {mantissa}.0e{exponent}"
        if spec.type is F.FactType.ENUM:
            hint = "one of: " + ", ".join(spec.values)
        ctx.error("type-mismatch", exc.message, line, hint)
        return _BAD


# ---------------------------------------------------------------- outputs


def _parse_outputs(ctx: _Context, node: LinedMap, required: Sequence[str]) -> Outputs | None:
    then = node.get("then")
    line = node.key_lines.get("then", node.line)
    if not isinstance(then, LinedMap) or not then:
        ctx.error(
            "no-outputs", "'then' must set at least one decision field", line, "fields: " + ", ".join(OUTPUT_FIELDS)
        )
        return None
    values: dict[str, Any] = {}
    ok = True
    for key, value in then.items():
        key_line = then.key_lines[key]
        if key not in OUTPUT_FIELDS:
            ctx.error("unknown-output", f"unknown decision field {key!r}", key_line, _did_you_mean(key, OUTPUT_FIELDS))
            ok = False
            continue
        ctx.field = THEN + key
        parsed = _parse_output(ctx, key, value, key_line)
        ctx.field = ""
        ok = ok and parsed is not _BAD
        values[key] = parsed
    missing = [f for f in required if f not in values]
    if missing:
        ctx.error(
            "default-incomplete",
            f"the default rule must set {', '.join(missing)}",
            line,
            "the default decides every field no other rule sets",
        )
        ok = False
    return Outputs(**values) if ok else None


def _parse_output(ctx: _Context, key: str, value: object, line: int) -> Any:
    match key:
        case "path" | "carrier" | "cs_queue":
            if isinstance(value, str) and CODE.fullmatch(value):
                return value
            ctx.error("output-value", f"{key} {value!r} must be an UPPER_CASE code", line, f"e.g. {key}: EXPRESS")
        case "warehouse":
            if isinstance(value, str) and LABEL.fullmatch(value):
                return value
            ctx.error(
                "output-value",
                f"warehouse {value!r} is not a node id, node type or NEAREST_WITH_STOCK",
                line,
                "node types: " + ", ".join(F.WAREHOUSE_TYPES),
            )
        case "priority_pickup":
            if isinstance(value, bool):
                return value
            ctx.error("output-value", "priority_pickup is true or false", line)
        case "risk_review" | "credit_review":
            allowed = tuple(Review) if key == "risk_review" else CREDIT_REVIEWS
            if value in [r.value for r in allowed]:
                return Review(str(value))
            ctx.error("output-value", f"{key} {value!r} is not one of {', '.join(allowed)}", line)
        case _:
            items = [value] if isinstance(value, str) else value
            pattern = None if key == "avoid_warehouse_types" else LABEL
            if isinstance(items, list) and items and all(_label_ok(v, pattern) for v in items):
                return tuple(dict.fromkeys(items))
            want = (
                "node types: " + ", ".join(F.WAREHOUSE_TYPES)
                if pattern is None
                else "labels of letters, digits, '_', '-'"
            )
            ctx.error("output-value", f"{key} must be a non-empty list of {want}", line)
    return _BAD


def _label_ok(value: object, pattern: re.Pattern[str] | None) -> bool:
    if not isinstance(value, str):
        return False
    return value in F.WAREHOUSE_TYPES if pattern is None else bool(pattern.fullmatch(value))


# ---------------------------------------------------------------- tests


def _parse_tests(ctx: _Context, doc: LinedMap) -> list[TestCase]:
    items = doc.get("tests", LinedList())
    ctx.rule_id = ""
    if not isinstance(items, LinedList):
        ctx.error("shape", "tests must be a list", doc.key_lines.get("tests", doc.line))
        return []
    tests = []
    for index, (item, line) in enumerate(zip(items, items.item_lines, strict=True)):
        if not isinstance(item, LinedMap):
            ctx.error("test", "each test is a mapping with name, order and expect", line)
            continue
        _unknown_keys(ctx, item, TEST_KEYS, "test")
        name = _text(ctx, item, "name", f"test {index + 1}")
        expect = item.get("expect")
        if not isinstance(expect, LinedMap) or not expect:
            ctx.error("test", f"test {name!r} has no 'expect' mapping", line, "list the decision fields you expect")
            continue
        for key in expect:
            if key not in OUTPUT_FIELDS + EXPECT_EXTRA:
                ctx.error(
                    "test",
                    f"test {name!r} expects unknown field {key!r}",
                    expect.key_lines[key],
                    _did_you_mean(key, OUTPUT_FIELDS + EXPECT_EXTRA),
                )
        try:
            order = F.check_order(item.get("order", {}))
        except InvalidOrder as exc:
            ctx.error("test-order", f"test {name!r}: {exc.message}", item.key_lines.get("order", line))
            continue
        order.setdefault("order_id", f"test-{index + 1}")
        tests.append(TestCase(name, order, dict(expect), line))
    return tests
