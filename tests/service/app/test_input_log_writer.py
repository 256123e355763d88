"""The input log never holds decision records back: when Redis refuses its write, the inputs of that
batch are dropped and counted (the records are stored first), and routing goes on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rules import CompiledRuleSet
from service.app.clock import utc_now
from service.app.input_log import InputLog, InputLogSettings
from service.storage.connection import connect
from service.storage.local_redis import free_port, start_redis
from service.storage.records import DecisionRecord
from service.storage.redis_inputs import RedisInputLogStore
from tests.rules.test_explain import ORDER, RULE_SET


def test_a_refused_write_drops_the_batchs_inputs_and_counts_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    process = start_redis(tmp_path / "redis", port)
    client = connect(f"redis://127.0.0.1:{port}/0", tmp_path, timeout=0.5)
    log = InputLog(RedisInputLogStore(client), InputLogSettings(), utc_now)
    assert RULE_SET is not None
    decision = CompiledRuleSet(RULE_SET, 1, "sha256:x").evaluate(ORDER)
    now_ms = int(time.time() * 1000)  # within the log's retention
    records = [
        DecisionRecord(f"d-{i}", "fulfilment", 1, now_ms, order_id="SO-1", facts=ORDER, decision=decision)
        for i in range(3)
    ]
    log.write(records)
    assert log.get("fulfilment", ["d-0"])[0] is not None
    process.terminate()
    process.wait(10)
    log.write(records)  # Redis is gone: no exception reaches the decision log's thread
    assert log.dropped == 3 and "decision inputs not logged" in caplog.text
