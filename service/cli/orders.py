"""Order files for `orderroute route`: read once, then turned into an Order message (online) or a fact
document (offline), a mistake in them told the way `rules validate` tells one in a rule set.

A bad field is one line: the file, the field path, what is wrong and what to write, and the line:

    order.yaml: order.customer.tier: unknown value 'VPI'; did you mean VIP? (one of REGULAR, PLUS, VIP) (line 7)
    order.yaml: order.total_minor: must be a whole number of minor units (cents/fen), e.g. 1250 for 12.50 (line 5)
    order.yaml: order.ship_to.country: YAML read NO as the boolean false; quote it: "NO" (line 9)

The hints come from the fact schema (rules.facts), whichever converter refused the value: the
protobuf one says things like "'str' object cannot be interpreted as an integer".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb

from rules import InvalidOrder, check_order
from rules._yaml import LinedList, LinedMap, YamlError, load_yaml
from rules.facts import LINE_FACTS, WAREHOUSE_FIELDS, FactSpec, FactType, check_value, fact_spec
from service.cli._common import CliError, closest, looks_like, read
from service.client.documents import order_from_document

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
"""One step of a field path: a key (`customer`) or an index (`[0]`)."""


@dataclass(frozen=True, slots=True)
class OrderFile:
    path: Path
    source: str
    doc: LinedMap


def read_order(path: Path) -> OrderFile:
    """The order document of a YAML or JSON file (JSON is YAML too), with its lines."""
    source = read(path)
    try:
        doc = load_yaml(source)
    except YamlError as exc:
        raise CliError(f"{path}:{exc.line}: {exc.message}") from None
    if looks_like(doc) == "rule set":
        raise CliError(
            f"{path}: this is a rule set, not an order: check it with `orderroute rules validate {path}`, "
            "publish it with `orderroute rules publish`, or route against it with --rules"
        )
    if not isinstance(doc, LinedMap):
        raise CliError(f"{path}:1: an order is a mapping of order facts")
    return OrderFile(path, source, doc)


def order_message(order: OrderFile) -> pb.Order:
    """The Order message the server is sent (full enum names such as CUSTOMER_TIER_VIP allowed)."""
    try:
        return order_from_document(order.doc)
    except InvalidOrder as exc:
        raise _explained(order, exc) from None


def order_facts(order: OrderFile) -> dict[str, Any]:
    """The fact document a rule set evaluates, checked as the server checks an order."""
    try:
        return check_order(order.doc)
    except InvalidOrder as exc:
        raise _explained(order, exc) from None


def _explained(order: OrderFile, exc: InvalidOrder) -> CliError:
    value, line = _located(order.doc, exc.field)
    spec = _spec(exc.field)
    message = exc.message.removeprefix(f"{exc.field}: ")
    if spec is not None and value is not None:
        written = _written(order.source, line, exc.field) or str(value)
        message = _hint(spec, value, written) or _schema_message(spec, value, exc.field) or message
    at = f" (line {line})" if line else ""
    return CliError(f"{order.path}: {exc.field}: {message}{at}")


def _located(doc: LinedMap, field: str) -> tuple[object, int]:
    """The value at a field path (order.lines[0].qty) and its line; (None, the nearest line) if absent."""
    value: object = doc
    line = doc.line
    for key, index in _STEP.findall(field)[1:]:  # the first step, "order", is the document
        if key and isinstance(value, LinedMap) and key in value:
            line, value = value.key_lines.get(key, line), value[key]
        elif index and isinstance(value, LinedList) and int(index) < len(value):
            line, value = value.item_lines[int(index)], value[int(index)]
        else:
            return None, line
    return value, line


def _spec(field: str) -> FactSpec | None:
    keys = [key for key, _ in _STEP.findall(field)[1:] if key]
    if keys[:1] == ["lines"] and len(keys) == 2:
        return LINE_FACTS.get(keys[1])
    if keys[:2] == ["logistics", "warehouses"] and len(keys) == 3:
        return WAREHOUSE_FIELDS.get(keys[2])
    return fact_spec(".".join(keys))


def _written(source: str, line: int, field: str) -> str:
    """The value as the author typed it on its line (`NO`, not False), "" if it cannot be found."""
    lines = source.splitlines()
    if not 0 < line <= len(lines):
        return ""
    key = re.escape(field.rsplit(".", 1)[-1])
    found = re.search(rf"""(?:^|[\s{{,])["']?{key}["']?\s*:\s*([^\s,}}#][^,}}#]*)""", lines[line - 1])
    return found.group(1).strip() if found else ""


def _hint(spec: FactSpec, value: object, written: str) -> str | None:
    """What the rule language would say about this value, for the mistakes YAML invites."""
    if spec.type is FactType.ENUM and isinstance(value, str) and value not in spec.values:
        meant = closest(value, spec.values)
        allowed = ", ".join(spec.values)
        return f"unknown value {value!r}; " + (
            f"did you mean {meant}? (one of {allowed})" if meant else f"one of {allowed}"
        )
    if spec.type is FactType.TEXT and isinstance(value, bool | int | float):
        # YAML 1.1 reads NO, yes, off as booleans: Norway's country code is the classic.
        kind = f"the boolean {str(value).lower()}" if isinstance(value, bool) else "a number"
        return f'YAML read {written} as {kind}; quote it: "{written}"'
    if spec.type is FactType.INTEGER and spec.name.endswith("_minor") and type(value) is not int:
        return "must be a whole number of minor units (cents/fen), e.g. " + _minor_example(
            value if isinstance(value, str) else written
        )
    return None


def _minor_example(amount: str) -> str:
    """`1250 for 12.50` for the amount written, when it is one."""
    text = amount.strip("'\" ")
    try:
        minor = Decimal(text) * 100
    except InvalidOperation:
        return "1250 for 12.50"
    return f"{int(minor)} for {text}" if minor.is_finite() and minor == minor.to_integral_value() else "1250 for 12.50"


def _schema_message(spec: FactSpec, value: object, field: str) -> str | None:
    """The fact schema's own message for the value (`must be a whole number, got '2'`), if it refuses it."""
    try:
        check_value(spec, value, field)
    except InvalidOrder as exc:
        return exc.message.removeprefix(f"{field}: ")
    return None
