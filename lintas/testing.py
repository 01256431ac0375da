"""Real servers for tests: a ``redis-server`` process and an in-thread uvicorn, on 127.0.0.1 only.

Tests use real Redis and real sockets instead of mocks (CONTRIBUTING.md). Both helpers are
context managers that pick a free loopback port, wait until the server answers, and stop it
(and wait for it) on exit. :meth:`RedisServer.stop` / :meth:`RedisServer.start` restart Redis on
the same port so tests can check that clients recover.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["RedisServer", "UvicornServer", "free_port", "race"]

LOOPBACK = "127.0.0.1"
T = TypeVar("T")


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def race(n: int, fn: Callable[[int], T], timeout: float = 30.0) -> list[T]:
    """Run ``fn(i)`` for ``i < n`` in ``n`` threads released together; return the results by ``i``.

    For single-winner tests (``SET NX``, ``consume``, optimistic writes). An exception in any
    thread is re-raised here so a crashed worker fails the test instead of vanishing.
    """
    barrier = threading.Barrier(n)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout)
            results[i] = fn(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,), name=f"race-{i}") for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    if len(results) != n:
        raise TimeoutError(f"{n - len(results)} of {n} racing threads did not finish")
    return [results[i] for i in range(n)]


def _redis_ping(port: int) -> bool:
    # A raw RESP PING keeps this helper free of client-library state between restarts.
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A throw-away ``redis-server`` bound to 127.0.0.1 on a free port, data in a temp dir.

    ``appendonly=True`` turns on AOF (fsync every second) so data survives :meth:`stop` /
    :meth:`start`; by default nothing is persisted. Attributes: ``port``, ``url``,
    ``unix_path`` / ``unix_url`` (a unix socket in the temp dir), ``dir``.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        appendonly: bool = False,
        executable: str = "redis-server",
        extra_args: Sequence[str] = (),
    ) -> None:
        found = shutil.which(executable)
        if found is None:
            raise RuntimeError(f"{executable} not found on PATH")
        self._executable = found
        self.port = port if port is not None else free_port()
        self.appendonly = appendonly
        #: More ``redis-server`` options, e.g. ``("--replicaof", "127.0.0.1", "6379")``.
        self.extra_args = tuple(extra_args)
        self.dir = Path(tempfile.mkdtemp(prefix="lintas-redis-"))
        self.unix_path = self.dir / "redis.sock"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://{LOOPBACK}:{self.port}/0"

    @property
    def unix_url(self) -> str:
        """``unix://<dir>/redis.sock?db=0``."""
        return f"unix://{self.unix_path}?db=0"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start (or restart) the server on the same port and wait until it answers PING."""
        if self.running:
            return
        args = [
            self._executable,
            "--port",
            str(self.port),
            "--bind",
            LOOPBACK,
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--dir",
            str(self.dir),
            "--unixsocket",
            str(self.unix_path),
            "--unixsocketperm",
            "700",
            "--daemonize",
            "no",
            *self.extra_args,
        ]
        log = (self.dir / "redis.log").open("ab")
        try:
            self._proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        finally:
            log.close()  # the child holds its own descriptor
        deadline = time.monotonic() + timeout
        while not _redis_ping(self.port):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}; see {self.dir}/redis.log")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the server, as a crash would: no shutdown, no final flush."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL) and wait for it to exit."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class UvicornServer:
    """Serve an ASGI app with uvicorn in a background thread on 127.0.0.1.

    The listening socket is bound before the thread starts (port 0 lets the OS choose), so no
    other process can take the port between choosing and binding it. ``base_url`` is set once
    the server accepts connections.
    """

    def __init__(self, app: Any, host: str = LOOPBACK, port: int | None = None, **config: Any) -> None:
        if host not in (LOOPBACK, "localhost", "::1"):
            raise ValueError("test servers listen on loopback only")
        self.app = app
        self.host = host
        self.port = port or 0
        self._config = {"log_level": "warning", "lifespan": "auto", **config}
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>``, without a trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Bind, start serving in a thread and wait until uvicorn reports it has started."""
        import uvicorn

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self.port))
        self.port = self._sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self.app, host=self.host, port=self.port, **self._config))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="uvicorn-test", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit, wait for the thread, close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> UvicornServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
