"""The order facts a rule can read, and the check every order passes.

An order is a *fact document*: nested plain data (dicts, lists, str, int,
float, bool) laid out like the `Order` message, enum values as their short
names (``"PLUS"``). A key that is absent is an unknown fact. The same document
feeds durable_rules (as JSON) and the reference interpreter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rules._errors import InvalidOrder

OrderFacts = Mapping[str, Any]
"""A fact document (see module docstring)."""


class FactType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ENUM = "enum"
    TEXT_LIST = "text list"


@dataclass(frozen=True, slots=True)
class FactSpec:
    name: str
    type: FactType
    description: str
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


ORDER_TYPES = ("NORMAL", "PRESALE", "RETURN", "EXCHANGE", "B2B")
CHANNELS = ("WEB", "APP", "MINI_PROGRAM", "LIVE_STREAM", "MARKETPLACE", "B2B", "POS")
TIERS = ("REGULAR", "PLUS", "VIP")
INVENTORY_TYPES = ("PHYSICAL", "VIRTUAL", "PRESALE")
WAREHOUSE_TYPES = ("DC", "FORWARD", "STORE", "BONDED")
ADDRESS_RISKS = ("LOW", "MEDIUM", "HIGH")

_T, _I, _N, _B, _E, _L = (
    FactType.TEXT,
    FactType.INTEGER,
    FactType.NUMBER,
    FactType.BOOLEAN,
    FactType.ENUM,
    FactType.TEXT_LIST,
)


def _specs(*specs: FactSpec) -> dict[str, FactSpec]:
    return {s.name: s for s in specs}


ORDER_FACTS: dict[str, FactSpec] = _specs(
    FactSpec("order_id", _T, "the order's id"),
    FactSpec("order_type", _E, "kind of order", ORDER_TYPES),
    FactSpec("channel", _E, "sales channel", CHANNELS),
    FactSpec("total_minor", _I, "order total in minor units", minimum=0),
    FactSpec("margin_minor", _I, "order margin in minor units (may be negative)"),
    FactSpec("currency", _T, "ISO 4217 code"),
    FactSpec("item_count", _I, "number of items", minimum=0),
    FactSpec("is_cross_border", _B, "ships across a border"),
    FactSpec("promised_hours", _I, "delivery promise in hours", minimum=0),
    FactSpec("payment_method", _T, "how the order was paid"),
    FactSpec("ship_to.country", _T, "destination country"),
    FactSpec("ship_to.province", _T, "destination province"),
    FactSpec("ship_to.city", _T, "destination city"),
    FactSpec("tags", _L, "free order tags, e.g. flash_sale"),
    FactSpec("customer.customer_id", _T, "the customer's id"),
    FactSpec("customer.tier", _E, "membership tier", TIERS),
    FactSpec("customer.repeat_purchases", _I, "completed orders before this one", minimum=0),
    FactSpec("customer.ltv_minor", _I, "lifetime value in minor units", minimum=0),
    FactSpec("customer.return_rate", _N, "share of orders returned", minimum=0, maximum=1),
    FactSpec("customer.segments", _L, "free customer segments"),
    FactSpec("risk.fraud_score", _N, "fraud score", minimum=0, maximum=1),
    FactSpec("risk.address_risk", _E, "address risk", ADDRESS_RISKS),
    FactSpec("logistics.nearest_warehouse", _T, "id of the nearest node"),
    FactSpec("logistics.logistics_cost_minor", _I, "logistics cost in minor units", minimum=0),
)
"""Order-level facts by dotted path. `attributes.KEY` is a text fact too."""

LINE_FACTS: dict[str, FactSpec] = _specs(
    FactSpec("sku", _T, "stock keeping unit"),
    FactSpec("qty", _I, "quantity", minimum=1),
    FactSpec("category", _T, "product category"),
    FactSpec("price_minor", _I, "unit price in minor units", minimum=0),
    FactSpec("cost_minor", _I, "unit cost in minor units", minimum=0),
    FactSpec("hazmat", _B, "hazardous material"),
    FactSpec("oversize", _B, "oversize item"),
    FactSpec("inventory_type", _E, "inventory kind", INVENTORY_TYPES),
)
"""Facts of one order line, read inside an any_line / all_lines / no_line scope."""

WAREHOUSE_FIELDS: dict[str, FactSpec] = _specs(
    FactSpec("id", _T, "node id"),
    FactSpec("type", _E, "node type", WAREHOUSE_TYPES),
    FactSpec("in_stock", _B, "has stock for the order"),
    FactSpec("distance_km", _N, "distance to the destination", minimum=0),
)
"""Fields of a candidate warehouse (logistics.warehouses); read by outputs, not conditions."""

MAX_LINES = 1_000
MAX_WAREHOUSES = 200
MAX_TEXT = 256
"""Characters in any text field: ids, codes, tags, attribute keys and values."""
MAX_ENTRIES = 64
"""Entries in a list of texts (tags, segments) or the attributes map."""

ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_OBJECTS = ("ship_to", "customer", "risk", "logistics")


def fact_spec(path: str) -> FactSpec | None:
    """The spec of an order-level fact path, including `attributes.KEY`."""
    spec = ORDER_FACTS.get(path)
    if spec is None and path.startswith("attributes."):
        key = path.removeprefix("attributes.")
        if ATTRIBUTE_KEY.fullmatch(key):
            return FactSpec(path, FactType.TEXT, "OMS attribute")
    return spec


def lookup(facts: OrderFacts, path: str) -> Any:
    """The value at a dotted path, or None when the fact is unknown."""
    value: Any = facts
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
        if value is None:
            return None
    return value


def check_order(doc: object, where: str = "order") -> dict[str, Any]:
    """Checks a fact document and returns it as plain dicts and lists.

    Raises InvalidOrder naming the first bad field; unknown keys are errors so
    a misspelt fact is never silently ignored.
    """
    if not isinstance(doc, Mapping):
        raise InvalidOrder(where, "must be a mapping of order facts")
    out: dict[str, Any] = {}
    for key, value in doc.items():
        path = f"{where}.{key}"
        if value is None:
            continue
        if key in _OBJECTS:
            out[key] = _check_object(value, path, key)
        elif key == "lines":
            lines = _as_list(value, path, MAX_LINES)
            out[key] = [_check_fields(line, f"{path}[{i}]", LINE_FACTS) for i, line in enumerate(lines)]
        elif key == "attributes":
            out[key] = _check_attributes(value, path)
        elif key in ORDER_FACTS:
            out[key] = check_value(ORDER_FACTS[key], value, path)
        else:
            raise InvalidOrder(path, f"unknown fact {key!r}")
    return out


def _check_object(value: object, path: str, prefix: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidOrder(path, "must be a mapping")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue
        if prefix == "logistics" and key == "warehouses":
            out[key] = [
                _check_fields(w, f"{path}.warehouses[{i}]", WAREHOUSE_FIELDS)
                for i, w in enumerate(_as_list(item, f"{path}.warehouses", MAX_WAREHOUSES))
            ]
            continue
        spec = ORDER_FACTS.get(f"{prefix}.{key}")
        if spec is None:
            raise InvalidOrder(f"{path}.{key}", f"unknown fact {key!r} in {prefix}")
        out[key] = check_value(spec, item, f"{path}.{key}")
    return out


def _check_fields(value: object, path: str, specs: Mapping[str, FactSpec]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidOrder(path, "must be a mapping")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue
        spec = specs.get(key)
        if spec is None:
            raise InvalidOrder(f"{path}.{key}", f"unknown field {key!r}")
        out[key] = check_value(spec, item, f"{path}.{key}")
    return out


def _check_attributes(value: object, path: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidOrder(path, "must be a mapping of text to text")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise InvalidOrder(f"{path}.{key}", "attributes are text")
    check_texts(value.keys(), path)
    check_texts(value.values(), path)
    return dict(value)


def _as_list(value: object, path: str, limit: int) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidOrder(path, "must be a list")
    if len(value) > limit:
        raise InvalidOrder(path, f"at most {limit} entries, got {len(value)}")
    return list(value)


def check_text(value: str, path: str) -> None:
    if len(value) > MAX_TEXT:
        raise InvalidOrder(path, f"at most {MAX_TEXT} characters, got {len(value)}")


def check_texts(values: Collection[str], path: str) -> None:
    """A list of texts or the attributes' keys or values: entries and their length bounded."""
    if len(values) > MAX_ENTRIES:
        raise InvalidOrder(path, f"at most {MAX_ENTRIES} entries, got {len(values)}")
    for value in values:
        if len(value) > MAX_TEXT:
            raise InvalidOrder(path, f"at most {MAX_TEXT} characters per entry, got {len(value)}")


def check_value(spec: FactSpec, value: object, path: str) -> Any:
    """Checks one value against its spec; returns it (ints stay ints)."""
    match spec.type:
        case FactType.TEXT:
            if not isinstance(value, str):
                raise InvalidOrder(path, f"must be text, got {_kind(value)}")
            check_text(value, path)
        case FactType.BOOLEAN:
            if not isinstance(value, bool):
                raise InvalidOrder(path, f"must be true or false, got {_kind(value)}")
        case FactType.ENUM:
            if value not in spec.values:
                raise InvalidOrder(path, f"unknown value {value!r}; one of {', '.join(spec.values)}")
        case FactType.TEXT_LIST:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise InvalidOrder(path, "must be a list of text")
            check_texts(value, path)
            return list(value)
        case FactType.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidOrder(path, f"must be a whole number, got {_kind(value)}")
            _check_range(spec, value, path)
        case FactType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InvalidOrder(path, f"must be a finite number, got {_kind(value)}")
            _check_range(spec, value, path)
    return value


WHOLE_NUMBERS = (-(2**63), 2**63 - 1)
"""What a whole number may be: a gRPC int64, and what the engine's JSON reader and orjson hold exactly."""


def _check_range(spec: FactSpec, value: float, path: str) -> None:
    if isinstance(value, int) and not WHOLE_NUMBERS[0] <= value <= WHOLE_NUMBERS[1]:
        raise InvalidOrder(path, f"must be a 64-bit whole number (-2^63 to 2^63-1), got {value}")
    if spec.minimum is not None and value < spec.minimum:
        raise InvalidOrder(path, f"must be at least {spec.minimum:g}, got {value}")
    if spec.maximum is not None and value > spec.maximum:
        raise InvalidOrder(path, f"must be at most {spec.maximum:g}, got {value}")


def _kind(value: object) -> str:
    return repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__
