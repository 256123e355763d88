"""Two or three examples at the end of every command's --help, kept in one table so none is missing
(tests/service/cli/test_messages.py walks the parser)."""

from __future__ import annotations

import argparse

EXAMPLES: dict[str, tuple[str, ...]] = {
    "serve": (
        "orderroute serve",
        "orderroute serve --port 50052 --redis-url redis://10.0.0.5:6379/0",
        "orderroute serve --console-port 0      # no web console on this replica",
    ),
    "console": (
        "orderroute console --server routing.internal:50051",
        "orderroute console --server 127.0.0.1:50051 --port 8081",
    ),
    "bench": ("orderroute bench --quick", "orderroute bench --json bench.json"),
    "route": (
        "orderroute route order.yaml",
        "orderroute route order.json --rule-set fulfilment --json",
        "orderroute route order.yaml --rules my-rules.yaml               # offline, against a draft rule set file",
        "orderroute route order.yaml --rule-set fulfilment --version v2  # locally, against a published version",
    ),
    "health": ("orderroute health", "ORDERROUTE_SERVER=routing.internal:50051 orderroute health"),
    "health-report": (
        "orderroute health-report fulfilment",
        "orderroute health-report fulfilment --since 1d --bucket 1h",
        "orderroute health-report fulfilment --since 2026-12-01T08:00 --until 2026-12-01T12:00 --bucket 1m --json",
    ),
    "rules insights": (
        "orderroute rules insights fulfilment",
        "orderroute rules insights fulfilment --since 7d",
        "orderroute rules insights fulfilment --version 3 --json",
    ),
    "rules replay": (
        "orderroute rules replay fulfilment --candidate v3",
        "orderroute rules replay fulfilment --candidate my-draft.yaml --since 1d --by channel,customer.tier",
        "orderroute rules replay fulfilment --candidate 3 --limit 20000 --json",
    ),
    "decisions show": (
        "orderroute decisions show SO-1003                  # its latest decision under each rule set",
        "orderroute decisions show SO-1003 --rule-set fulfilment --json",
        "orderroute decisions show 3f2a9c41d0e7-1a           # one decision, by its id",
    ),
    "simulate": ("orderroute simulate --scenario improve", "orderroute simulate --scenario harm --orders 5000"),
    "rules validate": ("orderroute rules validate fulfilment.yaml", "orderroute rules validate fulfilment.yaml --json"),
    "rules test": ("orderroute rules test fulfilment.yaml",),
    "rules publish": (
        "orderroute rules publish fulfilment.yaml --comment 'express from 2 repeats'",
        "orderroute rules publish fulfilment.yaml --author ana",
    ),
    "rules activate": (
        "orderroute rules activate fulfilment v3 --reason 'reviewed by ana'",
        "orderroute rules activate fulfilment 2 --reason 'roll back: exceptions up'",
    ),
    "rules review": (
        "orderroute rules review fulfilment v3 --approve --comment 'checked the express threshold'",
        "orderroute rules review fulfilment v3 --reject --comment 'test case 4 still expects 3 repeats'",
    ),
    "rules list": ("orderroute rules list", "orderroute rules list --json"),
    "rules show": ("orderroute rules show fulfilment", "orderroute rules show fulfilment --version v2 --source"),
    "rules diff": ("orderroute rules diff fulfilment v2 v3", "orderroute rules diff fulfilment v2 v3 --source"),
    "rules audit": ("orderroute rules audit fulfilment", "orderroute rules audit fulfilment --limit 200 --json"),
    "experiments start": (
        "orderroute experiments start --rule-set fulfilment --candidate v3 --reason 'express from 2 repeats'",
        "orderroute experiments start --rule-set fulfilment --candidate v3 --traffic 10 --reason pilot "
        "--guardrail exception=+1pt --guardrail logistics_cost_minor=+5%",
        "orderroute experiments start --rule-set fulfilment --candidate v3 --reason pilot "
        "--metric inquiries:count:lower --guardrail inquiries=+10%",
    ),
    "experiments ramp": ("orderroute experiments ramp exp-1 --traffic 10 --reason 'guardrails quiet for a day'",),
    "experiments pause": ("orderroute experiments pause exp-1 --reason 'carrier outage'",),
    "experiments resume": ("orderroute experiments resume exp-1 --reason 'carrier back'",),
    "experiments promote": ("orderroute experiments promote exp-1 --reason 'on-time +4pt, guardrails quiet'",),
    "experiments rollback": ("orderroute experiments rollback exp-1 --reason 'no gain after two weeks'",),
    "experiments abort": ("orderroute experiments abort exp-1 --reason 'complaints from one region'",),
    "experiments results": ("orderroute experiments results exp-1", "orderroute experiments results exp-1 --json"),
    "experiments show": ("orderroute experiments show exp-1",),
    "experiments list": ("orderroute experiments list", "orderroute experiments list --json"),
}


def attach(parser: argparse.ArgumentParser, path: str = "") -> list[str]:
    """Puts each command's examples at the end of its help; returns the commands that have none."""
    missing = []
    for action in parser._actions:  # argparse keeps its subcommands here
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, child in action.choices.items():
            command = f"{path} {name}".strip()
            if any(isinstance(a, argparse._SubParsersAction) for a in child._actions):
                missing += attach(child, command)
                continue
            lines = EXAMPLES.get(command)
            if not lines:
                missing.append(command)
                continue
            child.formatter_class = argparse.RawDescriptionHelpFormatter
            child.epilog = "examples:\n" + "\n".join(f"  {line}" for line in lines)
    return missing
