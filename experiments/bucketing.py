"""Sticky assignment: a stable hash of (salt, unit) into 10,000 buckets.

The candidate gets the units whose bucket is below the share (in basis
points), so ramping up keeps every unit already in the candidate there and
ramping down returns only the units above the new share. The hash is SHA-256,
never Python's `hash()`: the same unit lands in the same bucket on every
replica, after restarts and across versions of Python. tests/experiments/
bucket_vectors.json pins it; changing it would reshuffle running experiments.
"""

from __future__ import annotations

import hashlib

from experiments.model import Arm

BUCKETS = 10_000
HASH_VERSION = "v1"


def bucket(salt: str, unit: str) -> int:
    """The unit's bucket in [0, 10000) for this experiment salt."""
    digest = hashlib.sha256(f"{HASH_VERSION}:{salt}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def assign(salt: str, unit: str, share_bp: int) -> Arm:
    """CANDIDATE when the unit's bucket is below the share, else BASELINE."""
    return Arm.CANDIDATE if bucket(salt, unit) < share_bp else Arm.BASELINE
