"""The CLI when things go wrong: one line that says what to do, JSON under --json, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import service.cli as cli
from service.api.server import create_server, set_serving
from service.api.settings import Settings
from service.api.wiring import App
from tests.conftest import EXAMPLES

NOWHERE = "127.0.0.1:1"


@pytest.fixture
def target(app: App, redis_url: str, tmp_path: Path) -> Iterator[str]:
    settings = Settings(redis_url=redis_url, data_dir=tmp_path, port=0, threads=4, grace_seconds=1)
    server, port, health = create_server(settings, app)
    server.start()
    set_serving(health, True)
    yield f"127.0.0.1:{port}"
    server.stop(0).wait()


def test_no_server_is_one_line_naming_the_address_and_how_to_get_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "list", "--server", NOWHERE, "--timeout", "2"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: no orderroute server answers at {NOWHERE} (")
    assert "orderroute serve" in err and "ORDERROUTE_SERVER" in err and "Traceback" not in err


def test_the_server_comes_from_orderroute_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERROUTE_SERVER", "routing.internal:7000")
    assert cli.build_parser().parse_args(["rules", "list"]).server == "routing.internal:7000"
    assert cli.build_parser().parse_args(["rules", "list", "--server", "h:1"]).server == "h:1"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("orderroute ")


@pytest.mark.parametrize("where", ["before", "after"])
def test_json_goes_before_or_after_the_command_and_errors_are_json_with_reason_and_field(
    target: str, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["rules", "audit", "fulfilment", "--limit", "-1", "--server", target]
    assert cli.main(["--json", *command] if where == "before" else [*command, "--json"]) == 1
    error = json.loads(capsys.readouterr().err)
    assert (error["code"], error["reason"], error["field"]) == ("INVALID_ARGUMENT", "INVALID_FIELD", "page_size")


def test_a_reader_that_goes_away_is_not_an_error() -> None:
    """`orderroute rules validate FILE | head -0`: the pipe is closed before the command prints."""
    command = [sys.executable, "-m", "service.cli", "rules", "validate", str(EXAMPLES / "fulfilment.yaml")]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    with child.stderr:
        err = child.stderr.read().decode()
    assert child.wait(timeout=60) == 0 and err == ""


@pytest.mark.parametrize(("written", "version"), [("3", 3), ("v3", 3), ("V12", 12)])
def test_versions_are_taken_as_the_cli_prints_them(written: str, version: int) -> None:
    assert (
        cli.build_parser().parse_args(["rules", "activate", "fulfilment", written, "--reason", "r"]).version == version
    )


def test_a_version_that_is_not_one_says_how_to_write_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["rules", "diff", "fulfilment", "v1", "latest"])
    assert done.value.code == 2 and "'latest' is not a version: write it as 3 or v3" in capsys.readouterr().err
