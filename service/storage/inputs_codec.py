"""A logged decision as stored: compact JSON with short keys, the decision fields left empty and the
content hash (the version names it) left out; then the order itself, either as the facts the engine read
(in the JSON: how masked facts are kept) or, after a newline, as the request's protobuf serialization
(the cheapest exact form: no JSON of the facts to make while routing goes on). Both adapters of
InputLogStore hold records in this form, so both store exactly what the other would."""

from __future__ import annotations

import orjson

from experiments import Arm
from service.storage.records import DECIDED_FIELDS, LoggedDecision

EMPTY: dict[str, object] = {"priority_pickup": False, "holds": [], "tags": [], "avoid_warehouse_types": []}
"""A decision field's value when nothing set it (the other fields: "")."""


def encode_logged(e: LoggedDecision) -> bytes:
    row = {
        "d": e.decision_id,
        "s": e.rule_set,
        "v": e.version,
        "t": e.at_ms,
        "o": e.order_id,
        "x": e.experiment_id,
        "a": str(e.arm) if e.arm is not None else "",
        **({} if e.order else {"f": e.facts}),
        "k": list(e.masked),
        "r": {k: v for k, v in e.decided.items() if v != EMPTY.get(k, "")},
        "m": list(e.matched_rules),
        "u": e.default_rule_used,
        "n": list(e.missing_facts),
    }
    # The order's protobuf follows the JSON after a newline (orjson never writes one unescaped).
    return orjson.dumps(row) + b"\n" + e.order if e.order else orjson.dumps(row)


def decode_logged(raw: str | bytes) -> LoggedDecision:
    order = b""
    if isinstance(raw, bytes) and b"\n" in raw:
        raw, _, order = raw.partition(b"\n")
    row = orjson.loads(raw)
    return LoggedDecision(
        row["d"],
        row["s"],
        int(row["v"]),
        "",  # the content hash: the version names it (the reader asks the catalog)
        int(row["t"]),
        row["o"],
        row["x"],
        Arm(row["a"]) if row["a"] else None,
        row.get("f", {}),
        tuple(row["k"]),
        {name: row["r"].get(name, EMPTY.get(name, "")) for name in DECIDED_FIELDS},
        tuple(row["m"]),
        bool(row["u"]),
        tuple(row["n"]),
        order,
    )
