"""Connecting to Redis: a URL (one server or a Redis Cluster), or an embedded real Redis
(service.storage.embedded) with persistence; the few operations that differ between the two; and
the one place redis-py's exceptions become the service's storage errors.

Every key the service writes carries a hash tag, so what one script or
transaction touches lives in one cluster slot. Reads and writes that span
many slots (decision records, experiment lists) go through `mget` and
`send_commands`, which batch per connection on one server and per node on a
cluster.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from service.errors import StorageError, StorageUnavailable
from service.storage.breaker import CircuitBreaker

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
        refusal = _refusal(exc)
        if refusal:
            raise StorageUnavailable(f"storage unavailable: {refusal}") from exc
        raise StorageError(f"storage error: {exc}") from exc


def _refusal(exc: redis.exceptions.RedisError) -> str:
    """Why a Redis that answers refuses writes for now (retrying later can work), or ''."""
    if "MISCONF" in str(exc):  # a reply of its own, or inside a script's error
        return f"Redis cannot write to disk ({exc})"
    if isinstance(exc, redis.exceptions.OutOfMemoryError):
        return f"Redis is out of memory (OOM {exc})"
    return ""


def _unreachable(exc: StorageUnavailable) -> bool:
    """Redis did not answer (as opposed to answering that it refuses writes for now)."""
    return isinstance(exc.__cause__, _UNAVAILABLE)


_breakers: weakref.WeakKeyDictionary[RedisClient, CircuitBreaker] = weakref.WeakKeyDictionary()
_breakers_lock = threading.Lock()


def breaker_of(client: RedisClient) -> CircuitBreaker:
    """The client's circuit breaker (one per client, so per Redis)."""
    breaker = _breakers.get(client)
    if breaker is None:
        with _breakers_lock:
            breaker = _breakers.setdefault(client, CircuitBreaker())
    return breaker


def run(client: RedisClient, fn: Callable[[], T]) -> T:
    """Calls `fn` (a use of `client`) with redis-py's exceptions translated; fails fast while
    `client`'s Redis is known to be unreachable (service.storage.breaker)."""
    breaker = breaker_of(client)
    trial = breaker.before_call()
    try:
        with translated_errors():
            result = fn()
    except StorageUnavailable as exc:
        if _unreachable(exc):
            breaker.failed(trial, str(exc.__cause__))
        else:
            breaker.succeeded(trial)  # it answered: refusing writes (disk full) is not being away
        raise
    except BaseException:
        breaker.succeeded(trial)  # Redis answered (an error reply), or the caller was interrupted
        raise
    breaker.succeeded(trial)
    return result


def ping(client: RedisClient) -> None:
    """Raises StorageUnavailable while Redis cannot be reached (a Redis refusing writes, e.g. with
    a full disk, answers: reads and routing work)."""
    try:
        run(client, client.ping)
    except StorageUnavailable as exc:
        if _unreachable(exc):
            raise


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
    from service.storage.embedded import start_embedded  # raises EmbeddedRedisError, one line for the user

    return start_embedded(data_dir, EMBEDDED_CONFIG, socket_timeout=timeout, retry=retry)


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
