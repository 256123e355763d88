"""Masking the facts before the input log writes them: dropped or hashed with the key, the original
untouched, every line's fact for a line path, and a clear error for a path that is no fact."""

from __future__ import annotations

import pytest

from service.app.masking import HASHED_PREFIX, Mask, keyed_hash, masked, parse_masks

FACTS = {
    "order_id": "SO-1",
    "customer": {"customer_id": "C-42", "tier": "VIP"},
    "ship_to": {"city": "Hangzhou"},
    "lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}],
}


def test_paths_are_dropped_or_hashed_and_the_original_stays_as_it_was() -> None:
    masks = parse_masks(["customer.customer_id=hash", "ship_to.city", "lines.sku=hash", "risk.fraud_score"])
    out, done = masked(FACTS, masks, b"key")
    assert done == ("customer.customer_id", "ship_to.city", "lines.sku"), "a path the order lacks is not listed"
    assert out["customer"] == {"customer_id": keyed_hash("C-42", b"key"), "tier": "VIP"}
    assert out["customer"]["customer_id"].startswith(HASHED_PREFIX) and "C-42" not in str(out)
    assert out["ship_to"] == {} and [line["sku"] for line in out["lines"]] == [
        keyed_hash("A", b"key"),
        keyed_hash("B", b"key"),
    ]
    assert FACTS["customer"]["customer_id"] == "C-42" and FACTS["lines"][0]["sku"] == "A"  # type: ignore[index]
    again, _ = masked(FACTS, masks, b"key")
    assert again == out, "the same value hashes the same: joins still work"
    assert masked(FACTS, masks, b"other")[0] != out, "without the key the hash cannot be recomputed"


def test_a_mask_names_a_fact_path_and_says_how() -> None:
    assert parse_masks(["attributes.note", "order_id=drop"]) == (
        Mask("attributes.note", False),
        Mask("order_id", False),
    )
    with pytest.raises(ValueError, match=r"'customer\.nmae' is not a fact path"):
        parse_masks(["customer.nmae"])
    with pytest.raises(ValueError, match="say =hash or =drop"):
        parse_masks(["customer.customer_id=blur"])
