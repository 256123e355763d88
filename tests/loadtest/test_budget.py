"""The per-call CPU budget: samples are given to the right part of a call, and a short run adds up."""

from __future__ import annotations

import json
from pathlib import Path

from loadtest import budget


def test_a_sample_belongs_to_the_innermost_frame_it_recognises() -> None:
    raw = "\n".join(
        [
            "_serve (grpc/_server.py:1314);Route (service/api/routing_service.py:60);"
            "evaluate_many (rules/engine.py:101);key (<canonical key>:3) 7",
            "_serve (grpc/_server.py:1314);Route (service/api/routing_service.py:60) 2",
            "_run (service/app/decision_log.py:90);execute (redis/client.py:2234) 3",
            "_serve (grpc/_server.py:1314) 5",
            "<module> (somewhere.py:1) 1",
            "_serve (grpc/_server.py:1314);RouteBatch (service/api/routing_service.py:58);"
            "read (service/api/order_keys.py:80);read (<order reader read>:12) 4",
            "_serve (grpc/_server.py:1314);RouteBatch (service/api/routing_service.py:70);"
            "fill (service/api/decisions.py:30);__call__ (rules/per_decision.py:25) 6",
        ]
    )
    assert budget.parse_raw(raw) == {
        "order reading and key": 7 + 4,
        "response": 6,
        "service edge": 2,
        "decision record and input log": 3,
        "gRPC (Python side)": 5,
        budget.OTHER: 1,
    }


def test_a_short_run_profiles_the_service_and_the_echo(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    assert budget.main(["--seconds", "2", "--json", str(out), "--raw", str(tmp_path / "raw")]) == 0
    figures = json.loads(out.read_text())
    names = [part for part, _ in budget.PARTS] + [budget.OTHER, budget.OUTSIDE]
    for side in ("service", "input_log_off", "echo"):
        total = figures[f"route_16_{side}_total"]
        parts = sum(figures.get(f"route_16_{side}_{name}", 0.0) for name in names)
        # Outside the GIL is the process's CPU less the sampled Python: the parts add up to it, unless
        # sampling counted more Python than /proc did (then outside is 0 and they exceed it a little).
        assert total > 0 and total * (1 - 1e-9) <= parts <= total * 1.25
    assert figures["route_16_service_memo and engine"] > 0 and "route_16_echo_memo and engine" not in figures
