"""The CLI when things go wrong: one line that says what to do, JSON under --json, never a traceback."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

import service.cli as cli
from service.cli import examples
from service.cli._common import CliError
from service.cli.limits import limit_pairs
from service.cli.limits import shown as shown_limit
from tests.conftest import EXAMPLES

NOWHERE = "127.0.0.1:1"


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


@pytest.mark.parametrize(
    ("written", "limit"),
    [
        ("exception=+1pt", 0.01),
        ("exception=0.5pt", 0.005),
        ("logistics_cost_minor=+5%", 0.05),
        ("complaint=0.005", 0.005),
    ],
)
def test_guardrail_limits_are_read_in_their_units(written: str, limit: float) -> None:
    metric = written.split("=")[0]
    assert limit_pairs([written]) == {metric: pytest.approx(limit)}
    assert limit_pairs([f"{metric}={shown_limit(metric, limit)}"]) == {metric: pytest.approx(limit)}


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("exception=1", "guardrail exception=1 would allow 100 points; write exception=+1pt"),
        ("logistics_cost_minor=5", "would allow +500%; write logistics_cost_minor=+5%"),
        ("exception=+1%", "exception is a rate, in points; write exception=+1pt"),
        ("logistics_cost_minor=+5pt", "is an amount, in percent of the baseline; write logistics_cost_minor=+5%"),
        ("exceptions=+1pt", "'exceptions': not a metric; did you mean exception?"),
        ("exception", "write METRIC=LIMIT"),
        ("exception=-1pt", "more than 0"),
    ],
)
def test_a_guardrail_limit_that_cannot_be_meant_is_refused_with_what_to_write(written: str, message: str) -> None:
    with pytest.raises(CliError, match=re.escape(message)):
        limit_pairs([written])


def test_serve_on_a_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as held:
        port = held.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert "--port N" in err


def test_every_command_s_help_ends_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert examples.attach(cli.build_parser()) == []
    with pytest.raises(SystemExit):
        cli.main(["experiments", "start", "--help"])
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-4] == "examples:" and "--guardrail exception=+1pt" in out


@pytest.mark.parametrize("command", sorted(examples.EXAMPLES))
def test_every_command_s_help_prints(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """(`experiments start --help` once failed on the % of its own default.)"""
    with pytest.raises(SystemExit) as done:
        cli.main([*command.split(), "--help"])
    assert done.value.code == 0 and "examples:" in capsys.readouterr().out


def test_a_rule_set_given_to_route_and_an_order_given_to_validate_are_recognised(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rule_set, order = EXAMPLES / "fulfilment.yaml", EXAMPLES / "orders" / "10-default.yaml"
    assert cli.main(["route", str(rule_set), "--server", NOWHERE]) == 1
    assert f"{rule_set}: this is a rule set, not an order" in capsys.readouterr().err
    assert cli.main(["rules", "validate", str(order)]) == 1
    assert (
        f"{order}: this is an order, not a rule set: route it with `orderroute route {order}`"
        in capsys.readouterr().err
    )


ORDER = EXAMPLES / "orders" / "03-repeat-customer.yaml"
OFFLINE = ["--rules", str(EXAMPLES / "fulfilment.yaml")]


def order_with(tmp_path: Path, old: str, new: str) -> Path:
    """Example 3 with one line rewritten."""
    text = ORDER.read_text()
    assert old in text
    path = tmp_path / "order.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("against", [[], OFFLINE], ids=["online", "offline"])
@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            "tier: REGULAR",
            "tier: VPI",
            "order.customer.tier: unknown value 'VPI'; did you mean VIP? (one of REGULAR, PLUS, VIP) (line 7)",
        ),
        (
            "channel: MINI_PROGRAM",
            "channel: LIVESTREAM",
            "order.channel: unknown value 'LIVESTREAM'; did you mean LIVE_STREAM? "
            "(one of WEB, APP, MINI_PROGRAM, LIVE_STREAM, MARKETPLACE, B2B, POS) (line 4)",
        ),
        (
            "order_type: NORMAL",
            "order_type: presale?",
            "order.order_type: unknown value 'presale?'; did you mean PRESALE? "
            "(one of NORMAL, PRESALE, RETURN, EXCHANGE, B2B) (line 3)",
        ),
    ],
    ids=["tier", "channel", "order_type"],
)
def test_a_misspelt_value_in_an_order_file_says_which_was_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], against: list[str], old: str, new: str, said: str
) -> None:
    order = order_with(tmp_path, old, new)
    assert cli.main(["route", str(order), "--server", NOWHERE, *against]) == 1
    assert capsys.readouterr().err == f"error: {order}: {said}\n"


@pytest.mark.parametrize(
    "command",
    [
        ["rules", "show", "fulfilmnet"],
        ["rules", "diff", "fulfilmnet", "1", "2"],
        ["route", str(ORDER), "--rule-set", "fulfilmnet"],
        ["route", str(ORDER), "--rule-set", "fulfilmnet", "--version", "1"],
        ["experiments", "start", "--rule-set", "fulfilmnet", "--candidate", "1", "--reason", "pilot"],
    ],
    ids=["rules show", "rules diff", "route", "route --version", "experiments start"],
)
def test_a_rule_set_the_server_does_not_know_says_which_was_meant(
    target: str, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert cli.main([*command, "--server", target]) == 1
    assert capsys.readouterr().err == "error: NOT_FOUND: rule set 'fulfilmnet' not found; did you mean 'fulfilment'?\n"


def test_a_rule_set_that_is_not_close_to_any_says_which_there_are(
    target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["rules", "show", "returns", "--server", target]) == 1
    assert capsys.readouterr().err == "error: NOT_FOUND: rule set 'returns' not found; the server has fulfilment\n"


@pytest.mark.parametrize("against", [[], OFFLINE], ids=["online", "offline"])
@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            "total_minor: 8800",
            'total_minor: "12.50"',
            "order.total_minor: must be a whole number of minor units (cents/fen), e.g. 1250 for 12.50 (line 5)",
        ),
        (
            "total_minor: 8800",
            "total_minor: 12.5",
            "order.total_minor: must be a whole number of minor units (cents/fen), e.g. 1250 for 12.5 (line 5)",
        ),
        (
            "currency: CNY",
            "currency: CNY\nship_to: {country: NO, city: Oslo}",
            'order.ship_to.country: YAML read NO as the boolean false; quote it: "NO" (line 7)',
        ),
        (
            "order_id: SO-1003",
            "order_id: 1003",
            'order.order_id: YAML read 1003 as a number; quote it: "1003" (line 2)',
        ),
        ("qty: 2", 'qty: "2"', "order.lines[0].qty: must be a whole number, got '2' (line 9)"),
    ],
    ids=["amount as text", "amount with cents", "NO", "id as number", "quoted count"],
)
def test_a_value_of_the_wrong_type_in_an_order_file_gets_the_rule_language_s_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], against: list[str], old: str, new: str, said: str
) -> None:
    order = order_with(tmp_path, old, new)
    assert cli.main(["route", str(order), "--server", NOWHERE, *against]) == 1
    assert capsys.readouterr().err == f"error: {order}: {said}\n"


def test_route_s_help_shows_routing_against_a_draft_and_a_published_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["route", "--help"])
    examples_part = capsys.readouterr().out.split("examples:")[-1]
    assert "--rules my-rules.yaml" in examples_part and "--version v2" in examples_part


def test_an_experiment_declares_a_metric_of_its_own_and_guards_it(
    target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
    with grpc.insecure_channel(target) as channel:
        pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(pb.PublishRuleSetRequest(source=candidate, author="ana"))
    start = ["experiments", "start", "--rule-set", "fulfilment", "--candidate", "2", "--reason", "pilot"]
    declare = ["--metric", "inquiries:count:lower", "--guardrail", "inquiries=+10%", "--server", target, "--json"]
    assert cli.main([*start, *declare]) == 0
    started = json.loads(capsys.readouterr().out)["experiment"]
    assert started["metrics"] == [{"name": "inquiries", "kind": "METRIC_KIND_COUNT", "min_effect": 0.05}]
    assert [g["metric"] for g in started["guardrails"]][-2:] == ["logistics_cost_minor", "inquiries"]  # defaults stay
    assert cli.main(["experiments", "show", started["id"], "--server", target]) == 0
    shown = capsys.readouterr().out
    assert "inquiries +10%" in shown and "declares inquiries (count, lower is better)" in shown


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("inquiries:cont:lower", "did you mean count?"),
        ("inquiries:count", "write NAME:KIND:BETTER"),
        ("nps:amount:up", "BETTER higher or lower"),
    ],
)
def test_a_declaration_that_cannot_be_read_says_how_to_write_it(
    written: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["experiments", "start", "--rule-set", "x", "--candidate", "2", "--reason", "r", "--metric", written]
    assert cli.main([*args, "--server", "127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_reviews_from_the_cli(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    candidate = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
    with grpc.insecure_channel(target) as channel:
        pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(pb.PublishRuleSetRequest(source=candidate, author="ana"))
    review = ["rules", "review", "fulfilment", "v2", "--server", target]
    assert cli.main([*review, "--approve", "--actor", "ana"]) == 1
    assert "ana published version 2 of 'fulfilment'; another reviewer must review it" in capsys.readouterr().err
    assert cli.main([*review, "--reject", "--actor", "rita"]) == 1
    assert capsys.readouterr().err == (
        "error: INVALID_ARGUMENT: comment: is required when rejecting: say what the author should change\n"
    )
    assert cli.main([*review, "--reject", "--comment", "threshold too low", "--actor", "rita"]) == 0
    assert capsys.readouterr().out == "fulfilment version 2: rejected by rita: threshold too low\n"
    assert cli.main(["rules", "list", "--server", target]) == 0
    assert "rejected by rita: threshold too low" in capsys.readouterr().out
