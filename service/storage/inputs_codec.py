"""A logged decision as stored: compact JSON with short keys (the facts as the engine read them are most
of it), the decision fields left empty and the content hash (the version names it) left out. Both
adapters of InputLogStore hold records in this form, so both store exactly what the other would."""

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
        "f": e.facts,
        "k": list(e.masked),
        "r": {k: v for k, v in e.decided.items() if v != EMPTY.get(k, "")},
        "m": list(e.matched_rules),
        "u": e.default_rule_used,
        "n": list(e.missing_facts),
    }
    return orjson.dumps(row)


def decode_logged(raw: str | bytes) -> LoggedDecision:
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
        row["f"],
        tuple(row["k"]),
        {name: row["r"].get(name, EMPTY.get(name, "")) for name in DECIDED_FIELDS},
        tuple(row["m"]),
        bool(row["u"]),
        tuple(row["n"]),
    )
