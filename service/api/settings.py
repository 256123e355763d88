"""Server settings: command-line flags over environment over defaults, all from one table.

`FLAGS` names, for every setting, its flag and environment variable. The
`serve` command builds its arguments from it (help texts with the defaults
below), `Settings.from_env` reads the variables, and `Settings.to_args`
writes the flags back, which is how `serve --workers` hands its own settings
to every worker. A secret (the token document) goes by environment only
(`secret_env`), never on a command line other users can read.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from rules.memo import MEMO_SIZE
from service.app.input_log import DEFAULT_KEPT, InputLogSettings
from service.app.masking import parse_masks
from service.app.webhooks import WebhookConfig, check_urls, parse_events

DEFAULT_PORT = 50051
WEBHOOK_SECRET_ENV = "ORDERROUTE_WEBHOOK_SECRET"
"""The webhook signing secret itself, instead of --webhook-secret-file (read where the server starts)."""
MASK_KEY_ENV = "ORDERROUTE_MASK_KEY"
"""The key of hashed masks itself, instead of --mask-key-file."""


class ConfigError(Exception):
    """Settings that cannot work (a data dir the embedded Redis cannot use too); the message says which
    and how to fix it."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    redis_url: str | None = None
    """None: start an embedded Redis under data_dir (service.storage.embedded)."""
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
    health_retention_days: float = 7.0
    """How long the per-minute order health counters (GetOrderHealth) are kept."""
    supervise_seconds: float = 1.0
    """How often a replica reconciles with Redis (changes also arrive at once by pub/sub) and checks guardrails."""
    results_cadence_seconds: float = 60.0
    """How often a running experiment's results are kept as a point of their history (GetResultsHistory)."""
    shadow_cadence_seconds: float = 600.0
    """How often a running candidate is replayed over its baseline's logged orders (0: never)."""
    shadow_orders: int = 20_000
    """The latest baseline orders a shadow replay reads."""
    memo_size: int = MEMO_SIZE
    """Distinct cases each compiled version remembers the engine's answer for (0: none)."""
    reuse_port: bool = False
    """Let several processes bind the same port (serve --workers)."""
    metrics_port: int | None = None
    """Serve Prometheus metrics on this port (0: any free port); None: no endpoint."""
    auth_file: Path | None = None
    """Bearer tokens and their roles (service.api.auth); None and no `tokens`: no authentication."""
    tokens: str | None = None
    """The token document itself (ORDERROUTE_TOKENS), instead of a file."""
    required_approvals: int | None = None
    """Approvals a version needs before activation or an experiment; None: 1 with authentication, else 0."""
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
    webhooks: tuple[str, ...] = ()
    """URLs that get the events (service.app.notifications) POSTed, signed; empty: no webhooks."""
    webhook_events: str = "all"
    """The event kinds sent, comma-separated."""
    webhook_secret_file: Path | None = None
    """The signing secret's file; without it, ORDERROUTE_WEBHOOK_SECRET."""
    input_log_sample: float = 1.0
    """The share of decisions the decision log with inputs keeps (0 turns it off)."""
    input_log_days: float = 7.0
    input_log_kept: int = DEFAULT_KEPT
    """Logged decisions kept per rule set (the oldest go first)."""
    masks: tuple[str, ...] = ()
    """Fact paths masked before the input log writes anything: PATH (dropped) or PATH=hash."""
    mask_key_file: Path | None = None
    """The key of hashed masks; without it, ORDERROUTE_MASK_KEY."""

    def __post_init__(self) -> None:
        for name in ("webhooks", "masks"):
            value = getattr(self, name)
            if isinstance(value, str):  # one given as text is that one
                object.__setattr__(self, name, (value,))
            elif not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then the environment (`env`, default os.environ), then `overrides` that are not None."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for flag in FLAGS:
            if flag.env and env.get(flag.env):
                values[flag.field] = flag.parse(env[flag.env])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return Settings(**values)

    def to_args(self) -> list[str]:
        """`serve` flags that reproduce these settings (the secret ones excepted: see secret_env)."""
        args: list[str] = []
        for flag in FLAGS:
            value = getattr(self, flag.field)
            if not flag.name or value == DEFAULTS[flag.field]:
                continue
            if isinstance(value, bool):
                args.append(flag.name)  # the flag says the value that is not the default
            elif flag.many:
                for each in value:
                    args += [flag.name, str(each)]
            else:
                args += [flag.name, str(value)]
        return args

    @property
    def results_cadence(self) -> timedelta:
        """How often a running experiment's results are kept (ConfigError unless positive)."""
        if not self.results_cadence_seconds > 0:
            raise ConfigError(f"--results-cadence-seconds must be more than 0, got {self.results_cadence_seconds:g}")
        return timedelta(seconds=self.results_cadence_seconds)

    @property
    def shadow_cadence(self) -> timedelta:
        """How often a running candidate is replayed (ConfigError when negative; 0: never)."""
        if self.shadow_cadence_seconds < 0 or self.shadow_orders < 0:
            raise ConfigError("--shadow-cadence-seconds and --shadow-orders must be 0 (off) or more")
        return timedelta(seconds=self.shadow_cadence_seconds)

    @property
    def memo_entries(self) -> int:
        """Entries of each version's memo (ConfigError when negative; 0: no memo)."""
        if self.memo_size < 0:
            raise ConfigError(f"--memo-size must be 0 (no memo) or more, got {self.memo_size}")
        return self.memo_size

    @property
    def approvals(self) -> int:
        """The approvals a version needs: as set, else one reviewer when people sign in with tokens."""
        if self.required_approvals is not None:
            if self.required_approvals < 0:
                raise ConfigError(f"--required-approvals must be 0 or more, got {self.required_approvals}")
            return self.required_approvals
        return 1 if self.auth_file is not None or self.tokens else 0

    def input_log(self, env: Mapping[str, str] | None = None) -> InputLogSettings:
        """The input log's settings (ConfigError naming the flag that is wrong)."""
        if not 0 <= self.input_log_sample <= 1:
            raise ConfigError(f"--input-log-sample must be from 0 to 1, got {self.input_log_sample:g}")
        if not self.input_log_days > 0:
            raise ConfigError(f"--input-log-days must be more than 0, got {self.input_log_days:g}")
        if self.input_log_kept < 0:
            raise ConfigError(f"--input-log-kept must be 0 or more, got {self.input_log_kept}")
        try:
            masks = parse_masks(self.masks)
        except ValueError as exc:
            raise ConfigError(f"--mask {exc}") from None
        key = b""
        if any(m.hashed for m in masks):
            key = self._mask_key(env)
        return InputLogSettings(
            self.input_log_sample, timedelta(days=self.input_log_days), self.input_log_kept, masks, key
        )

    def _mask_key(self, env: Mapping[str, str] | None) -> bytes:
        if self.mask_key_file is not None:
            try:
                key = self.mask_key_file.read_bytes().strip()
            except OSError as exc:
                raise ConfigError(f"--mask-key-file: cannot read {self.mask_key_file}: {exc.strerror or exc}") from None
        else:
            key = (os.environ if env is None else env).get(MASK_KEY_ENV, "").strip().encode()
        if not key:
            raise ConfigError(f"--mask PATH=hash needs a key: --mask-key-file PATH, or {MASK_KEY_ENV}")
        return key

    def webhook_config(self, env: Mapping[str, str] | None = None) -> WebhookConfig | None:
        """The webhooks to call (None: none configured), the secret read from its file or from `env`
        (default os.environ). Raises ConfigError naming the flag when a value cannot work."""
        if not self.webhooks:
            return None
        try:
            urls = check_urls(self.webhooks)
        except ValueError as exc:
            raise ConfigError(f"--webhook: {exc}") from None
        try:
            events = parse_events(self.webhook_events)
        except ValueError as exc:
            raise ConfigError(f"--webhook-events: {exc}") from None
        if self.webhook_secret_file is not None:
            try:
                secret = self.webhook_secret_file.read_bytes().strip()
            except OSError as exc:
                raise ConfigError(
                    f"--webhook-secret-file: cannot read {self.webhook_secret_file}: {exc.strerror or exc}"
                ) from None
            if not secret:
                raise ConfigError(f"--webhook-secret-file: {self.webhook_secret_file} is empty")
        else:
            secret = (os.environ if env is None else env).get(WEBHOOK_SECRET_ENV, "").strip().encode()
            if not secret:
                raise ConfigError(
                    f"--webhook needs a signing secret: --webhook-secret-file PATH, or {WEBHOOK_SECRET_ENV}"
                )
        return WebhookConfig(urls, secret, events)

    def secret_env(self) -> dict[str, str]:
        """Environment variables that carry the settings to_args leaves out."""
        return {f.env: str(getattr(self, f.field)) for f in FLAGS if not f.name and getattr(self, f.field)}


DEFAULTS: Mapping[str, Any] = {f.name: f.default for f in dataclasses.fields(Settings)}


def _words(value: str) -> tuple[str, ...]:
    return tuple(value.split())


def _flag_value(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True, slots=True)
class Flag:
    field: str
    name: str
    """The serve flag; empty for a setting given by environment only."""
    help: str
    parse: Callable[[str], Any]
    env: str = ""
    hidden: bool = False
    many: bool = False
    """The flag may be given several times; the setting is a tuple (from the environment: separated by spaces)."""


FLAGS: tuple[Flag, ...] = (
    Flag("host", "--host", "address to bind", str),
    Flag("port", "--port", "gRPC port", int),
    Flag("redis_url", "--redis-url", "use this Redis instead of the embedded one", str, "REDIS_URL"),
    Flag(
        "redis_cluster", "--redis-cluster", "the Redis URL is a cluster node", _flag_value, "ORDERROUTE_REDIS_CLUSTER"
    ),
    Flag("data_dir", "--data-dir", "embedded Redis data (ignored with a Redis URL)", Path, "ORDERROUTE_DATA_DIR"),
    Flag(
        "default_rule_set",
        "--default-rule-set",
        "rule set for requests that name none",
        str,
        "ORDERROUTE_DEFAULT_RULE_SET",
    ),
    Flag("seed_examples", "--no-seed", "do not publish the examples into an empty store", _flag_value),
    Flag("max_batch", "--max-batch", "orders per RouteBatch, outcomes per RecordOutcomes", int, "ORDERROUTE_MAX_BATCH"),
    Flag("threads", "--threads", "gRPC worker threads", int),
    Flag("grace_seconds", "--grace", "seconds in-flight calls get to finish on SIGTERM", float),
    Flag(
        "decision_ttl_days",
        "--decision-ttl-days",
        "days decision records are kept (how late an outcome may come)",
        float,
        "ORDERROUTE_DECISION_TTL_DAYS",
    ),
    Flag(
        "health_retention_days",
        "--health-retention-days",
        "days the per-minute order health counters are kept",
        float,
        "ORDERROUTE_HEALTH_RETENTION_DAYS",
    ),
    Flag("supervise_seconds", "--supervise-seconds", "seconds between reconciliations and guardrail checks", float),
    Flag(
        "results_cadence_seconds",
        "--results-cadence-seconds",
        "seconds between the points kept of a running experiment's results (the console's charts)",
        float,
    ),
    Flag(
        "shadow_cadence_seconds",
        "--shadow-cadence-seconds",
        "seconds between replays of a running candidate over its baseline's logged orders (0: never)",
        float,
    ),
    Flag("shadow_orders", "--shadow-orders", "the latest baseline orders a shadow replay reads", int),
    Flag(
        "memo_size",
        "--memo-size",
        "distinct cases each version remembers the engine's answer for (0: every order goes to the engine)",
        int,
    ),
    Flag("reuse_port", "--reuse-port", "share the port with other processes", _flag_value, hidden=True),
    Flag("metrics_port", "--metrics-port", "serve Prometheus metrics on this port (path /metrics)", int),
    Flag("auth_file", "--auth-file", "bearer tokens and roles", Path, "ORDERROUTE_AUTH_FILE"),
    Flag("tokens", "", "the token document itself", str, "ORDERROUTE_TOKENS"),
    Flag(
        "required_approvals",
        "--required-approvals",
        "reviewers who must approve a version before it goes live (default 1 with tokens, 0 without)",
        int,
        "ORDERROUTE_REQUIRED_APPROVALS",
    ),
    Flag("insecure", "--insecure", "allow a non-loopback --host without authentication", _flag_value),
    Flag(
        "tls_cert",
        "--tls-cert",
        "server certificate chain, PEM (with --tls-key: serve TLS)",
        Path,
        "ORDERROUTE_TLS_CERT",
    ),
    Flag("tls_key", "--tls-key", "server private key, PEM", Path, "ORDERROUTE_TLS_KEY"),
    Flag(
        "tls_client_ca",
        "--tls-client-ca",
        "require client certificates from this CA (mutual TLS)",
        Path,
        "ORDERROUTE_TLS_CLIENT_CA",
    ),
    Flag(
        "redis_timeout", "--redis-timeout", "seconds per Redis attempt (one retry)", float, "ORDERROUTE_REDIS_TIMEOUT"
    ),
    Flag("max_message_bytes", "--max-message-bytes", "largest request accepted", int),
    Flag("max_concurrent_rpcs", "--max-concurrent-rpcs", "calls in progress before RESOURCE_EXHAUSTED", int),
    Flag(
        "webhooks",
        "--webhook",
        "POST events to this URL, signed (repeatable)",
        _words,
        "ORDERROUTE_WEBHOOKS",
        many=True,
    ),
    Flag(
        "webhook_events",
        "--webhook-events",
        "events sent, comma-separated: activation, promotion, rollback, guardrail_abort, verdict_reached, "
        "sample_ratio_mismatch",
        str,
        "ORDERROUTE_WEBHOOK_EVENTS",
    ),
    Flag(
        "input_log_sample",
        "--input-log-sample",
        "share of decisions logged with their inputs, 0 to 1 (0: off)",
        float,
        "ORDERROUTE_INPUT_LOG_SAMPLE",
    ),
    Flag(
        "input_log_days", "--input-log-days", "days decisions with inputs are kept", float, "ORDERROUTE_INPUT_LOG_DAYS"
    ),
    Flag(
        "input_log_kept",
        "--input-log-kept",
        "decisions with inputs kept per rule set (the oldest go first)",
        int,
        "ORDERROUTE_INPUT_LOG_KEPT",
    ),
    Flag(
        "masks",
        "--mask",
        "a fact path masked before the input log writes it: PATH (dropped) or PATH=hash (repeatable)",
        _words,
        "ORDERROUTE_MASKS",
        many=True,
    ),
    Flag(
        "mask_key_file",
        "--mask-key-file",
        f"file holding the key of hashed masks (or the key itself in {MASK_KEY_ENV})",
        Path,
        "ORDERROUTE_MASK_KEY_FILE",
    ),
    Flag(
        "webhook_secret_file",
        "--webhook-secret-file",
        f"file holding the webhook signing secret (or the secret itself in {WEBHOOK_SECRET_ENV})",
        Path,
        "ORDERROUTE_WEBHOOK_SECRET_FILE",
    ),
)
"""Every setting: its flag and environment variable. A boolean flag sets the value that is not the default."""
