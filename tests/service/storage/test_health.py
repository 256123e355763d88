"""Order health counters: the per-batch aggregation, the latency histogram's quantiles (held to numpy),
and the round trip through both DecisionStore adapters, a real Redis with its retention, and a Redis
Cluster."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import redis

from experiments import Arm
from service.storage import DecisionRecord
from service.storage import keys as key_names
from service.storage.connection import connect
from service.storage.health import (
    GROWTH,
    MINUTE_MS,
    bucket_bounds,
    count_decisions,
    count_outcomes,
    latency_bucket,
    minute_from_fields,
    quantile,
)
from service.storage.local_redis import start_cluster
from service.storage.redis_decisions import RedisDecisionStore
from tests.service.conftest import Stores

NOW = datetime.now(UTC)  # Redis keeps a minute only within the retention of the real clock
NOW_MS = int(NOW.timestamp() * 1000)


def record(i: int, version: int = 1, arm: Arm | None = None, path: str = "STANDARD", **kw: object) -> DecisionRecord:
    defaults: dict[str, object] = {"at_ms": NOW_MS, "default_rule": False, "eval_ns": 12_000, "rule_set": "fulfilment"}
    defaults.update(kw)
    return DecisionRecord(
        f"d-{i}",
        str(defaults["rule_set"]),
        version,
        int(defaults["at_ms"]),  # type: ignore[call-overload]
        "exp-1" if arm is not None else "",
        arm,
        f"u-{i}" if arm is not None else "",
        path=path,
        default_rule=bool(defaults["default_rule"]),
        eval_ns=int(defaults["eval_ns"]),  # type: ignore[call-overload]
    )


# ---------------------------------------------------------------- the histogram


def test_buckets_are_log_scale_and_contiguous() -> None:
    assert latency_bucket(0) == 0 and latency_bucket(0.05) == 0
    for b in range(1, 200):
        low, high = bucket_bounds(b)
        assert math.isclose(high / low, GROWTH)
        assert math.isclose(bucket_bounds(b + 1)[0], high)
        assert latency_bucket(low * 1.0001) == b
        assert latency_bucket(high * 0.9999) == b
    assert latency_bucket(1e12) == latency_bucket(1e15)  # the last bucket takes everything slower


@pytest.mark.parametrize("seed", range(5))
def test_quantiles_of_merged_minutes_are_within_one_bucket_of_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.lognormal(mean=math.log(15), sigma=1.2, size=20_000)  # µs: a long tail, as engine times have
    minutes = np.array_split(values, 7)  # counted per minute (and replica), merged by adding counts
    merged: Counter[int] = Counter()
    for chunk in minutes:
        merged.update(Counter(latency_bucket(float(v)) for v in chunk))
    for q in (0.5, 0.9, 0.99):
        got = quantile(merged, q)
        want = float(np.percentile(values, q * 100))
        assert got is not None
        assert abs(math.log(got) - math.log(want)) <= math.log(GROWTH), (q, got, want)


def test_quantile_of_nothing_is_none_and_of_one_value_is_its_bucket() -> None:
    assert quantile({}, 0.5) is None
    low, high = bucket_bounds(latency_bucket(40.0))
    assert low <= quantile({latency_bucket(40.0): 3}, 0.99) <= high  # type: ignore[operator]


# ---------------------------------------------------------------- aggregation per batch


def test_a_batch_is_counted_per_minute_version_arm_and_path() -> None:
    batch = [
        record(1),
        record(2, default_rule=True, path="STANDARD"),
        record(3, arm=Arm.BASELINE, path="EXPRESS"),
        record(4, version=2, arm=Arm.CANDIDATE, path="EXPRESS", eval_ns=900_000),
        record(5, at_ms=NOW_MS + MINUTE_MS),  # the next minute
        record(6, rule_set="returns"),
    ]
    counts = count_decisions(batch)
    minute = NOW_MS // MINUTE_MS
    assert set(counts) == {("fulfilment", minute), ("fulfilment", minute + 1), ("returns", minute)}
    first = counts[("fulfilment", minute)]
    assert first["d|1|none|STANDARD"] == 2
    assert first["f|1|none"] == 1
    assert first["d|1|baseline|EXPRESS"] == 1
    assert first["d|2|candidate|EXPRESS"] == 1
    assert first[f"l|1|none|{latency_bucket(12.0)}"] == 2
    assert first[f"l|2|candidate|{latency_bucket(900.0)}"] == 1
    read = minute_from_fields(minute, first)
    assert read.tallies[(1, "none")].decisions == 2
    assert read.tallies[(1, "none")].default_rule == 1
    assert read.tallies[(2, "candidate")].paths == Counter({"EXPRESS": 1})


def test_outcomes_count_once_and_a_replaced_value_moves_only_the_sum() -> None:
    r = record(1, arm=Arm.CANDIDATE, version=2)
    items = [
        (r, {"exception": 1.0, "fulfilment_hours": 30.5, "nps": 9.0}),  # nps: declared, not counted here
        (record(2), {"on_time": 0.0}),
        (r, {"fulfilment_hours": 20.0}),  # a retry with a corrected value
    ]
    counts = count_outcomes(items, [{}, {}, {"fulfilment_hours": 30.5}], NOW_MS)
    fields = counts[("fulfilment", NOW_MS // MINUTE_MS)]
    tally = minute_from_fields(0, fields).tallies
    candidate = tally[(2, "candidate")]
    assert candidate.reports == Counter({"exception": 1, "fulfilment_hours": 1})
    assert candidate.mean("fulfilment_hours") == 20.0
    assert candidate.mean("exception") == 1.0
    assert "nps" not in candidate.reports
    assert tally[(1, "none")].mean("on_time") == 0.0


# ---------------------------------------------------------------- both adapters


def test_written_decisions_and_outcomes_read_back(stores: Stores) -> None:
    batch = [record(i, path="EXPRESS" if i % 3 == 0 else "STANDARD", default_rule=i % 3 != 0) for i in range(30)]
    batch += [record(100 + i, version=2, arm=Arm.CANDIDATE, path="EXPRESS") for i in range(5)]
    stores.decisions.write(batch[:20])
    stores.decisions.write(batch[20:])  # two batches, one minute: the counts add up
    stores.decisions.apply_outcomes([(batch[0], {"exception": 1.0}), (batch[1], {"exception": 0.0})], NOW)
    minute = NOW_MS // MINUTE_MS
    (read,) = stores.decisions.health("fulfilment", minute - 5, minute + 5)
    assert read.minute == minute
    v1 = read.tallies[(1, "none")]
    assert v1.paths == Counter({"EXPRESS": 10, "STANDARD": 20})
    assert v1.default_rule == 20
    assert v1.reports["exception"] == 2 and v1.mean("exception") == 0.5
    assert read.tallies[(2, "candidate")].decisions == 5
    assert sum(read.tallies[(2, "candidate")].latency.values()) == 5
    assert stores.decisions.health("other", minute - 5, minute + 5) == []


# ---------------------------------------------------------------- Redis: keys, retention, cluster


def test_each_minute_expires_its_retention_after_it_ends(redis_client: redis.Redis) -> None:
    store = RedisDecisionStore(redis_client, health_retention=timedelta(days=7))
    now_ms = int(time.time() * 1000)
    store.write([record(1, at_ms=now_ms)])
    minute = now_ms // MINUTE_MS
    key = key_names.health("fulfilment", minute)
    assert key == f"orderroute:{{health:fulfilment}}:{minute}"
    assert redis_client.expiretime(key) == (minute + 1) * 60 + 7 * 86400

    old_ms = now_ms - 8 * 86_400_000  # a minute older than the retention is not kept at all
    store.write([record(2, at_ms=old_ms)])
    assert not redis_client.exists(key_names.health("fulfilment", old_ms // MINUTE_MS))

    short = RedisDecisionStore(redis_client, health_retention=timedelta(seconds=1))
    last_minute = now_ms // MINUTE_MS - 1
    short.write([record(3, at_ms=last_minute * MINUTE_MS)])  # ended < 60 s ago: kept at most 1 s more
    deadline = time.monotonic() + 62
    while redis_client.exists(key_names.health("fulfilment", last_minute)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not redis_client.exists(key_names.health("fulfilment", last_minute))


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    processes, ports = start_cluster(tmp_path_factory.mktemp("health-cluster"))
    yield f"redis://127.0.0.1:{ports[0]}"
    for process in processes:
        process.terminate()
        process.wait(10)


def test_round_trip_on_a_redis_cluster(cluster_url: str, tmp_path: Path) -> None:
    client = connect(cluster_url, tmp_path, True, 2.0)
    store = RedisDecisionStore(client)
    names = [f"rs-{i}" for i in range(6)]  # hash tags spread over the nodes
    batch = [record(i * 10 + j, rule_set=name) for i, name in enumerate(names) for j in range(i + 1)]
    store.write(batch)
    store.apply_outcomes([(batch[0], {"on_time": 1.0})], NOW)
    minute = NOW_MS // MINUTE_MS
    for i, name in enumerate(names):
        (read,) = store.health(name, minute - 1, minute + 1)
        assert read.tallies[(1, "none")].decisions == i + 1
    assert store.health(names[0], minute, minute)[0].tallies[(1, "none")].reports["on_time"] == 1
    client.close()


def test_minutes_are_read_oldest_first_with_the_gaps_left_out(redis_client: redis.Redis) -> None:
    store = RedisDecisionStore(redis_client)
    now_ms = int(time.time() * 1000)
    minute = now_ms // MINUTE_MS
    store.write([record(1, at_ms=(minute - 3) * MINUTE_MS), record(2, at_ms=minute * MINUTE_MS)])
    assert [m.minute for m in store.health("fulfilment", minute - 10, minute)] == [minute - 3, minute]
