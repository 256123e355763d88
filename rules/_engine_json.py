"""Numbers written so durable_rules reads them.

durable_rules' JSON parser refuses a number with an exponent but no decimal
point (`1e-07`, `5e-324`, `1e+300`: error 204 on an order, "invalid" on a rule
set, and a crash inside a batch), which is how orjson and Python's repr write
such floats. `1.0e-07` is read, and compared, exactly. So every float the
engine sees goes through `engine_float`: most floats are returned as they
are; one whose shortest form would be an exponent without a point becomes
that form with ".0" added, as pre-serialized JSON (orjson.Fragment). Only
values change form, never text, so no string content is touched.
"""

from __future__ import annotations

from typing import Any

import orjson


def engine_float(value: float) -> float | orjson.Fragment:
    if value == 0 or 1e-4 <= abs(value) < 1e15:  # the range orjson writes without an exponent
        return value
    text = repr(value)
    if "e" in text and "." not in text:
        return orjson.Fragment(text.replace("e", ".0e").encode())
    return value


def engine_values(value: Any) -> Any:
    """`value` (nested dicts and lists) with every float made safe for the engine."""
    if isinstance(value, float):
        return engine_float(value)
    if isinstance(value, dict):
        return {k: engine_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [engine_values(v) for v in value]
    return value
