"""This checkout's service against the same service at another commit, in one run: what a change bought.

    python -m loadtest.versus REV [--adversarial] [--seconds S] [--rounds N] [--json PATH]

The harness (loadtest.bench) compares the service with an echo server, whose own best arrangement moves
by ±15% from run to run here; a change to the service is seen more sharply beside the service as it was.
This checks REV out into a temporary git worktree, starts both services on one real Redis (one process
each, two threads, an experiment on 10% of traffic as in the harness) and drives them with the harness's
orders in short alternating rounds: Route at 1 and 16 calls in flight, RouteBatch of 100 at 4. Reported:
orders/s of each (medians) and this checkout's over REV's. With --adversarial the orders are the
harness's adversarial stream (every order a case of its own) and this checkout's memo is bounded below
them, as in the harness's adversarial rows: what the memo costs where it cannot help, against REV as it
was (a commit from before the memo takes no --memo-size).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loadtest._figures import emit
from loadtest.bench import (
    ADVERSARIAL_MEMO,
    ROOT,
    Process,
    adversarial_requests,
    paired_rates,
    requests,
    serve_command,
    start_experiment,
)
from service.storage.local_redis import free_port, start_redis

WORKLOADS = (("route_1", "Route", 1, 1), ("route_16", "Route", 16, 1), ("batch_4", "RouteBatch", 4, 100))


@contextmanager
def worktree(rev: str) -> Iterator[Path]:
    """REV checked out beside this repository, removed afterwards."""
    with tempfile.TemporaryDirectory() as parent:
        path = Path(parent) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(path), rev], check=True)
        try:
            yield path
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False)


def start_from(tree: Path, redis_url: str, data_dir: Path, *extra: str) -> Process:
    """`orderroute serve` with the code of `tree` (first on the path, before this checkout's install)."""
    port = free_port()
    command = serve_command(port, redis_url, data_dir, "--threads", "2", "--workers", "1", *extra)
    path = os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")]))
    return Process(command, f"127.0.0.1:{port}", env={**os.environ, "PYTHONPATH": path})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.versus", description=__doc__.split("\n")[0])
    parser.add_argument("rev", help="the commit to compare with (e.g. HEAD~3 or a hash)")
    parser.add_argument("--adversarial", action="store_true", help="every order a case of its own")
    parser.add_argument("--seconds", type=float, default=6.0, help="seconds per workload and side per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per workload")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    singles, batches = adversarial_requests(4_000) if args.adversarial else requests(4_000)
    memo = ("--memo-size", str(ADVERSARIAL_MEMO)) if args.adversarial else ()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch, worktree(args.rev) as tree:
        redis_port = free_port()
        redis = start_redis(Path(scratch) / "redis", redis_port)
        url = f"redis://127.0.0.1:{redis_port}/0"
        this = start_from(ROOT, url, Path(scratch) / "this", *memo)
        then = start_from(tree, url, Path(scratch) / "then")
        try:
            start_experiment(this.address)  # both serve it: they share the Redis
            for name, method, in_flight, per_call in WORKLOADS:
                calls = singles if method == "Route" else batches
                now, before = paired_rates(this, then, calls, args.seconds, args.rounds, method, in_flight, per_call)
                figures[f"{name}_orders_per_s"] = now
                figures[f"{name}_rev_orders_per_s"] = before
                figures[f"{name}_vs_rev"] = now / before
        finally:
            this.stop()
            then.stop()
            redis.terminate()
            redis.wait(10)
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
