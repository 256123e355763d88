"""The circuit breaker: calls fail fast while Redis is known to be unreachable, one trial at a time
finds out when it is back, and an error reply (Redis answering) never opens it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from service.errors import StorageError, StorageUnavailable
from service.storage.breaker import CircuitBreaker
from service.storage.connection import breaker_of, connect, ping, run
from service.storage.local_redis import free_port, start_redis


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_two_unreachable_answers_open_it_and_a_trial_after_the_cooldown_closes_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures_to_open=2, cooldown=1.0, clock=clock)
    breaker.failed(breaker.before_call(), "timeout")
    assert not breaker.is_open and breaker.before_call() is False
    breaker.failed(False, "timeout")
    with pytest.raises(StorageUnavailable, match="unreachable"):
        breaker.before_call()
    clock.now += 1.0
    assert breaker.before_call() is True, "the first call after the cooldown is the trial"
    with pytest.raises(StorageUnavailable):
        breaker.before_call()  # others still fail fast while it runs
    breaker.failed(True, "timeout")
    with pytest.raises(StorageUnavailable):
        breaker.before_call()  # reopened
    clock.now += 1.0
    breaker.succeeded(breaker.before_call())
    assert not breaker.is_open and breaker.before_call() is False


def test_a_frozen_redis_costs_two_timeouts_then_calls_fail_at_once_and_recover(tmp_path: Path) -> None:
    port = free_port()
    server = start_redis(tmp_path, port)
    client = connect(f"redis://127.0.0.1:{port}/0", tmp_path, timeout=0.3)
    try:
        assert run(client, client.ping)
        server.send_signal(19)  # SIGSTOP: connections stay open, nothing answers
        for _ in range(2):
            with pytest.raises(StorageUnavailable):
                run(client, client.ping)
        for _ in range(50):  # answered by the breaker, not after a timeout
            with pytest.raises(StorageUnavailable, match="failing fast"):
                run(client, client.ping)
        server.send_signal(18)  # SIGCONT
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                assert run(client, client.ping)
                break
            except StorageUnavailable:
                time.sleep(0.1)
        assert not breaker_of(client).is_open
    finally:
        server.send_signal(18)
        client.close()
        server.kill()
        server.wait(10)


def test_an_error_reply_is_not_an_outage(redis_client: redis.Redis) -> None:
    for _ in range(5):
        with pytest.raises(StorageError):
            run(redis_client, lambda: redis_client.execute_command("NO-SUCH-COMMAND"))
    assert not breaker_of(redis_client).is_open


def test_a_redis_refusing_writes_answers_and_does_not_open_it(tmp_path: Path) -> None:
    port = free_port()
    server = start_redis(tmp_path, port)
    client = connect(f"redis://127.0.0.1:{port}/0", tmp_path, timeout=0.5)
    try:
        client.config_set("maxmemory", 1)  # every write is refused with OOM, reads still answer
        for _ in range(5):
            with pytest.raises(StorageUnavailable, match="out of memory"):
                run(client, lambda: client.set("k", "v"))
        assert not breaker_of(client).is_open
        ping(client)
    finally:
        client.close()
        server.kill()
        server.wait(10)
