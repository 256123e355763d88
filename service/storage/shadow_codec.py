"""A shadow replay as stored: the report as compact JSON, arrays for its rows. Both adapters of
ExperimentStore hold it in this form, so both give back exactly what the other would."""

from __future__ import annotations

from typing import Any

import orjson

from rules.replay import Example, OutcomeFigure, OutcomeGroup, ReplayReport, Segment
from service.storage.codec import time_from_stored, time_to_ms
from service.storage.records import ShadowRecord


def encode_shadow(s: ShadowRecord) -> bytes:
    r = s.report
    row = {
        "at": time_to_ms(s.computed_at),
        "since": time_to_ms(s.since),
        "limit": s.limit,
        "replayed": r.replayed,
        "changed": r.changed,
        "interval": list(r.changed_interval),
        "not_reproduced": r.not_reproduced,
        "mismatches": [list(m) for m in r.not_reproduced_examples],
        "transitions": {name: [[a, b, n] for (a, b), n in counts.items()] for name, counts in r.transitions.items()},
        "segments": [[g.fact, g.value, g.replayed, g.changed] for g in r.segments],
        "causes": [list(c) for c in r.causes],
        "examples": [
            [*kind, [[e.order_id, e.decision_id, e.before, e.after] for e in examples]]
            for kind, examples in r.examples.items()
        ],
        "outcomes": [
            [g.group, g.field, g.value, [[f.metric, f.reports, f.mean] for f in g.figures]] for g in r.outcomes
        ],
    }
    return orjson.dumps(row)


def decode_shadow(raw: str | bytes) -> ShadowRecord:
    row: dict[str, Any] = orjson.loads(raw)
    low, high = row["interval"]
    report = ReplayReport(
        row["replayed"],
        row["changed"],
        (low, high),
        row["not_reproduced"],
        tuple((d, why) for d, why in row["mismatches"]),
        {name: {(a, b): n for a, b, n in counts} for name, counts in row["transitions"].items()},
        tuple(Segment(*g) for g in row["segments"]),
        tuple((rule, n) for rule, n in row["causes"]),
        {(f, a, b): tuple(Example(*e) for e in examples) for f, a, b, examples in row["examples"]},
        tuple(
            OutcomeGroup(group, name, value, tuple(OutcomeFigure(*f) for f in figures))
            for group, name, value, figures in row["outcomes"]
        ),
    )
    return ShadowRecord(time_from_stored(row["at"]), time_from_stored(row["since"]), row["limit"], report)
