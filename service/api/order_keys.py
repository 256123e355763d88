"""Reading an order for one rule set version in one pass over its protobuf message: every field checked
as `order_to_facts` checks it, and the version's canonical key (rules.canonical) made from the fields its
rules compare, without building the facts dictionary. On a memo hit (most orders) nothing more is read;
the facts are read from the message field by field only when something asks for one (`MessageFacts`):
the engine on a miss, the warehouse candidates, an experiment's unit, the input log's masks.

The key is the one `CanonicalPlan.key_function` makes from the facts (the same classifying code, fed the
same values), so the memo is shared with replay and trials; tests/service/api/test_order_keys.py holds
the two equal, and this reader's refusals equal the converter's, on random rule sets and orders.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb

from rules import CompiledRuleSet, InvalidOrder
from rules.canonical import KEY_NAMES, CanonicalPlan, FactUse, classify
from rules.facts import MAX_ENTRIES, MAX_TEXT
from service.api.orders import ORDER_CONVERTER, MessageConverter

KeyReader = Callable[[pb.Order], Hashable]
"""Checks an order and returns its key (None: no key, the memo is not used); a bare ValueError or KeyError
on bad input."""


class MessageFacts(Mapping[str, Any]):
    """An order's facts, read out of its (checked) message one top-level field at a time, when asked.

    Equal to `order_to_facts(message)` as a mapping; what is read is kept, so a field is converted at most
    once. Only for a message the order reader accepted (its conversions assume a valid message)."""

    __slots__ = ("_read", "message")

    def __init__(self, message: pb.Order) -> None:
        self.message = message
        self._read: dict[str, Any] = {}

    def get(self, name: str, default: Any = None) -> Any:
        read = self._read
        if name in read:
            value = read[name]
        else:
            fact = _FACT.get(name)
            value = read[name] = fact(self.message) if fact is not None else _MISSING
        return default if value is _MISSING else value

    def __getitem__(self, name: str) -> Any:
        value = self.get(name, _MISSING)
        if value is _MISSING:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def _names(self) -> list[str]:
        return [name for name in _FACT if self.get(name, _MISSING) is not _MISSING]

    def __repr__(self) -> str:
        return f"MessageFacts({dict(self)!r})"


class OrderReaders:
    """The key reader of each compiled version, generated once and kept while the version lives."""

    def __init__(self) -> None:
        self._readers: weakref.WeakKeyDictionary[CompiledRuleSet, KeyReader] = weakref.WeakKeyDictionary()

    def read(self, engine: CompiledRuleSet, order: pb.Order, where: str) -> tuple[MessageFacts, Hashable]:
        """The order's facts (read when asked) and its key for `engine` (None when its memo is off or
        resting); raises InvalidOrder naming the bad field, the same error `order_to_facts` raises."""
        if not order.order_id:
            raise InvalidOrder(f"{where}.order_id", "is required")
        reader = _CHECK if engine.memo_resting else self._reader(engine)
        try:
            return MessageFacts(order), reader(order)
        except (ValueError, KeyError):
            ORDER_CONVERTER.convert(order, where)  # raises the error that names the field
            raise AssertionError(f"the order reader refused what the converter accepts at {where}") from None

    def _reader(self, engine: CompiledRuleSet) -> KeyReader:
        reader = self._readers.get(engine)
        if reader is None:
            plan = engine.canonical_plan
            reader = self._readers[engine] = key_reader(plan) if plan is not None else _CHECK
        return reader


def key_reader(plan: CanonicalPlan | None) -> KeyReader:
    """The one-pass reader for `plan` (None: it only checks, and returns None), as straight-line code."""
    namespace: dict[str, Any] = {"MAX_TEXT": MAX_TEXT, "MAX_ENTRIES": MAX_ENTRIES, **KEY_NAMES}
    uses = {use.path: f"x{n}" for n, use in enumerate(plan.facts)} if plan is not None else {}
    keyed_lines = plan is not None and bool(plan.line_facts)
    code = ["def read(order):", *(f"    {variable} = None" for variable in uses.values())]
    if keyed_lines:
        assert plan is not None
        namespace["LINE_KEY"] = _line_reader(plan.line_facts)
        code.append("    lines_key = EMPTY_SET")  # an order without lines: the facts key's empty set
        namespace["EMPTY_SET"] = frozenset()
    _read_fields(ORDER_CONVERTER, "order", "", uses, keyed_lines, namespace, code, "    ")
    if plan is None:
        code.append("    return None")
    else:
        parts = []
        for n, use in enumerate(plan.facts):
            parts += classify(use, f"f{n}", f"x{n}", namespace, code, "    ")
        if keyed_lines:
            parts.append("lines_key")
        code.append(f"    return ({''.join(p + ', ' for p in parts)})")
    return _compiled(code, namespace, "read")


def _line_reader(line_facts: tuple[FactUse, ...]) -> Callable[[pb.OrderLine], Hashable]:
    """Checks a line and returns its key over the line facts the rules compare (the facts key's line_key)."""
    namespace: dict[str, Any] = {"MAX_TEXT": MAX_TEXT, "MAX_ENTRIES": MAX_ENTRIES, **KEY_NAMES}
    uses = {use.path: f"x{n}" for n, use in enumerate(line_facts)}
    code = ["def line(item):", *(f"    {variable} = None" for variable in uses.values())]
    _read_fields(_LINES, "item", "", uses, False, namespace, code, "    ")
    parts = []
    for n, use in enumerate(line_facts):
        parts += classify(use, f"l{n}", f"x{n}", namespace, code, "    ")
    code.append(f"    return ({''.join(p + ', ' for p in parts)})")
    return _compiled(code, namespace, "line")


def _item_checker(converter: MessageConverter) -> Callable[[Any], None]:
    """Checks one item of a repeated message field (a warehouse, an unkeyed line)."""
    namespace: dict[str, Any] = {"MAX_TEXT": MAX_TEXT, "MAX_ENTRIES": MAX_ENTRIES}
    code = ["def check(item):"]
    _read_fields(converter, "item", "", {}, False, namespace, code, "    ")
    code.append("    return None")
    return _compiled(code, namespace, "check")


def _compiled(code: list[str], namespace: dict[str, Any], name: str) -> Callable[..., Any]:
    exec(compile("\n".join(code), f"<order reader {name}>", "exec"), namespace)  # our own code
    # Out of its own globals: no reference cycle outlives a retired version.
    built: Callable[..., Any] = namespace.pop(name)
    return built


def _read_fields(
    converter: MessageConverter,
    message: str,
    prefix: str,
    uses: Mapping[str, str],
    keyed_lines: bool,
    namespace: dict[str, Any],
    code: list[str],
    indent: str,
) -> None:
    """Statements that check every field of `message` (a variable) and set the variable of each used fact
    path (`uses`: path -> variable) to the value the facts document holds there."""
    inner = indent + "    "
    for number, (kind, name, extra) in sorted(converter.handlers.items()):
        path = prefix + name
        tag = "_" + path.replace(".", "_")
        if kind == "plain" and path not in uses:
            continue  # nothing to check, nothing to key
        code += converter.present(number, message, indent)
        if kind == "message" and path in _SHARED and not any(used.startswith(path + ".") for used in uses):
            code.append(f"{inner}SHARED{tag}(value)")  # checked once per distinct content
            namespace[f"SHARED{tag}"] = _SHARED[path]
            continue
        if kind == "message":
            code.append(f"{inner}m{tag} = value")
            _read_fields(extra[0], f"m{tag}", path + ".", uses, False, namespace, code, inner)
            continue
        checks, fact = converter.checks(number, tag, namespace)
        code += [inner + line for line in checks]
        if kind == "messages" and keyed_lines and path == "lines":
            code.append(f"{inner}lines_key = frozenset([LINE_KEY(item) for item in value])")
        elif kind == "messages":
            namespace[f"ITEM{tag}"] = _item_checker(extra[0])
            code += [f"{inner}for item in value:", f"{inner}    ITEM{tag}(item)"]
        elif kind == "map":
            code += [
                f"{inner}{variable} = value.get({used.removeprefix(path + '.')!r})"
                for used, variable in uses.items()
                if used.startswith(path + ".")
            ]
        elif path in uses:
            # A text list keys by truth and membership, which the repeated field answers as its list would.
            code.append(f"{inner}{uses[path]} = {'value' if kind == 'list' else fact}")
        elif kind == "enum":
            code.append(f"{inner}{fact}")  # refuses an unknown number


class SharedFacts:
    """The facts of a sub-message that repeats from order to order (the candidate warehouses, when an
    OMS sends the same few lists per region), kept by its serialization, so equal content is checked and
    converted once. Exact: equal bytes are equal fields (unknown ones too). Bounded in bytes, not only in
    entries: content over MAX_BYTES is converted every time, so the cache holds at most CAPACITY small
    messages (~8 MiB with their facts) however large a request may be. The facts are shared between
    orders and threads: read-only, like every fact document (tests/service/api/test_order_keys.py routes
    and masks them and checks they are unchanged)."""

    MAX_BYTES = 2_048
    CAPACITY = 4_096

    def __init__(self, field: str) -> None:
        self._convert = ORDER_CONVERTER.nested(field).fast()
        self._facts: dict[bytes, dict[str, Any]] = {}

    def __call__(self, message: Any) -> dict[str, Any]:
        """Its facts; a bare ValueError or KeyError on bad input, as the generated converter."""
        raw = message.SerializeToString()
        facts = self._facts.get(raw)
        if facts is None:
            facts = self._convert(message)
            if len(raw) <= self.MAX_BYTES:
                if len(self._facts) >= self.CAPACITY:
                    self._facts.clear()  # a stream of distinct content: start again rather than grow
                self._facts[raw] = facts
        return facts

    def __len__(self) -> int:
        return len(self._facts)


def _fact_readers() -> dict[str, Callable[[pb.Order], Any]]:
    """Per top-level field of an Order, its fact as order_to_facts makes it, or _MISSING when absent."""
    return {name: _fact_reader(number, name) for number, (_, name, _) in sorted(ORDER_CONVERTER.handlers.items())}


def _fact_reader(number: int, name: str) -> Callable[[pb.Order], Any]:
    """Straight-line code for one field: its fact, or _MISSING when absent (no checks: it was read)."""
    shared = _SHARED.get(name)
    if shared is not None:

        def read_shared(message: pb.Order) -> Any:
            return shared(getattr(message, name)) if message.HasField(name) else _MISSING

        return read_shared
    kind, _, _ = ORDER_CONVERTER.handlers[number]
    namespace: dict[str, Any] = {"MISSING": _MISSING}
    if kind in ("message", "messages"):
        namespace[f"NESTED_{number}"] = ORDER_CONVERTER.nested(name).fast()
    _, fact = ORDER_CONVERTER.checks(number, f"_{number}", namespace)
    code = ["def fact(message):", *ORDER_CONVERTER.present(number, "message", "    ")]
    code += [f"        return {fact}", "    return MISSING"]
    return _compiled(code, namespace, "fact")


_MISSING: Any = object()
_SHARED = {"logistics": SharedFacts("logistics")}
_LINES = ORDER_CONVERTER.nested("lines")
_FACT = _fact_readers()
_CHECK = key_reader(None)
