"""The decision log's writer: records are written off the Route path in batches, kept while storage
refuses them, and retried with a backoff that routing does not cut short."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from service.app.decision_log import DecisionLog
from service.errors import StorageUnavailable
from service.storage import DecisionRecord


class Storage:
    def __init__(self) -> None:
        self.up = True
        self.attempts = 0
        self.stored: list[DecisionRecord] = []
        self.lock = threading.Lock()

    def write(self, records: Sequence[DecisionRecord]) -> None:
        with self.lock:
            self.attempts += 1
            if not self.up:
                raise StorageUnavailable("redis is away")
            self.stored += records


def records(start: int, count: int) -> list[DecisionRecord]:
    return [DecisionRecord(f"d-{i}", "fulfilment", 1, 0) for i in range(start, start + count)]


def test_records_wait_while_storage_refuses_and_are_written_once_it_is_back() -> None:
    storage = Storage()
    storage.up = False
    log = DecisionLog(storage.write, batch=10, interval=0.01)
    try:
        log.extend(records(0, 25))
        time.sleep(0.1)
        assert storage.stored == [] and log.depth == 25 and log.dropped == 0
        storage.up = True
        deadline = time.monotonic() + 5
        while log.depth and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [r.decision_id for r in storage.stored] == [f"d-{i}" for i in range(25)]
    finally:
        log.close()


def test_routing_through_an_outage_does_not_cut_the_writers_backoff_short() -> None:
    """Full batches keep arriving while storage refuses: the writer still waits 10, 20, 40... ms between
    attempts (a dozen in 0.5 s at most), instead of retrying at every call that fills a batch."""
    storage = Storage()
    storage.up = False
    log = DecisionLog(storage.write, batch=10, interval=0.01)
    try:
        deadline = time.monotonic() + 0.5
        start = 0
        while time.monotonic() < deadline:  # a Route call every millisecond, each over a full batch
            log.extend(records(start, 10))
            start += 10
            time.sleep(0.001)
        assert storage.attempts <= 12, f"{storage.attempts} write attempts in 0.5 s of outage"
    finally:
        storage.up = True
        log.close()
