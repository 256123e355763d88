"""Masking an order's facts before the input log writes them: a fact path dropped, or its value replaced
by a keyed hash (HMAC-SHA256 with the server's masking key), so equal values still join across records
while the value itself never reaches storage."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rules.facts import LINE_FACTS, ORDER_FACTS

HASHED_PREFIX = "hmac:"
"""Marks a hashed value (its first 32 hex digits follow)."""


@dataclass(frozen=True, slots=True)
class Mask:
    path: str
    """A fact path: "customer.customer_id", "attributes.KEY", or "lines.FACT" for every line's."""
    hashed: bool
    """Replace the value by its keyed hash (joins still work); False: drop it."""


def parse_masks(specs: Sequence[str]) -> tuple[Mask, ...]:
    """`PATH` (dropped) or `PATH=hash` / `PATH=drop`; ValueError naming the spec that is wrong."""
    masks = []
    for spec in specs:
        path, _, how = spec.partition("=")
        path, how = path.strip(), (how.strip() or "drop")
        if how not in ("drop", "hash"):
            raise ValueError(f"{spec!r}: say =hash or =drop after the fact path")
        if not _known(path):
            raise ValueError(f"{spec!r}: {path!r} is not a fact path (e.g. customer.customer_id, lines.sku)")
        masks.append(Mask(path, how == "hash"))
    return tuple(masks)


def _known(path: str) -> bool:
    if path in ORDER_FACTS or (path.startswith("attributes.") and len(path) > len("attributes.")):
        return True
    return path.startswith("lines.") and path.removeprefix("lines.") in LINE_FACTS


def masked(facts: Mapping[str, Any], masks: Sequence[Mask], key: bytes) -> tuple[Mapping[str, Any], tuple[str, ...]]:
    """The facts with every mask applied (the original is not changed), and the paths that were there to
    mask."""
    if not masks:  # a dict as it is (the writer only reads it); facts read lazily as one
        return (facts if isinstance(facts, dict) else dict(facts)), ()
    out: dict[str, Any] = dict(facts)
    done: list[str] = []
    for mask in masks:
        head, _, rest = mask.path.partition(".")
        if head == "lines" and isinstance(out.get("lines"), list):
            lines = [dict(line) for line in out["lines"]]
            hit = [_apply(line, rest, mask, key) for line in lines]
            if any(hit):
                out["lines"] = lines
                done.append(mask.path)
        elif rest and isinstance(out.get(head), Mapping):
            inner = dict(out[head])
            if _apply(inner, rest, mask, key):
                out[head] = inner
                done.append(mask.path)
        elif not rest and _apply(out, head, mask, key):
            done.append(mask.path)
    return out, tuple(done)


def _apply(holder: dict[str, Any], name: str, mask: Mask, key: bytes) -> bool:
    if name not in holder:
        return False
    if mask.hashed:
        holder[name] = keyed_hash(holder[name], key)
    else:
        del holder[name]
    return True


def keyed_hash(value: object, key: bytes) -> str:
    digest = hmac.new(key, repr(value).encode(), hashlib.sha256).hexdigest()
    return HASHED_PREFIX + digest[:32]
