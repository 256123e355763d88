"""Where one call's CPU goes: the service and the echo under the harness's load, sampled with py-spy.

    python -m loadtest.budget [--seconds 20] [--json PATH] [--raw DIR]

Starts a real redis-server, the service (`orderroute serve`: the decision log with inputs on, its
metrics endpoint on, an experiment on 10% of traffic), the same service with the input log off, and the
echo (loadtest/echo.py), and drives each in turn with the harness's realistic stream: Route at 16 calls
in flight, then RouteBatch of 100 at 4.
While it runs, py-spy samples the thread that holds the GIL (`--gil --nonblocking`): every sample is
Python work, attributed to the part of a call it belongs to by the innermost frame it recognises.
What the process spent beside that (/proc: all its threads) is "outside the GIL": gRPC's C core moving
bytes, Redis's socket calls, the kernel. Reported per call, in µs of CPU, for each of the three.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loadtest._figures import emit
from loadtest.bench import Process, Run, drive, requests, start_echo, start_experiment, start_service
from service.storage.local_redis import free_port, start_redis

PY_SPY = str(Path(sys.executable).with_name("py-spy"))
"""py-spy beside this Python (pip install py-spy; the dev extras have it)."""
RATE = 500
"""Samples per second."""
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # (part, frame markers): the innermost frame carrying a marker decides.
    ("memo and engine", ("rules/engine.py", "rules/memo.py", "rules/combine.py", "<document plan", "durable")),
    (
        "order reading and key",
        (
            "service/api/orders.py",
            "service/api/order_keys.py",
            "<order reader",
            "<converter ",
            "rules/facts.py",
            "<canonical ",
        ),
    ),
    (
        "decision record and input log",
        (
            "service/app/decision_log.py",
            "service/app/input_log.py",
            "masking.py",
            "service/storage/",
            "(redis/",
            "inputs_codec",
        ),
    ),
    ("telemetry", ("service/telemetry/", "(opentelemetry/", "prometheus")),
    ("auth and admission", ("service/api/auth.py", "service/api/admission.py")),
    ("response", ("service/api/messages.py", "service/api/decisions.py", "_serialize_response", "SerializeToString")),
    ("arm and routing", ("service/app/routing.py", "service/app/gray.py", "(experiments/")),
    ("service edge", ("service/api/",)),
    ("request parsing", ("_deserialize_request", "FromString", "ParseFromString")),
    ("gRPC (Python side)", ("(grpc/", "(grpc_health/", "(concurrent/futures/", "(threading.py")),
)
OTHER = "other Python"
OUTSIDE = "outside the GIL (gRPC core, sockets, kernel)"


def part_of(stack: Sequence[str]) -> str:
    """The part a sampled stack (outermost first) belongs to."""
    for frame in reversed(stack):
        for part, markers in PARTS:
            if any(marker in frame for marker in markers):
                return part
    return OTHER


def parse_raw(text: str) -> Counter[str]:
    """py-spy's raw (collapsed) output: `frame;frame;... count` per line -> samples per part."""
    parts: Counter[str] = Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            parts[part_of(stack.split(";"))] += int(count)
    return parts


def profile(
    server: Process, batch: bool, seconds: float, singles: list[Any], batches: list[Any], out: Path
) -> dict[str, float]:
    """µs of CPU per call per part while the server is driven for `seconds`."""
    record = [
        PY_SPY,
        "record",
        "--pid",
        str(server.process.pid),
        "--gil",
        "--nonblocking",
        "--rate",
        str(RATE),
        "--format",
        "raw",
        "--duration",
        str(int(seconds)),
        "--output",
        str(out),
        "--subprocesses",
    ]
    result: list[Run] = []

    def load() -> None:
        if batch:
            result.append(drive(server, batches, "RouteBatch", 4, seconds, 100))
        else:
            result.append(drive(server, singles, "Route", 16, seconds, 1))

    driver = threading.Thread(target=load)
    driver.start()
    subprocess.run(record, check=True, capture_output=True)
    driver.join()
    (run,) = result
    samples = parse_raw(out.read_text())
    per_call = {part: n / RATE / run.calls * 1e6 for part, n in samples.items()}
    total = run.cpu_seconds / run.calls * 1e6
    per_call[OUTSIDE] = max(0.0, total - sum(per_call.values()))
    per_call["total"] = total
    per_call["calls_per_s"] = run.calls_per_s
    return per_call


def table(service: dict[str, float], without_log: dict[str, float], echo: dict[str, float]) -> str:
    names = [p for p, _ in PARTS] + [OTHER, OUTSIDE, "total"]
    rows = [
        f"| {'part of a call, µs of CPU':<46} | {'service':>8} | {'input log off':>13} | {'echo':>6} |",
        f"|{'-' * 48}|{'-' * 9}:|{'-' * 14}:|{'-' * 7}:|",
    ]
    for name in names:
        cells = (service.get(name, 0.0), without_log.get(name, 0.0), echo.get(name, 0.0))
        rows.append(f"| {name:<46} | {cells[0]:>8.1f} | {cells[1]:>13.1f} | {cells[2]:>6.1f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw samples in this folder")
    args = parser.parse_args(argv)
    singles, batches = requests(5_000)
    figures: dict[str, float] = {}
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        raw = args.raw or Path(tmp)
        raw.mkdir(parents=True, exist_ok=True)
        redis_port = free_port()
        redis_process = start_redis(Path(tmp) / "redis", redis_port)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        try:
            # Shadow replays run every ten minutes, one soon after the start: not per call, so left out.
            service, _ = start_service(redis_url, Path(tmp) / "a", True, shadow_cadence_seconds=0)
            start_experiment(service.address)
            quiet, _ = start_service(redis_url, Path(tmp) / "b", True, 1, False, False, shadow_cadence_seconds=0)
            echo = start_echo(1)
            try:
                for workload, batch in (("route_16", False), ("batch_4", True)):
                    sides = {}
                    for side, server in (("service", service), ("input_log_off", quiet), ("echo", echo)):
                        out = raw / f"{side}-{workload}.txt"
                        sides[side] = profile(server, batch, args.seconds, singles, batches, out)
                        figures.update({f"{workload}_{side}_{part}": v for part, v in sides[side].items()})
                    tables.append(f"{workload}:\n{table(sides['service'], sides['input_log_off'], sides['echo'])}")
            finally:
                service.stop()
                quiet.stop()
                echo.stop()
        finally:
            redis_process.terminate()
            redis_process.wait(10)
    print("\n\n".join(tables))
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
