"""The decision log with inputs in both adapters: records come back as written, by decision id and by
time, a record written again replaces itself, and the log lets go of the oldest by age and by count."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from experiments import Arm
from service.storage.inputs_codec import EMPTY
from service.storage.memory import MemoryInputLogStore
from service.storage.ports import InputLogStore
from service.storage.records import DECIDED_FIELDS, LoggedDecision
from service.storage.redis_inputs import RedisInputLogStore

T0 = 1_796_000_000_000


@pytest.fixture(params=["redis", "memory"])
def store(request: pytest.FixtureRequest) -> Iterator[InputLogStore]:
    if request.param == "memory":
        yield MemoryInputLogStore()
        return
    yield RedisInputLogStore(request.getfixturevalue("redis_client"))


def logged(n: int, rule_set: str = "fulfilment", at_ms: int = T0) -> LoggedDecision:
    return LoggedDecision(
        f"d-{n:04d}",
        rule_set,
        2,
        "",  # the content hash is not stored: the version names it
        at_ms + n,
        f"SO-{n}",
        "exp-1" if n % 2 else "",
        Arm.CANDIDATE if n % 2 else None,
        {"order_id": f"SO-{n}", "customer": {"tier": "VIP", "repeat_purchases": n}, "lines": [{"sku": "é-1"}]},
        ("customer.customer_id",),
        {**{name: EMPTY.get(name, "") for name in DECIDED_FIELDS}, "path": "EXPRESS", "priority_pickup": True},
        ("repeat-customer-express",),
        False,
        ("risk.fraud_score",),
    )


def test_records_come_back_whole_by_id_and_by_time(store: InputLogStore) -> None:
    store.append([logged(n) for n in range(5)] + [logged(0, "other")], cutoff_ms=0, kept=100)
    assert store.get("fulfilment", ["d-0003", "nope"]) == [logged(3), None]
    assert store.between("fulfilment", T0 + 1, T0 + 4, 10) == [logged(1), logged(2), logged(3)]
    assert store.between("fulfilment", T0, T0 + 100, 2) == [logged(0), logged(1)]
    assert store.count("fulfilment") == 5 and store.count("other") == 1
    store.append([logged(3)], cutoff_ms=0, kept=100)
    assert store.count("fulfilment") == 5, "written again, it replaces itself"


def test_the_log_lets_go_of_the_oldest_by_age_and_by_count(store: InputLogStore) -> None:
    store.append([logged(n) for n in range(10)], cutoff_ms=0, kept=100)
    store.append([logged(10)], cutoff_ms=T0 + 3, kept=100)
    assert [e.decision_id for e in store.between("fulfilment", 0, T0 + 100, 100)][:2] == ["d-0003", "d-0004"]
    store.append([logged(11)], cutoff_ms=0, kept=4)
    kept = [e.decision_id for e in store.between("fulfilment", 0, T0 + 100, 100)]
    assert kept == ["d-0008", "d-0009", "d-0010", "d-0011"]
    assert store.get("fulfilment", ["d-0003"]) == [None], "its record went with it"


def test_an_order_kept_as_its_protobuf_comes_back_byte_for_byte(store: InputLogStore) -> None:
    # Any bytes at all: a newline (0x0a, the tag of a message's first string field) among them.
    order = b"\x0a\x05SO-77\x12\x00\n\xff\x00 binary \xe4\xb8\xad"
    kept = dataclasses.replace(logged(77), facts={}, masked=(), order=order)
    store.append([kept, logged(78)], 0, 100)
    back, json_one = store.get("fulfilment", ["d-0077", "d-0078"])
    assert back == kept and back is not None and back.order == order and back.facts == {}
    assert json_one == logged(78) and json_one is not None and json_one.order == b""
