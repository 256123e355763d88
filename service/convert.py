"""Protobuf <-> core types. Protobuf never crosses into rules/ or experiments/.

`order_to_facts` is on the Route hot path: plain attribute reads, no
reflection beyond the field tables built once at import.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Collection, Mapping
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb

from rules import Decision, InvalidOrder
from rules.facts import LINE_FACTS, ORDER_FACTS, WAREHOUSE_FIELDS, FactSpec, FactType

MAX_LINES = 1_000
MAX_WAREHOUSES = 200
MAX_TEXT = 256
"""Characters in any text field: ids, codes, tags, attribute keys and values."""
MAX_ENTRIES = 64
"""Entries in a list of texts (tags, segments) or the attributes map."""


def _enum_names(enum: Any) -> dict[int, str]:
    """Proto enum number -> short name (CUSTOMER_TIER_PLUS -> PLUS); 0 is absent."""
    prefix = enum.DESCRIPTOR.values[0].name.removesuffix("UNSPECIFIED")
    return {v.number: v.name.removeprefix(prefix) for v in enum.DESCRIPTOR.values if v.number}


def _enum_numbers(enum: Any) -> dict[str, int]:
    return {name: number for number, name in _enum_names(enum).items()}


ORDER_TYPE = _enum_names(pb.OrderType)
CHANNEL = _enum_names(pb.Channel)
TIER = _enum_names(pb.CustomerTier)
INVENTORY = _enum_names(pb.InventoryType)
WAREHOUSE_TYPE = _enum_names(pb.WarehouseType)
ADDRESS_RISK = _enum_names(pb.AddressRisk)
REVIEW_NUMBER = _enum_numbers(pb.Review)
WAREHOUSE_TYPE_NUMBER = _enum_numbers(pb.WarehouseType)


class _Converter:
    """Turns one message type into a fact document, reading only the fields that are set.

    `ListFields()` returns just the present fields in one call, so the cost
    follows what the OMS sent, not the size of the schema. Each field has a
    prepared handler: copy, range-check, map an enum number to its name, or
    recurse into a nested message.
    """

    def __init__(
        self,
        descriptor: Any,
        specs: Mapping[str, FactSpec],
        enums: Mapping[str, Mapping[int, str]] = {},
        nested: Mapping[str, _Converter] = {},
        limits: Mapping[str, int] = {},
    ) -> None:
        self.name = descriptor.name
        self.descriptor = descriptor
        self.handlers: dict[int, tuple[str, str, Any]] = {}
        for field in descriptor.fields:
            name = field.name
            if name in nested:
                kind = "messages" if field.is_repeated else "message"
                self.handlers[field.number] = (kind, name, (nested[name], limits.get(name, 0)))
            elif name in enums:
                self.handlers[field.number] = ("enum", name, enums[name])
            elif field.message_type is not None:  # a map
                self.handlers[field.number] = ("map", name, None)
            elif field.is_repeated:
                self.handlers[field.number] = ("list", name, None)
            elif field.type == field.TYPE_STRING:
                self.handlers[field.number] = ("text", name, None)
            else:
                spec = specs.get(name)
                if spec is not None and (
                    spec.minimum is not None or spec.maximum is not None or spec.type is FactType.NUMBER
                ):
                    # Finite bounds even when the spec has none, so infinities are refused too.
                    bounds = (
                        -sys.float_info.max if spec.minimum is None else spec.minimum,
                        sys.float_info.max if spec.maximum is None else spec.maximum,
                    )
                    self.handlers[field.number] = ("checked", name, bounds)
                else:
                    self.handlers[field.number] = ("plain", name, None)

    def convert(self, message: Any, where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field, value in message.ListFields():
            kind, name, extra = self.handlers[field.number]
            if kind == "plain":
                out[name] = value
            elif kind == "text":
                if len(value) > MAX_TEXT:
                    raise InvalidOrder(f"{where}.{name}", f"at most {MAX_TEXT} characters, got {len(value)}")
                out[name] = value
            elif kind == "checked":
                low, high = extra
                # NaN fails both comparisons, so it is caught by `not (low <= value)`.
                if not (low <= value <= high):
                    raise InvalidOrder(f"{where}.{name}", _out_of_range(low, high, value))
                out[name] = value
            elif kind == "enum":
                label = extra.get(value)
                if label is None:
                    raise InvalidOrder(f"{where}.{name}", f"unknown enum value {value}")
                out[name] = label
            elif kind == "message":
                out[name] = extra[0].convert(value, f"{where}.{name}")
            elif kind == "messages":
                converter, limit = extra
                if limit and len(value) > limit:
                    raise InvalidOrder(f"{where}.{name}", f"at most {limit} entries, got {len(value)}")
                out[name] = [converter.convert(item, f"{where}.{name}[{i}]") for i, item in enumerate(value)]
            elif kind == "map":
                _check_texts(value.keys(), f"{where}.{name}")
                _check_texts(value.values(), f"{where}.{name}")
                out[name] = dict(value)
            else:
                _check_texts(value, f"{where}.{name}")
                out[name] = list(value)
        return out

    def fast(self) -> Callable[[Any], dict[str, Any]]:
        """`convert` generated as straight-line code for this message type (nested types too), for
        valid input: each field read as an attribute (~25% cheaper than ListFields() on a typical
        order), no field paths built. It raises a bare ValueError on bad input; `order_to_facts`
        then runs `convert` for the error naming the field, so the errors are exactly the readable
        converter's. Presence is ListFields()'s: a field with presence counts when set (a truthy
        value is set, so HasField is asked only of falsy ones), one without when not its default."""
        namespace: dict[str, Any] = {"MAX_TEXT": MAX_TEXT, "MAX_ENTRIES": MAX_ENTRIES}
        code = ["def convert(message):", "    out = {}"]
        fields = {field.number: field for field in self.descriptor.fields}
        for number, (kind, name, extra) in sorted(self.handlers.items()):
            field = fields[number]
            if field.is_repeated or not field.has_presence:
                code += [f"    value = message.{name}", "    if value:"]
            elif field.message_type is not None:
                code += [f"    if message.HasField({name!r}):", f"        value = message.{name}"]
            else:
                code += [f"    value = message.{name}", f"    if value or message.HasField({name!r}):"]
            body: list[str]
            if kind == "plain":
                body = [f"out[{name!r}] = value"]
            elif kind == "text":
                body = ["if len(value) > MAX_TEXT: raise ValueError", f"out[{name!r}] = value"]
            elif kind == "checked":
                namespace[f"LOW_{number}"], namespace[f"HIGH_{number}"] = extra
                body = [f"if not (LOW_{number} <= value <= HIGH_{number}): raise ValueError", f"out[{name!r}] = value"]
            elif kind == "enum":
                namespace[f"ENUM_{number}"] = extra
                body = [f"out[{name!r}] = ENUM_{number}[value]"]  # KeyError on an unknown number
            elif kind == "message":
                namespace[f"NESTED_{number}"] = extra[0].fast()
                body = [f"out[{name!r}] = NESTED_{number}(value)"]
            elif kind == "messages":
                converter, limit = extra
                namespace[f"NESTED_{number}"] = converter.fast()
                body = [f"if len(value) > {limit}: raise ValueError"] if limit else []
                body.append(f"out[{name!r}] = [NESTED_{number}(item) for item in value]")
            elif kind == "map":
                body = [
                    "if len(value) > MAX_ENTRIES: raise ValueError",
                    "for k, v in value.items():",
                    "    if len(k) > MAX_TEXT or len(v) > MAX_TEXT: raise ValueError",
                    f"out[{name!r}] = dict(value)",
                ]
            else:
                body = [
                    "if len(value) > MAX_ENTRIES: raise ValueError",
                    "for v in value:",
                    "    if len(v) > MAX_TEXT: raise ValueError",
                    f"out[{name!r}] = list(value)",
                ]
            code += [f"        {line}" for line in body]
        code.append("    return out")
        exec(compile("\n".join(code), f"<converter {self.name}>", "exec"), namespace)  # our own code
        converted: Callable[[Any], dict[str, Any]] = namespace["convert"]
        return converted


def _check_texts(values: Collection[str], where: str) -> None:
    if len(values) > MAX_ENTRIES:
        raise InvalidOrder(where, f"at most {MAX_ENTRIES} entries, got {len(values)}")
    for value in values:
        if len(value) > MAX_TEXT:
            raise InvalidOrder(where, f"at most {MAX_TEXT} characters per entry, got {len(value)}")


def _out_of_range(low: float, high: float, value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return f"must be a finite number, got {value}"
    return f"must be at least {low:g}, got {value}" if value < low else f"must be at most {high:g}, got {value}"


def _under(prefix: str) -> dict[str, FactSpec]:
    return {path.removeprefix(prefix): spec for path, spec in ORDER_FACTS.items() if path.startswith(prefix)}


_ORDER = _Converter(
    pb.Order.DESCRIPTOR,
    ORDER_FACTS,
    enums={"order_type": ORDER_TYPE, "channel": CHANNEL},
    nested={
        "ship_to": _Converter(pb.Address.DESCRIPTOR, _under("ship_to.")),
        "customer": _Converter(pb.Customer.DESCRIPTOR, _under("customer."), enums={"tier": TIER}),
        "risk": _Converter(pb.Risk.DESCRIPTOR, _under("risk."), enums={"address_risk": ADDRESS_RISK}),
        "logistics": _Converter(
            pb.Logistics.DESCRIPTOR,
            _under("logistics."),
            nested={
                "warehouses": _Converter(pb.Warehouse.DESCRIPTOR, WAREHOUSE_FIELDS, enums={"type": WAREHOUSE_TYPE})
            },
            limits={"warehouses": MAX_WAREHOUSES},
        ),
        "lines": _Converter(pb.OrderLine.DESCRIPTOR, LINE_FACTS, enums={"inventory_type": INVENTORY}),
    },
    limits={"lines": MAX_LINES},
)


_FAST_ORDER = _ORDER.fast()


def order_to_facts(order: pb.Order, where: str = "order") -> dict[str, Any]:
    """The fact document of an order; raises InvalidOrder naming the bad field."""
    if not order.order_id:
        raise InvalidOrder(f"{where}.order_id", "is required")
    try:
        return _FAST_ORDER(order)
    except (ValueError, KeyError):
        return _ORDER.convert(order, where)  # raises the error that names the field


class DecisionMessages:
    """The protobuf form of each Decision, built once: the engine shares one Decision among the
    orders that match alike, so a response copies a finished message (C code) instead of
    building ~20 fields in Python per order."""

    def __init__(self, capacity: int = 16_384) -> None:
        self._capacity = capacity
        self._by_id: dict[int, tuple[Decision, pb.Decision]] = {}

    def template(self, decision: Decision) -> pb.Decision:
        entry = self._by_id.get(id(decision))
        if entry is None or entry[0] is not decision:  # an id can be reused once a decision is gone
            if len(self._by_id) >= self._capacity:
                self._by_id.clear()
            entry = (decision, decision_to_proto(decision))
            self._by_id[id(decision)] = entry
        return entry[1]


def decision_to_proto(decision: Decision) -> pb.Decision:
    """The decision's own fields; the router adds id, time, arm and experiment per order."""
    return pb.Decision(
        path=decision.path,
        risk_review=REVIEW_NUMBER[decision.risk_review],  # type: ignore[arg-type]
        credit_review=REVIEW_NUMBER[decision.credit_review],  # type: ignore[arg-type]
        warehouse=decision.warehouse,
        warehouse_node=decision.warehouse_node,
        carrier=decision.carrier,
        priority_pickup=decision.priority_pickup,
        cs_queue=decision.cs_queue,
        holds=decision.holds,
        tags=decision.tags,
        avoid_warehouse_types=[WAREHOUSE_TYPE_NUMBER[t] for t in decision.avoid_warehouse_types],  # type: ignore[misc]
        rule_set=decision.rule_set,
        version=decision.version,
        content_hash=decision.content_hash,
        matched_rules=decision.matched_rules,
        default_rule_used=decision.default_rule_used,
        missing_facts=decision.missing_facts,
        decided_by=decision.decided_by,
    )


def timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


# ---------------------------------------------------------------- documents -> proto (CLI, tests)

_SHORT_ENUMS: Mapping[str, Any] = {
    "order_type": pb.OrderType,
    "channel": pb.Channel,
    "tier": pb.CustomerTier,
    "inventory_type": pb.InventoryType,
    "type": pb.WarehouseType,
    "address_risk": pb.AddressRisk,
}


def order_from_document(doc: Mapping[str, Any]) -> pb.Order:
    """An Order message from a fact document (YAML/JSON), short enum names allowed."""
    order = pb.Order()
    _fill(order, doc, "order")
    return order


def _fill(message: Any, doc: Mapping[str, Any], where: str) -> None:
    fields = message.DESCRIPTOR.fields_by_name
    for key, value in doc.items():
        path = f"{where}.{key}"
        field = fields.get(key)
        if field is None:
            raise InvalidOrder(path, f"unknown field {key!r}")
        if value is None:
            continue
        try:
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                getattr(message, key).update({str(k): str(v) for k, v in value.items()})
            elif field.message_type is not None:
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        _fill(getattr(message, key).add(), item, f"{path}[{i}]")
                else:
                    _fill(getattr(message, key), value, path)
            elif key in _SHORT_ENUMS and isinstance(value, str):
                setattr(message, key, _enum_value(_SHORT_ENUMS[key], value, path))
            elif isinstance(value, list):
                getattr(message, key).extend(value)
            else:
                setattr(message, key, value)
        except (TypeError, ValueError, AttributeError) as exc:
            raise InvalidOrder(path, str(exc)) from None


def _enum_value(enum: Any, name: str, where: str) -> int:
    numbers = _enum_numbers(enum)
    if name in numbers:
        return numbers[name]
    try:
        return int(enum.Value(name))
    except ValueError:
        raise InvalidOrder(where, f"unknown value {name!r}; one of {', '.join(numbers)}") from None
