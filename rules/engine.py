"""Compile once, evaluate many: a RuleSet loaded into durable_rules.

The engine is driven through its C extension directly: the order goes in as
one JSON string (orjson), is asserted as a *fact* so every matching rule fires
(an event would fire only one), the fired rule names are read off the action
queue without parsing the payload, and the fact is retracted so no per-order
state stays behind. One session id is used, so memory stays flat.

Retiring a version must free what the engine holds for it. durable_rules 2.0.28's
`delete_ruleset` (src/rules/rete.c `deleteRuleset`) frees the ruleset's own pools
and the array of its session states, but not what each session state owns
(state.c `createStateNode`: its sid, a pool and two 512-entry hash tables per
beta node, action and connector, and a message pool that grows to the largest
batch asserted): for the example rule set 190 KB after one order, 0.9 MB after
a batch of 100 (670 KB after one order for a shard of 48 rules), left behind by
every ruleset that saw an order, whatever its name. `delete_state` frees exactly
those (`deleteStateNode`), but it also frees the state's action context, which
`createStateNode` never initialises: on a state whose action loop never ran it
frees garbage and the process crashes. So each ruleset gets one extra rule
(`_PRIME_RULE`) and, when created, one event that fires it: its action runs and
completes once, which leaves the context empty (`completeAndStartAction` frees
it and sets it to NULL; an action loop that ends always ends there). Every later
state of the session keeps it empty or valid, and `close` deletes the state,
then the ruleset: memory stays flat over any number of versions
(tests/rules/test_engine.py, loadtest/soak.py).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import durable_rules_engine as _engine
import orjson

from rules._engine_json import engine_float, engine_values
from rules._errors import EngineRejected
from rules.canonical import CanonicalPlan
from rules.combine import Combined, Decision, Provenance, combine_outputs, decide, resolve_warehouse
from rules.compile import LINE_MARK, TEXT_TESTS, reads_line_mark, text_test_key, to_durable, to_durable_shards
from rules.facts import LINE_FACTS, FactType, OrderFacts, fact_spec, lookup
from rules.memo import MEMO_SIZE, Answer, Memo
from rules.model import Op, Rule, RuleSet, comparisons

_names = itertools.count(1)
_PRIME_RULE = "prime"
"""A rule no order matches (orders carry no `#prime`), fired once per ruleset so its session state
has a clean action context before anything else runs (see the module docstring)."""
_PRIME_EVENT = '{"#prime":1}'
_PRIME_DEFINITION = {_PRIME_RULE: {"all": [{"m": {"#prime": 1}}], "pri": 1_000_000}}
_MAX_CACHED_COMBINATIONS = 4096
_MAX_CACHED_DECISIONS = 16384


class CompiledRuleSet:
    """A rule set ready to evaluate orders. Thread-safe; call close() when retired."""

    def __init__(self, rule_set: RuleSet, version: int = 0, content_hash: str = "", memo_size: int = MEMO_SIZE) -> None:
        self.rule_set = rule_set
        self.provenance = Provenance(rule_set.name, version, content_hash)
        self._rules = rule_set.rules
        self._plan = DocumentPlan.of(rule_set)
        self._document = self._plan.builder()
        self.canonical_plan = CanonicalPlan.of(rule_set) if memo_size > 0 else None
        """What the memo's key reads (None: no memo); a caller may key orders itself (`evaluate_many`)."""
        self._key = self.canonical_plan.key_function() if self.canonical_plan is not None else None
        self.memo = Memo(max(memo_size, 0))
        """Canonical key -> the engine's answer: the engine decides each distinct case once."""
        self._combined: dict[tuple[int, ...], Combined] = {}
        self._decisions: dict[tuple[tuple[int, ...], tuple[str, ...], str], Decision] = {}
        self._lock = threading.Lock()
        self.engine_name = f"{rule_set.name}@{version}#{next(_names)}"
        self._handles: list[int] | None = []
        for number, shard in enumerate(to_durable_shards(rule_set)):
            definition = orjson.dumps({**engine_values(shard), **_PRIME_DEFINITION}).decode()
            try:
                self._handles.append(_create_primed(f"{self.engine_name}.{number}", definition))
            except _engine.error as exc:
                self.close()
                raise EngineRejected(f"durable_rules refused the rule set: {exc}") from None

    @property
    def name(self) -> str:
        return self.rule_set.name

    @property
    def version(self) -> int:
        return self.provenance.version

    def evaluate(self, facts: OrderFacts) -> Decision:
        """The decision for one checked fact document."""
        return self.evaluate_many((facts,))[0]

    @property
    def memo_resting(self) -> bool:
        """Whether the memo is off or resting: keys made now would go unused."""
        return self._key is None or self.memo.is_resting

    def evaluate_many(
        self, batch: Sequence[OrderFacts], keys: Sequence[Hashable | None] | None = None
    ) -> list[Decision]:
        """Decisions for several orders: each case the memo has not seen goes to the engine, all of them in
        one call, once per distinct canonical key. `keys`: the orders' keys when the caller made them from
        `canonical_plan` as `key_function` would (service.api.order_keys: straight from the message)."""
        if self._key is None or self.memo.resting(len(batch)):
            return self._evaluate_directly(batch)
        key_of = self._key
        if keys is None:
            keys = [key_of(facts) for facts in batch]
        elif None in keys:
            keys = [k if k is not None else key_of(facts) for facts, k in zip(batch, keys, strict=True)]
        found = self.memo.get_many(keys)
        learned: dict[Hashable, Answer] = {}
        if None in found:
            first: dict[Hashable, int] = {}
            for i, answer in enumerate(found):
                if answer is None:
                    first.setdefault(keys[i], i)
            documents, missing = self._documents([batch[i] for i in first.values()])
            for key, indexes, absent in zip(first, self._match(documents), missing, strict=True):
                learned[key] = (indexes, tuple(absent))
                self.memo.put(key, learned[key])
        self.memo.count(len(batch), len(learned))
        return [
            self._decide(*(answer if answer is not None else learned[key]), facts=facts)
            for facts, answer, key in zip(batch, found, keys, strict=True)
        ]

    def _evaluate_directly(self, batch: Sequence[OrderFacts]) -> list[Decision]:
        """Every order to the engine (no memo)."""
        documents, missing = self._documents(batch)
        matched = self._match(documents)
        return [
            self._decide(indexes, tuple(absent), facts)
            for facts, indexes, absent in zip(batch, matched, missing, strict=True)
        ]

    def _decide(self, indexes: tuple[int, ...], missing: tuple[str, ...], facts: OrderFacts) -> Decision:
        """decide(), remembered: orders that match the same rules, lack the same facts and get the same
        warehouse node share one (immutable) Decision, so most orders cost a dict lookup here."""
        combined = self._combine(indexes)
        values = combined.values
        node = resolve_warehouse(values.get("warehouse", ""), values["avoid_warehouse_types"], facts)
        key = (indexes, missing, node)
        decision = self._decisions.get(key)
        if decision is None:
            if len(self._decisions) >= _MAX_CACHED_DECISIONS:
                self._decisions.clear()
            decision = decide(combined, facts, self.provenance, missing)
            self._decisions[key] = decision
        return decision

    def match(self, facts: OrderFacts) -> list[Rule]:
        """The non-default rules durable_rules fires for this order, in priority order."""
        documents, _ = self._documents((facts,))
        (indexes,) = self._match(documents)
        return [self._rules[i] for i in indexes]

    def _documents(self, batch: Sequence[OrderFacts]) -> tuple[list[str], list[list[str]]]:
        documents, missing = [], []
        for index, facts in enumerate(batch):
            document, absent = self._document(facts, index)
            documents.append(document)
            missing.append(absent)
        return documents, missing

    def _match(self, documents: list[str]) -> list[tuple[int, ...]]:
        """Per order, the indexes of the rules that fired, ascending (= priority order)."""
        fired: list[set[int]] = [set() for _ in documents]
        single = len(documents) == 1
        payload = documents[0] if single else "[" + ",".join(documents) + "]"
        assert_, retract = (
            (_engine.assert_fact, _engine.retract_fact)
            if single
            else (
                _engine.assert_facts,
                _engine.retract_facts,
            )
        )
        with self._lock:
            if self._handles is None:
                raise RuntimeError(f"rule set {self.engine_name} is closed")
            for handle in self._handles:  # one ruleset per shard (rules.compile.SHARD_CONDITIONS)
                _, state = assert_(handle, payload)
                try:
                    action = _engine.start_action_for_state(handle, state)
                    message = action[1] if action else None
                    while message:
                        # The payload is {"r<rule index>":{"m":{"#i":<order index>,...}}}: no need to parse it.
                        order = message.index('"#i":') + 5
                        rule = int(message[3 : message.index('"', 3)])
                        fired[int(message[order : message.index(",", order)])].add(rule)
                        message = _engine.complete_and_start_action(handle, state)
                finally:
                    retract(handle, payload)
        return [tuple(sorted(indexes)) for indexes in fired]

    def _combine(self, indexes: tuple[int, ...]) -> Combined:
        combined = self._combined.get(indexes)
        if combined is None:
            if len(self._combined) >= _MAX_CACHED_COMBINATIONS:
                self._combined.clear()
            combined = combine_outputs([self._rules[i] for i in indexes], self.rule_set.default)
            self._combined[indexes] = combined
        return combined

    def close(self) -> None:
        """Frees the engine's rulesets and their session state (idempotent)."""
        with self._lock:
            handles, self._handles = self._handles or [], None
        for handle in handles:
            _delete_primed(handle)

    def __del__(self) -> None:
        # At interpreter shutdown the engine module may already be torn down.
        with contextlib.suppress(Exception):
            self.close()


def _create_primed(name: str, definition: str) -> int:
    """A ruleset whose session state exists and has an empty action context (so it can be deleted)."""
    handle: int = _engine.create_ruleset(name, definition)
    try:
        _, state = _engine.assert_event(handle, _PRIME_EVENT)
        action = _engine.start_action_for_state(handle, state)
        if not action or _PRIME_RULE not in action[1]:
            raise _engine.error(f"the priming event fired {action!r}")
        while _engine.complete_and_start_action(handle, state):
            pass  # only the prime rule can fire; its loop ends with the context freed and emptied
    except BaseException:
        _engine.delete_ruleset(handle)  # its state is not known to be clean: left to the engine
        raise
    return handle


def _delete_primed(handle: int) -> None:
    """delete_state, then delete_ruleset: the ruleset's memory goes back to the allocator whole."""
    with contextlib.suppress(_engine.error):  # a session the engine no longer has: nothing to free
        _engine.delete_state(handle, None)
    _engine.delete_ruleset(handle)


@dataclass(frozen=True, slots=True)
class DocumentPlan:
    """Which facts the engine needs for one rule set.

    The engine only sees the facts its rules read: parsing and indexing the
    rest (SKUs, prices, candidate warehouses) would cost it time for nothing.
    Building the document also finds the order facts that are missing.
    """

    top: tuple[str, ...]
    """Top-level scalar facts, e.g. order_type."""
    nested: tuple[tuple[str, tuple[str, ...]], ...]
    """(object, its scalar facts), e.g. (customer, (tier, repeat_purchases))."""
    lists: tuple[str, ...]
    """List facts read with contains: tags, customer.segments."""
    line_fields: tuple[str, ...]
    floats: frozenset[str] = frozenset()
    """Paths of the facts that may be floats (lines.FIELD for a line's): written by engine_float."""
    text_tests: tuple[TextTest, ...] = ()
    """contains / starts_with on order-level text facts, computed here (see rules.compile)."""
    line_text_tests: tuple[TextTest, ...] = ()
    """The same on a line's text facts."""
    line_mark: bool = False
    """Each line carries LINE_MARK (only when a rule reads it: rules.compile._every_line)."""

    @staticmethod
    def of(rule_set: RuleSet) -> DocumentPlan:
        scalars: dict[str, None] = {}
        lists: dict[str, None] = {}
        line: dict[str, None] = {}

        tests: dict[TextTest, bool] = {}

        for c, in_lines in comparisons(rule_set):
            fact, op, value = c.fact, c.op, c.value
            spec = LINE_FACTS.get(fact) if in_lines else fact_spec(fact)
            if op in TEXT_TESTS and isinstance(value, str) and spec is not None and spec.type is FactType.TEXT:
                tests[TextTest(text_test_key(op, fact, value), fact, op, value)] = in_lines
            if in_lines:
                line[fact] = None
            elif spec is not None:
                (lists if spec.type is FactType.TEXT_LIST else scalars)[fact] = None
        nested: dict[str, list[str]] = {}
        for path in scalars:
            head, _, tail = path.partition(".")
            if tail:
                nested.setdefault(head, []).append(tail)
        floats = {p for p in scalars if (spec := fact_spec(p)) is not None and spec.type is FactType.NUMBER}
        floats |= {f"lines.{f}" for f in line if f in LINE_FACTS and LINE_FACTS[f].type is FactType.NUMBER}
        return DocumentPlan(
            top=tuple(p for p in scalars if "." not in p),
            nested=tuple((head, tuple(fields)) for head, fields in nested.items()),
            lists=tuple(lists),
            line_fields=tuple(line),
            floats=frozenset(floats),
            text_tests=tuple(t for t, in_lines in tests.items() if not in_lines),
            line_text_tests=tuple(t for t, in_lines in tests.items() if in_lines),
            line_mark=bool(line) and reads_line_mark(to_durable(rule_set)),
        )

    def _value(self, path: str, value: Any) -> Any:
        return engine_float(value) if path in self.floats and isinstance(value, float) else value

    def document(self, facts: OrderFacts, index: int) -> tuple[str, list[str]]:
        """(the JSON the engine sees, the missing facts of the order and its lines).

        The JSON opens with the order's index in its batch, a count per list and
        the missing order facts (see rules.compile), then the facts the rules read.
        This is the readable form; `builder()` generates the same function
        unrolled for this plan, which the engine uses (tests hold them equal).
        """
        missing: list[str] = []
        get = facts.get
        lines = get("lines") or ()
        customer = get("customer") or _EMPTY
        out: dict[str, Any] = {
            "#i": index,
            "#lines": len(lines),
            "#tags": len(get("tags") or ()),
            "#customer_segments": len(customer.get("segments") or ()),
            "#missing": missing,
        }
        for name in self.top:
            value = get(name)
            if value is None:
                missing.append(name)
            else:
                out[name] = self._value(name, value)
        for head, fields in self.nested:
            source = get(head) or _EMPTY
            part = {}
            for name in fields:
                value = source.get(name)
                if value is None:
                    missing.append(f"{head}.{name}")
                else:
                    part[name] = self._value(f"{head}.{name}", value)
            if part:
                out[head] = part
        for path in self.lists:
            head, _, tail = path.partition(".")
            value = (get(head) or _EMPTY).get(tail) if tail else get(head)
            if value and tail:
                out.setdefault(head, {})[tail] = value
            elif value:
                out[head] = value
        for test in self.text_tests:
            text = lookup(facts, test.fact)
            if text is not None:
                out[test.key] = test.passes(text)
        line_missing: list[str] = []
        if lines and self.line_fields:
            fields = self.line_fields
            docs = []
            for line in lines:
                doc = {LINE_MARK: 1} if self.line_mark else {}
                doc.update({k: self._value(f"lines.{k}", line[k]) for k in fields if k in line})
                for test in self.line_text_tests:
                    if test.fact in line:
                        doc[test.key] = test.passes(line[test.fact])
                docs.append(doc)
            out["lines"] = docs
            line_missing = [f"lines.{k}" for k in fields if any(k not in line for line in lines)]
        return orjson.dumps(out).decode(), missing + line_missing

    def builder(self) -> Callable[[OrderFacts, int], tuple[str, list[str]]]:
        """`document` generated as straight-line code for this plan: no loops over the plan, one
        dict lookup per fact. It runs for every order, so its cost is the engine's biggest share."""
        code = [
            "def document(facts, index):",
            "    get = facts.get",
            "    missing = []",
            "    lines = get('lines') or ()",
            "    customer = get('customer') or EMPTY",
            "    out = {'#i': index, '#lines': len(lines), '#tags': len(get('tags') or ()),",
            "           '#customer_segments': len(customer.get('segments') or ()), '#missing': missing}",
        ]

        def kept(path: str) -> str:  # the expression stored for the fact's `value`
            # Most floats need nothing (rules._engine_json): one chained comparison, a call for the rest.
            return "(value if 0.0001 <= value < 1e15 else FLOAT(value))" if path in self.floats else "value"

        for name in self.top:
            code += [
                f"    value = get({name!r})",
                f"    if value is None: missing.append({name!r})",
                f"    else: out[{name!r}] = {kept(name)}",
            ]
        for head, fields in self.nested:
            code += [f"    source = get({head!r}) or EMPTY", "    part = {}"]
            for name in fields:
                code += [
                    f"    value = source.get({name!r})",
                    f"    if value is None: missing.append({f'{head}.{name}'!r})",
                    f"    else: part[{name!r}] = {kept(f'{head}.{name}')}",
                ]
            code += [f"    if part: out[{head!r}] = part"]
        for path in self.lists:
            head, _, tail = path.partition(".")
            if tail:
                code += [
                    f"    value = (get({head!r}) or EMPTY).get({tail!r})",
                    f"    if value: out.setdefault({head!r}, {{}})[{tail!r}] = value",
                ]
            else:
                code += [f"    value = get({head!r})", f"    if value: out[{head!r}] = value"]
        namespace: dict[str, Any] = {"EMPTY": _EMPTY, "dumps": orjson.dumps, "FLOAT": _engine_float_of}

        def test_code(test: TextTest, number: int, value: str) -> str:
            namespace[f"TEXT_{number}"] = test.operand
            return f"TEXT_{number} in {value}" if test.op is Op.CONTAINS else f"{value}.startswith(TEXT_{number})"

        for number, test in enumerate(self.text_tests):
            head, _, tail = test.fact.partition(".")
            read = f"(get({head!r}) or EMPTY).get({tail!r})" if tail else f"get({head!r})"
            code += [
                f"    value = {read}",
                f"    if value is not None: out[{test.key!r}] = {test_code(test, number, 'value')}",
            ]
        code += ["    line_missing = []"]
        if self.line_fields:
            fields = self.line_fields
            code += [
                "    if lines:",
                "        docs = []",
                *(f"        absent_{i} = False" for i in range(len(fields))),
                "        for line in lines:",
                f"            doc = {{{LINE_MARK!r}: 1}}" if self.line_mark else "            doc = {}",
            ]
            for i, name in enumerate(fields):
                code += [
                    f"            if {name!r} in line: doc[{name!r}] = "
                    + (f"FLOAT(line[{name!r}])" if f"lines.{name}" in self.floats else f"line[{name!r}]"),
                    # (no line fact is a float today; a plain call keeps this rare path simple)
                    f"            else: absent_{i} = True",
                ]
            for number, test in enumerate(self.line_text_tests, start=len(self.text_tests)):
                code += [
                    f"            if {test.fact!r} in line: "
                    f"doc[{test.key!r}] = {test_code(test, number, f'line[{test.fact!r}]')}"
                ]
            code += ["            docs.append(doc)", "        out['lines'] = docs"]
            code += [f"        if absent_{i}: line_missing.append({f'lines.{n}'!r})" for i, n in enumerate(fields)]
        code += ["    return dumps(out).decode(), missing + line_missing"]
        exec(compile("\n".join(code), f"<document plan {id(self):x}>", "exec"), namespace)  # our own code
        # Out of its own globals: no reference cycle outlives a retired version (see rules.canonical).
        built: Callable[[OrderFacts, int], tuple[str, list[str]]] = namespace.pop("document")
        return built


_EMPTY: Mapping[str, Any] = {}


@dataclass(frozen=True, slots=True)
class TextTest:
    """One contains / starts_with on a text fact, whose result the document carries under `key`."""

    key: str
    fact: str
    op: Op
    operand: str

    def passes(self, text: str) -> bool:
        return self.operand in text if self.op is Op.CONTAINS else text.startswith(self.operand)


def _engine_float_of(value: Any) -> Any:
    """engine_float for a fact that is a float (an int of a number fact stays as it is)."""
    return engine_float(value) if isinstance(value, float) else value
