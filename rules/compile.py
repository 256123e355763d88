"""RuleSet -> durable_rules ruleset definition (plain JSON-able data).

Negation is pushed down to the comparisons (negation normal form), because
durable_rules has no `not`. Under three-valued logic a formula in this form is
True exactly when it is True with every unknown comparison read as false,
which is what durable_rules does with a missing field.

Engine quirks shape the output (tests/rules/test_differential.py pins them):
`$nex` outside a line scope is always true, so the engine document carries a
count per list (`#lines`, `#tags`, `#customer_segments`), on which emptiness
is tested, and the list of the rule set's facts the order lacks (`#missing`),
on which "does not exist" is tested. Text tests (`contains`, `starts_with` on a text fact)
are not given to durable_rules' pattern matcher, which is not exact (it missed "000" in
"0000" and refused some patterns): the document builder computes each one in Python and
the rule compares the result (`text_test_key`), true or false, absent when the text is.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rules.facts import ORDER_FACTS, FactType
from rules.model import AllOf, AnyOf, Compare, Condition, LineScope, Not, Op, RuleSet, Scope

Json = dict[str, Any]

_NEGATED = {
    Op.EQUALS: Op.NOT_EQUALS,
    Op.NOT_EQUALS: Op.EQUALS,
    Op.IN: Op.NOT_IN,
    Op.NOT_IN: Op.IN,
    Op.GT: Op.LTE,
    Op.LTE: Op.GT,
    Op.GTE: Op.LT,
    Op.LT: Op.GTE,
    Op.EXISTS: Op.NOT_EXISTS,
    Op.NOT_EXISTS: Op.EXISTS,
}
_ENGINE_OP = {Op.NOT_EQUALS: "$neq", Op.GT: "$gt", Op.GTE: "$gte", Op.LT: "$lt", Op.LTE: "$lte"}


MISSING = "#missing"
LIST_COUNTS: dict[str, str] = {"lines": "#lines", "tags": "#tags", "customer.segments": "#customer_segments"}
"""List path -> the count field the engine document carries for it."""
TEXT_TESTS = (Op.CONTAINS, Op.STARTS_WITH)


def text_test_key(op: Op, fact: str, operand: str) -> str:
    """The document field that holds whether `fact` contains (or starts with) `operand`."""
    digest = hashlib.blake2s(f"{op.value}\0{fact}\0{operand}".encode(), digest_size=8).hexdigest()
    return f"#t{digest}"


class NotCompilable(ValueError):
    """A condition durable_rules cannot express (validation reports it)."""

    def __init__(self, message: str, line: int = 0, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint or "split the condition into several rules"


def rule_key(index: int) -> str:
    """The engine-side name of the rule at `index` in evaluation order."""
    return f"r{index}"


def to_durable(rule_set: RuleSet) -> Json:
    """The durable_rules definition: one rule per non-default rule, `pri` = evaluation rank.

    No catch-all: an order no rule matches is reported as unhandled and not stored,
    which costs less than firing a rule for it.
    """
    definition: Json = {}
    for index, rule in enumerate(rule_set.rules):
        assert rule.when is not None
        definition[rule_key(index)] = {"all": [{"m": condition_to_durable(rule.when)}], "pri": index + 1}
    return definition


SHARD_CONDITIONS = 48
"""Comparisons per durable_rules ruleset. Measured on durable_rules 2.0.28 (README "How durable_rules
is driven"): one ruleset hangs beyond 511 comparisons, or 255 rules sharing one; and one order may match
at most 64 comparisons of a ruleset at once (error 303). A rule set is split into rulesets of at most
this many, so no order can reach those limits, however many rules it matches."""


def conditions_in(expression: object) -> int:
    """How many comparisons an engine expression holds (the unit the engine's limits count)."""
    if isinstance(expression, dict):
        inner = [v for k, v in expression.items() if k in ("$and", "$or", "$iany", "$iall", "lines")]
        if not inner:
            return 1
        return sum(conditions_in(v) for v in inner)
    if isinstance(expression, list):
        return sum(conditions_in(v) for v in expression)
    return 1


def to_durable_shards(rule_set: RuleSet, capacity: int = SHARD_CONDITIONS) -> list[Json]:
    """The definition split into rulesets of at most `capacity` comparisons, in rule order (a rule
    larger than that gets one of its own). Rule keys keep their index in the whole rule set."""
    shards: list[Json] = []
    size = capacity
    for key, rule in to_durable(rule_set).items():
        count = conditions_in(rule["all"][0]["m"])
        if size + count > capacity:
            shards.append({})
            size = 0
        shards[-1][key] = rule
        size += count
    return shards


def condition_to_durable(condition: Condition, positive: bool = True, prefix: str = "") -> Json:
    match condition:
        case Compare():
            return _compare(condition, positive, prefix)
        case AllOf(items) | AnyOf(items):
            joins_all = isinstance(condition, AllOf) == positive
            parts = [condition_to_durable(c, positive, prefix) for c in items]
            return parts[0] if len(parts) == 1 else {"$and" if joins_all else "$or": parts}
        case Not(item):
            return condition_to_durable(item, not positive, prefix)
        case LineScope(scope, item):
            return _scope(scope, item, positive)
    raise TypeError(f"not a condition: {condition!r}")


def _scope(scope: Scope, item: Condition, positive: bool) -> Json:
    # durable_rules mis-evaluates `$or` inside `$iany` / `$iall` over different
    # fields, so line conditions are flattened first: any_line takes the
    # disjunctive form (one `$iany` per conjunction, joined by a top-level
    # `$or`); all_lines the conjunctive form (one `$iall` per clause), whose
    # clauses may only offer alternatives for a single line fact.
    # no_line C is not(any_line C); all_lines and any_line are False without lines.
    if scope is Scope.NONE:
        scope, positive = Scope.ANY, not positive
    # any(C) and not all(C) = any(not C) need some line: `$iany` per conjunction.
    # all(C) and not any(C) = all(not C) need every line: `$iall` per clause.
    # Under `not`, an order without lines matches.
    if (scope is Scope.ANY) == positive:
        terms = _normal_form(item, positive, conjunctive=False)
        combined = _join("$or", [{"$iany": {"lines": _join("$and", [atom for _, atom in term])}} for term in terms])
    else:
        parts = []
        for clause in _normal_form(item, positive, conjunctive=True):
            facts = sorted({fact for fact, _ in clause})
            if len(facts) > 1:
                raise NotCompilable(
                    f"alternatives over different line facts ({', '.join(facts)}) inside all_lines or no_line",
                    hint="express it with any_line (e.g. 'not all lines X' is 'any line not X'), or split the rule",
                )
            parts.append({"$iall": {"lines": _every_line([atom for _, atom in clause])}})
        combined = _join("$and", parts)
    return combined if positive else {"$or": [{LIST_COUNTS["lines"]: 0}, combined]}


LINE_MARK = "#line"
"""A field (value 1) on every line the engine sees, for rule sets whose rules read it: see _every_line."""


def reads_line_mark(definition: Json) -> bool:
    """Whether a compiled definition tests LINE_MARK (a line scope over alternatives), so the engine's
    line documents must carry it."""
    if isinstance(definition, dict):
        return f"$i.{LINE_MARK}" in definition or any(reads_line_mark(v) for v in definition.values())
    if isinstance(definition, list):
        return any(reads_line_mark(v) for v in definition)
    return False


def _every_line(alternatives: list[Json]) -> Json:
    """The `$iall` body for a clause. durable_rules' `$iall` / `$iany` check the type of the node their
    body ends in, and the node an `$or` ends in (src/rules/rete.c `createForwardAlpha`) leaves that type
    uninitialised: depending on what the heap held before, a valid rule set was refused (error 102).
    An `$or` is therefore followed by a test every line passes, so the body ends in a real node."""
    if len(alternatives) == 1:
        return alternatives[0]
    return {"$and": [{"$or": alternatives}, {f"$i.{LINE_MARK}": 1}]}


MAX_NORMAL_FORM_TERMS = 12  # durable_rules refuses an `$or` of 15 or more `$and`s
Atom = tuple[str, Json]
"""(the line field the expression reads, engine expression without `$or`)."""


def _normal_form(condition: Condition, positive: bool, conjunctive: bool) -> list[list[Atom]]:
    """Disjunctive (a list of conjunctions) or conjunctive (a list of clauses) form over line atoms."""
    match condition:
        case Compare():
            return _compare_form(condition, positive, conjunctive)
        case Not(item):
            return _normal_form(item, not positive, conjunctive)
        case AllOf(items) | AnyOf(items):
            forms = [_normal_form(c, positive, conjunctive) for c in items]
            # In DNF an `and` multiplies out and an `or` concatenates; CNF is the dual.
            multiplies = (isinstance(condition, AllOf) == positive) != conjunctive
            if not multiplies:
                return [term for form in forms for term in form]
            product: list[list[Atom]] = [[]]
            for form in forms:
                product = [left + right for left in product for right in form]
                if len(product) > MAX_NORMAL_FORM_TERMS:
                    raise NotCompilable("the line condition is too complex; split it into several rules")
            return product
    raise NotCompilable(f"unexpected condition inside a line scope: {condition!r}")


def _compare_form(c: Compare, positive: bool, conjunctive: bool) -> list[list[Atom]]:
    expression = _compare(c, positive, "$i.")
    # _compare returns one `$and` or `$or` of atoms, or a single atom.
    if "$and" in expression:
        atoms, is_and = expression["$and"], True
    elif "$or" in expression:
        atoms, is_and = expression["$or"], False
    else:
        atoms, is_and = [expression], True
    # The engine field each atom reads: a text test reads its own computed field, not the text itself.
    field = f"{c.fact} {c.op.value} {c.value!r}" if c.op in TEXT_TESTS else c.fact
    tagged = [(field, atom) for atom in atoms]
    if is_and != conjunctive:
        return [tagged]
    return [[atom] for atom in tagged]


def _join(operator: str, parts: list[Json]) -> Json:
    return parts[0] if len(parts) == 1 else {operator: parts}


def _compare(c: Compare, positive: bool, prefix: str) -> Json:
    path = prefix + c.fact
    is_list = (
        not prefix and ORDER_FACTS.get(c.fact, None) is not None and ORDER_FACTS[c.fact].type is FactType.TEXT_LIST
    )
    op = c.op
    operand: Any = c.value
    if op is Op.CONTAINS and is_list:
        has = {"$iany": {path: {"$i": operand}}}
        if positive:
            return has
        return {"$or": [{LIST_COUNTS[path]: 0}, {"$iall": {path: {"$neq": {"$i": operand}}}}]}
    if op in TEXT_TESTS:
        return {prefix + text_test_key(op, c.fact, operand): positive}
    if op is Op.BETWEEN:
        low, high = operand
        if positive:
            return {"$and": [{"$gte": {path: low}}, {"$lte": {path: high}}]}
        return {"$or": [{"$lt": {path: low}}, {"$gt": {path: high}}]}
    if not positive:
        op = _NEGATED[op]
    match op:
        case Op.EQUALS:
            return {path: operand}
        case Op.IN:
            parts: list[Json] = [{path: v} for v in operand]
            return parts[0] if len(parts) == 1 else {"$or": parts}
        case Op.NOT_IN:
            parts = [{"$neq": {path: v}} for v in operand]
            return parts[0] if len(parts) == 1 else {"$and": parts}
        case Op.EXISTS:
            return {"$ex": {path: 1}}
        case Op.NOT_EXISTS:
            return {"$nex": {path: 1}} if prefix else {"$iany": {MISSING: {"$i": path}}}
    return {_ENGINE_OP[op]: {path: operand}}


MAX_RULE_CONDITIONS = 400
"""Comparisons one rule may compile to (one durable_rules ruleset hangs beyond 511)."""
MAX_RULE_ALTERNATIVES = 48
"""Alternatives one rule may hold that can hold at once (one order may match 64 at once, error 303)."""
MAX_RULE_GROUPS = 15
"""`$and` / `$or` groups one rule may compile to: each takes two of the 32 expression slots of the rule's
engine node (src/rules/rete.c, MAX_SEQUENCE_EXPRESSIONS), and the engine refuses the 32nd (error 113)."""
MAX_DOCUMENT_FIELDS = 200
"""Text tests, or attribute keys, a rule set may read (an engine document object holds 255 fields)."""


def _equality_path(expression: object) -> str | None:
    """The fact an order-level equality test `{path: value}` reads (None for anything else)."""
    if isinstance(expression, dict) and len(expression) == 1:
        path = next(iter(expression))
        if not path.startswith("$") and not isinstance(expression[path], dict):
            return str(path)
    return None


def groups_in(expression: object) -> int:
    """How many `$and` / `$or` groups an engine expression holds, inside line scopes too."""
    if isinstance(expression, list):
        return sum(groups_in(e) for e in expression)
    if not isinstance(expression, dict):
        return 0
    return sum((key in ("$and", "$or")) + groups_in(value) for key, value in expression.items())


def alternatives_in(expression: object, under_or: bool = False) -> int:
    """Comparisons that are alternatives of an `$or` and can hold together: equality tests of one fact
    count once (its value equals one of them at most; the engine hashes them), every other one counts."""
    if isinstance(expression, list):
        return sum(alternatives_in(e, under_or) for e in expression)
    if not isinstance(expression, dict):
        return 0
    if "$or" in expression:
        parts = expression["$or"]
        paths = {_equality_path(p) for p in parts} - {None}
        return len(paths) + sum(max(1, alternatives_in(p, True)) for p in parts if _equality_path(p) is None)
    for key in ("$and", "$iany", "$iall", "lines"):
        if key in expression:
            return alternatives_in(expression[key], under_or)
    return 1 if under_or else 0


def compile_problem(condition: Condition) -> NotCompilable | None:
    """Why durable_rules cannot express the condition, or cannot run it safely; None when it can."""
    try:
        expression = condition_to_durable(condition)
    except NotCompilable as exc:
        return exc
    total, together, groups = conditions_in(expression), alternatives_in(expression), groups_in(expression)
    if total > MAX_RULE_CONDITIONS:
        return NotCompilable(
            f"the rule compiles to {total} comparisons; the engine runs at most {MAX_RULE_CONDITIONS} in one rule",
            hint="split it into several rules (a rule set may have many)",
        )
    if together > MAX_RULE_ALTERNATIVES:
        return NotCompilable(
            f"the rule has {together} alternatives that can hold at once; the engine allows "
            f"{MAX_RULE_ALTERNATIVES} in one rule",
            hint="split the alternatives into several rules with the same outputs",
        )
    if groups > MAX_RULE_GROUPS:
        return NotCompilable(
            f"the rule compiles to {groups} engine groups (each all, any, between, in or not_in list counts); "
            f"the engine allows {MAX_RULE_GROUPS} in one rule",
            hint="split it into several rules with the same outputs",
        )
    return None


def rule_set_problem(rule_set: RuleSet) -> NotCompilable | None:
    """Why the rule set as a whole exceeds what the engine's order document can carry, or None."""
    tests, attributes = set(), set()

    def walk(condition: Condition) -> None:
        match condition:
            case Compare(fact=fact, op=op, value=value):
                if op in TEXT_TESTS and isinstance(value, str):
                    tests.add((fact, op, value))
                if fact.startswith("attributes."):
                    attributes.add(fact)
            case AllOf(items) | AnyOf(items):
                for item in items:
                    walk(item)
            case Not(item) | LineScope(item=item):
                walk(item)

    for rule in rule_set.rules:
        if rule.when is not None:
            walk(rule.when)
    for count, what in ((len(tests), "distinct contains / starts_with tests"), (len(attributes), "attribute keys")):
        if count > MAX_DOCUMENT_FIELDS:
            return NotCompilable(
                f"the rule set reads {count} {what}; the engine allows {MAX_DOCUMENT_FIELDS}",
                hint="use `in` lists of whole values where you can, or split the rule set",
            )
    return None
