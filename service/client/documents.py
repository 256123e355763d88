"""Order documents (YAML or JSON, as the CLI, the simulator and tests write them) -> Order messages.

Enum values may use their short names (`PLUS` for CUSTOMER_TIER_PLUS); an
unknown field or value is an InvalidOrder naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb

from rules import InvalidOrder


def _enum_numbers(enum: Any) -> dict[str, int]:
    """Short name -> number (CUSTOMER_TIER_PLUS -> PLUS); the UNSPECIFIED value is left out."""
    prefix = enum.DESCRIPTOR.values[0].name.removesuffix("UNSPECIFIED")
    return {v.name.removeprefix(prefix): v.number for v in enum.DESCRIPTOR.values if v.number}


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
