"""Every setting has one flag (or one variable, for a secret), and what `to_args` writes the serve command
reads back unchanged: so `serve --workers` hands its workers every setting, a new one included."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from experiments.model import DEFAULT_SHARE_BP
from service.api.settings import DEFAULTS, FLAGS, Settings
from service.api.workers import worker_command
from service.cli import build_parser
from service.cli.serve import settings_from_args


def other_than_default(field: str, default: Any) -> Any:
    """A value of the field's kind that differs from its default."""
    kind = {f.name: f.type for f in dataclasses.fields(Settings)}[field]
    if isinstance(default, bool):
        return not default
    if "Path" in str(kind):
        return Path(f"/srv/{field}")
    if "int" in str(kind):
        return (default or 0) + 7
    if "float" in str(kind):
        return (default or 0.0) + 0.25
    return f"value-of-{field}"


EVERYTHING = Settings(**{name: other_than_default(name, default) for name, default in DEFAULTS.items()})


def parsed(args: list[str], env: dict[str, str]) -> Settings:
    namespace = build_parser().parse_args(["serve", *args])
    return settings_from_args(namespace, env)


def test_every_setting_has_a_flag_or_a_variable() -> None:
    assert {flag.field for flag in FLAGS} == set(DEFAULTS)
    assert all(flag.name or flag.env for flag in FLAGS)


def test_to_args_round_trips_every_setting() -> None:
    assert parsed(EVERYTHING.to_args(), EVERYTHING.secret_env()) == EVERYTHING
    assert parsed(Settings().to_args(), {}) == Settings()
    assert Settings().to_args() == []


def test_a_secret_never_goes_on_the_command_line() -> None:
    assert EVERYTHING.tokens is not None
    assert EVERYTHING.tokens not in " ".join(EVERYTHING.to_args())
    assert EVERYTHING.secret_env() == {"ORDERROUTE_TOKENS": EVERYTHING.tokens}


def test_a_worker_gets_every_setting_on_the_parent_redis_sharing_the_port() -> None:
    command = worker_command(EVERYTHING, "unix:///tmp/redis.sock", 2)
    assert command[1:4] == ["-m", "service.cli", "serve"]
    got = parsed(command[4:], EVERYTHING.secret_env())
    want = dataclasses.replace(
        EVERYTHING,
        redis_url="unix:///tmp/redis.sock",
        reuse_port=True,
        seed_examples=False,
        metrics_port=EVERYTHING.metrics_port + 2,  # type: ignore[operator]
    )
    assert got == want


def test_the_environment_is_read_and_flags_win_over_it() -> None:
    env = {"REDIS_URL": "redis://elsewhere:6379/0", "ORDERROUTE_REDIS_CLUSTER": "yes", "ORDERROUTE_MAX_BATCH": "50"}
    from_env = parsed([], env)
    assert (from_env.redis_url, from_env.redis_cluster, from_env.max_batch) == ("redis://elsewhere:6379/0", True, 50)
    assert parsed(["--max-batch", "70"], env).max_batch == 70


def test_help_texts_state_the_defaults_they_come_from() -> None:
    serve_help = build_parser()._subparsers._group_actions[0].choices["serve"].format_help()  # type: ignore[union-attr]
    assert f"(default {Settings().threads})" in serve_help and f"(default {Settings().grace_seconds})" in serve_help
    start = build_parser().parse_args(["experiments", "start", "--rule-set", "r", "--candidate", "2", "--reason", "x"])
    assert start.traffic == DEFAULT_SHARE_BP
