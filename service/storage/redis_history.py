"""Where ExperimentStore keeps the results over time in Redis: an experiment's cadence points and its
transition points in two sorted sets by time, in the experiment's own slot (at most
experiments.history.KEPT_POINTS and KEPT_TRANSITIONS of them).

A point is a JSON array (no key names). Every replica's supervisor offers a point each cadence; the
script keeps the first of each cadence bucket, so the series has one point a minute however many
replicas run. A chart reads a week of minutes by index, only the points it shows: no ten thousand
points cross the wire to draw five hundred.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from experiments import State, Verdict
from experiments.history import KEPT_POINTS, KEPT_TRANSITIONS, MetricPoint, ResultsPoint, chart_points, even_indices
from service.storage import keys
from service.storage.codec import text, time_from_stored, time_to_ms
from service.storage.connection import RedisClient, run

# KEYS: the cadence points, or the transition points. ARGV: score (ms), member, cadence bucket start ms
# ('' for a transition: always kept), bucket end ms (exclusive), points kept. Returns 1 if added, 0 if
# the bucket had a point already.
_ADD = """
if ARGV[3] ~= '' and redis.call('ZCOUNT', KEYS[1], ARGV[3], '(' .. ARGV[4]) > 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5])
if over > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1) end
return 1
"""


class RedisResultsHistory:
    def __init__(self, client: RedisClient) -> None:
        self._redis = client
        self._add: Callable[..., Any] = client.register_script(_ADD)

    def add_point(self, experiment_id: str, point: ResultsPoint, cadence: timedelta) -> bool:
        at = time_to_ms(point.at)
        step = int(cadence.total_seconds() * 1000)
        if point.action:
            key, bucket, kept = _marks(experiment_id), ("", ""), KEPT_TRANSITIONS
        else:
            key, bucket, kept = _cadence(experiment_id), (str(at - at % step), str(at - at % step + step)), KEPT_POINTS
        args = [at, encode(point), *bucket, kept]
        return bool(run(self._redis, lambda: self._add(keys=[key], args=args)))

    def points(self, experiment_id: str, limit: int) -> tuple[list[ResultsPoint], int]:
        cadence, marks = _cadence(experiment_id), _marks(experiment_id)

        def read() -> tuple[int, list[Any], list[Any]]:
            pipe = self._redis.pipeline(transaction=False)
            pipe.zcard(cadence)
            pipe.zrange(marks, 0, -1)
            count, marked = pipe.execute()
            pipe = self._redis.pipeline(transaction=False)
            for i in even_indices(int(count), limit):
                pipe.zrange(cadence, i, i)
            return int(count), marked, [one for got in pipe.execute() for one in got]

        count, marked, picked = run(self._redis, read)
        decoded = [decode(text(raw)) for raw in picked]
        return chart_points(decoded, [decode(text(raw)) for raw in marked], limit), count + len(marked)


def _cadence(experiment_id: str) -> str:
    return keys.experiment(experiment_id, "points")


def _marks(experiment_id: str) -> str:
    return keys.experiment(experiment_id, "transition-points")


def encode(p: ResultsPoint) -> str:
    metrics = [[m.metric, _out(m.difference), _out(m.low), _out(m.high)] for m in p.metrics]
    row = [time_to_ms(p.at), str(p.verdict), str(p.state), p.share_bp, p.action, *p.decisions, metrics]
    return json.dumps(row, separators=(",", ":"), allow_nan=False)


def decode(raw: str) -> ResultsPoint:
    at, verdict, state, share_bp, action, baseline, candidate, metrics = json.loads(raw)
    return ResultsPoint(
        time_from_stored(str(at)),
        Verdict(verdict),
        State(state),
        int(share_bp),
        action,
        (int(baseline), int(candidate)),
        tuple(MetricPoint(m, _in(d), _in(lo), _in(hi)) for m, d, lo, hi in metrics),
    )


def _out(x: float | None) -> float | str | None:
    """JSON has no infinity (an interval not yet bounded on a side): written as text."""
    return x if x is None or math.isfinite(x) else str(x)


def _in(x: float | str | None) -> float | None:
    return None if x is None else float(x)
