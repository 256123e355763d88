"""Protobuf <-> core types. Protobuf never crosses into rules/ or experiments/.

`order_to_facts` is on the Route hot path: plain attribute reads, no
reflection beyond the field tables built once at import.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb

from rules import Decision, InvalidOrder
from rules.facts import LINE_FACTS, ORDER_FACTS, WAREHOUSE_FIELDS, FactSpec, FactType, check_value

MAX_LINES = 1_000
MAX_WAREHOUSES = 200


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

_ENUMS: Mapping[str, Mapping[int, str]] = {
    "order_type": ORDER_TYPE,
    "channel": CHANNEL,
    "customer.tier": TIER,
    "risk.address_risk": ADDRESS_RISK,
    "inventory_type": INVENTORY,
    "type": WAREHOUSE_TYPE,
}


def _optional_fields(specs: Mapping[str, FactSpec], prefix: str = "") -> tuple[tuple[str, FactSpec | None], ...]:
    """(field, spec to range-check or None) for the optional scalars of one message."""
    out = []
    for path, spec in specs.items():
        if not path.startswith(prefix) or spec.type in (FactType.ENUM, FactType.TEXT_LIST):
            continue
        name = path.removeprefix(prefix)
        if "." in name or name in ("order_id", "customer_id", "id"):
            continue
        ranged = spec if spec.minimum is not None or spec.maximum is not None or spec.type is FactType.NUMBER else None
        out.append((name, ranged))
    return tuple(out)


_ORDER_SCALARS = _optional_fields(ORDER_FACTS)
_SHIP_TO = _optional_fields(ORDER_FACTS, "ship_to.")
_CUSTOMER = _optional_fields(ORDER_FACTS, "customer.")
_RISK = _optional_fields(ORDER_FACTS, "risk.")
_LOGISTICS = _optional_fields(ORDER_FACTS, "logistics.")
_LINE = _optional_fields(LINE_FACTS)
_WAREHOUSE = _optional_fields(WAREHOUSE_FIELDS)


def _copy(msg: Any, fields: tuple[tuple[str, FactSpec | None], ...], out: dict[str, Any], where: str) -> None:
    for name, spec in fields:
        if msg.HasField(name):
            value = getattr(msg, name)
            if spec is not None:
                check_value(spec, value, f"{where}.{name}")
            out[name] = value


def _enum(value: int, names: Mapping[int, str], where: str) -> str:
    name = names.get(value)
    if name is None:
        raise InvalidOrder(where, f"unknown enum value {value}")
    return name


def order_to_facts(order: pb.Order, where: str = "order") -> dict[str, Any]:
    """The fact document of an order; raises InvalidOrder naming the bad field."""
    if not order.order_id:
        raise InvalidOrder(f"{where}.order_id", "is required")
    facts: dict[str, Any] = {"order_id": order.order_id}
    if order.order_type:
        facts["order_type"] = _enum(order.order_type, ORDER_TYPE, f"{where}.order_type")
    if order.channel:
        facts["channel"] = _enum(order.channel, CHANNEL, f"{where}.channel")
    _copy(order, _ORDER_SCALARS, facts, where)
    if order.tags:
        facts["tags"] = list(order.tags)
    if order.attributes:
        facts["attributes"] = dict(order.attributes)
    if order.HasField("ship_to"):
        ship_to: dict[str, Any] = {}
        _copy(order.ship_to, _SHIP_TO, ship_to, f"{where}.ship_to")
        facts["ship_to"] = ship_to
    if order.HasField("customer"):
        facts["customer"] = _customer(order.customer, f"{where}.customer")
    if order.HasField("risk"):
        risk: dict[str, Any] = {}
        _copy(order.risk, _RISK, risk, f"{where}.risk")
        if order.risk.address_risk:
            risk["address_risk"] = _enum(order.risk.address_risk, ADDRESS_RISK, f"{where}.risk.address_risk")
        facts["risk"] = risk
    if order.HasField("logistics"):
        facts["logistics"] = _logistics(order.logistics, f"{where}.logistics")
    if order.lines:
        if len(order.lines) > MAX_LINES:
            raise InvalidOrder(f"{where}.lines", f"at most {MAX_LINES} lines per order, got {len(order.lines)}")
        facts["lines"] = [_line(line, f"{where}.lines[{i}]") for i, line in enumerate(order.lines)]
    return facts


def _customer(customer: pb.Customer, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if customer.customer_id:
        out["customer_id"] = customer.customer_id
    if customer.tier:
        out["tier"] = _enum(customer.tier, TIER, f"{where}.tier")
    _copy(customer, _CUSTOMER, out, where)
    if customer.segments:
        out["segments"] = list(customer.segments)
    return out


def _line(line: pb.OrderLine, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _copy(line, _LINE, out, where)
    if line.inventory_type:
        out["inventory_type"] = _enum(line.inventory_type, INVENTORY, f"{where}.inventory_type")
    return out


def _logistics(logistics: pb.Logistics, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _copy(logistics, _LOGISTICS, out, where)
    if logistics.warehouses:
        if len(logistics.warehouses) > MAX_WAREHOUSES:
            raise InvalidOrder(f"{where}.warehouses", f"at most {MAX_WAREHOUSES} candidates")
        nodes = []
        for i, w in enumerate(logistics.warehouses):
            node: dict[str, Any] = {"id": w.id}
            if w.type:
                node["type"] = _enum(w.type, WAREHOUSE_TYPE, f"{where}.warehouses[{i}].type")
            _copy(w, _WAREHOUSE, node, f"{where}.warehouses[{i}]")
            nodes.append(node)
        out["warehouses"] = nodes
    return out


def decision_to_proto(decision: Decision, decision_id: str, evaluated_ns: int, micros: int) -> pb.Decision:
    at = Timestamp()
    at.FromNanoseconds(evaluated_ns)
    return pb.Decision(
        decision_id=decision_id,
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
        evaluated_at=at,
        evaluation_micros=micros,
    )


def timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def now_ns() -> int:
    return time.time_ns()


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
