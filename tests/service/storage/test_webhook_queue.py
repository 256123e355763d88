"""The webhook queue, on real Redis and in memory: an event is enqueued once, a claim is a lease that runs
out, a stale claim cannot reschedule, the oldest items go when it is full, and the log is bounded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from service.storage.memory import MemoryWebhookQueue
from service.storage.ports import DeliveryRecord, WebhookItem, WebhookQueue
from service.storage.redis_webhooks import RedisWebhookQueue

T0 = datetime(2025, 3, 4, 5, 6, 7, 123_000, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture(params=["redis", "memory"])
def queue(request: pytest.FixtureRequest) -> Iterator[WebhookQueue]:
    if request.param == "memory":
        yield MemoryWebhookQueue(log_size=5)
        return
    yield RedisWebhookQueue(request.getfixturevalue("redis_client"), log_size=5)


def item(event: str, url: str = "http://127.0.0.1:9/hook") -> WebhookItem:
    return WebhookItem(f"{event}:{url}", event, "activation", url, f'{{"id":"{event}"}}', T0)


def record(event: str, state: str, at: datetime = T0) -> DeliveryRecord:
    return DeliveryRecord(event, "activation", "http://127.0.0.1:9/hook", state, 200, "", 1, at)


def test_an_event_is_enqueued_once_with_an_item_per_url(queue: WebhookQueue) -> None:
    items = [item("evt-1", "http://a/hook"), item("evt-1", "http://b/hook")]
    assert queue.enqueue("evt-1", items, T0, 100).new
    assert not queue.enqueue("evt-1", items, T0, 100).new  # another replica, another tick: nothing written
    assert queue.depth() == 2
    claimed = queue.claim(T0, LEASE, 10)
    assert sorted(c.item.url for c in claimed) == ["http://a/hook", "http://b/hook"]
    assert [c.item for c in claimed if c.item.url == "http://a/hook"] == [items[0]]
    assert {c.attempt for c in claimed} == {1}


def test_a_claimed_item_is_leased_and_comes_due_again_when_the_lease_runs_out(queue: WebhookQueue) -> None:
    queue.enqueue("evt-1", [item("evt-1")], T0, 100)
    (first,) = queue.claim(T0, LEASE, 10)
    assert queue.claim(T0 + LEASE - timedelta(milliseconds=1), LEASE, 10) == []  # no one else takes it meanwhile
    (again,) = queue.claim(T0 + LEASE, LEASE, 10)  # its claimer died mid-delivery
    assert again.item == first.item and again.attempt == 2
    # The first claimer, back late, cannot reschedule what the second holds; the second can.
    assert not queue.retry(first, T0 + timedelta(hours=1), record("evt-1", "retrying"))
    assert queue.retry(again, T0 + LEASE + timedelta(seconds=2), record("evt-1", "retrying"))
    assert queue.claim(T0 + LEASE + timedelta(seconds=1), LEASE, 10) == []
    (third,) = queue.claim(T0 + LEASE + timedelta(seconds=2), LEASE, 10)
    queue.finish(third, record("evt-1", "delivered"))
    assert queue.depth() == 0 and queue.claim(T0 + timedelta(days=1), LEASE, 10) == []
    assert not queue.retry(third, T0, record("evt-1", "retrying"))  # gone


def test_items_are_claimed_oldest_due_first_up_to_the_limit(queue: WebhookQueue) -> None:
    for i in range(5):
        queue.enqueue(f"evt-{i}", [item(f"evt-{i}")], T0 + timedelta(seconds=i), 100)
    first = queue.claim(T0 + timedelta(seconds=10), LEASE, 2)
    assert [c.item.event_id for c in first] == ["evt-0", "evt-1"]
    assert [c.item.event_id for c in queue.claim(T0 + timedelta(seconds=10), LEASE, 10)] == ["evt-2", "evt-3", "evt-4"]


def test_a_full_queue_drops_its_oldest_items(queue: WebhookQueue) -> None:
    for i in range(3):
        assert queue.enqueue(f"evt-{i}", [item(f"evt-{i}")], T0 + timedelta(seconds=i), 3).dropped == ()
    enqueued = queue.enqueue("evt-3", [item("evt-3"), item("evt-3", "http://b/hook")], T0 + timedelta(seconds=3), 3)
    assert [i.event_id for i in enqueued.dropped] == ["evt-0", "evt-1"]
    assert queue.depth() == 3
    assert sorted(c.item.delivery_id for c in queue.claim(T0 + timedelta(seconds=9), LEASE, 10)) == sorted(
        [item("evt-2").delivery_id, item("evt-3").delivery_id, item("evt-3", "http://b/hook").delivery_id]
    )


def test_the_delivery_log_is_newest_first_and_bounded(queue: WebhookQueue) -> None:
    queue.enqueue("evt-1", [item("evt-1")], T0, 100)
    (claimed,) = queue.claim(T0, LEASE, 10)
    queue.retry(claimed, T0, record("evt-1", "retrying", T0))
    queue.log([record(f"evt-d{i}", "dropped", T0 + timedelta(seconds=i)) for i in range(2)])
    queue.finish(claimed, record("evt-1", "delivered", T0 + timedelta(seconds=5)))
    log = queue.deliveries(10)
    assert [(r.event_id, r.state) for r in log] == [
        ("evt-1", "delivered"),
        ("evt-d1", "dropped"),
        ("evt-d0", "dropped"),
        ("evt-1", "retrying"),
    ]
    assert log[0] == record("evt-1", "delivered", T0 + timedelta(seconds=5))
    assert queue.deliveries(1) == log[:1] and queue.deliveries(0) == []
    queue.log([record(f"evt-x{i}", "dropped") for i in range(4)])
    assert len(queue.deliveries(100)) == 5  # log_size
