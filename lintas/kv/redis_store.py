"""Redis key-value adapter (redis-py): standalone, TLS, unix socket, Sentinel and Cluster URLs.

Semantics match :class:`lintas.kv.KeyValueStore`: ``consume`` is ``GETDEL``, ``set_if_absent`` is
``SET NX EX``, ``get_many`` is ``MGET``; ``incr``, ``atomic_write``, ``put_if_absent`` and ``take_all``
are Lua scripts, so each runs atomically on the server in one round trip.
Keys are prefixed ``<namespace>:``; under Cluster the prefix is the hash tag ``{<namespace>}:`` so all
keys of a service share one slot and the multi-key scripts stay legal (at the cost of spreading load).

Behind Sentinel, replication is asynchronous: a write the primary acknowledged can be lost in a
failover, and a consumed nonce would come back to life. So a Sentinel store waits (``WAIT``) after
every write until ``wait_replicas`` replicas (1 by default; ``?wait_replicas=N`` in the URL) hold
it, and answers :class:`~lintas.kv.StoreUnavailable` when they do not in time: a single-use value
is reported used only once a failover can no longer undo that.

Every connection and reply is bounded by a short timeout. Connection failures, timeouts, read-only
replicas and cluster outages surface as :class:`~lintas.kv.StoreUnavailable`. redis-py reconnects
on the next command, so a service recovers without restart when Redis comes back. One immediate
retry covers a pooled socket that died with a restarted server; timeouts are not retried because
the command may already have run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, cast
from urllib.parse import unquote

from lintas.kv.port import Entry, StoreUnavailable, check_entry

__all__ = ["RedisStore", "SentinelConfig", "open_redis_store", "parse_sentinel_url"]

_SENTINEL_DEFAULT_PORT = 26379

# INCR plus EXPIRE only when this call created the counter, atomically.
_INCR_LUA = """
local existed = redis.call('EXISTS', KEYS[1])
local n = redis.call('INCR', KEYS[1])
if existed == 0 and ARGV[1] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""
# Compare the guard (absent when ARGV[1] == '0') and apply every write, atomically.
_ATOMIC_WRITE_LUA = """
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if cur ~= ARGV[2] then return 0 end
elseif cur then
  return 0
end
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1]) end
return 1
"""

# Every entry iff the first key is absent. KEYS: the entries' keys; ARGV: value, ttl ('' = none) per entry.
_PUT_IF_ABSENT_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 1, #KEYS do
  local ttl = ARGV[2 * i]
  if ttl == '' then redis.call('SET', KEYS[i], ARGV[2 * i - 1])
  else redis.call('SET', KEYS[i], ARGV[2 * i - 1], 'EX', ttl) end
end
return 1
"""
# Iff every required key exists: delete them and the others, then write. ARGV[1]: how many are required,
# ARGV[2]: how many are only deleted; the remaining KEYS are written with ARGV value, ttl pairs from ARGV[3].
_TAKE_ALL_LUA = """
local required, deleted = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 1, required do
  if redis.call('EXISTS', KEYS[i]) == 0 then return 0 end
end
for i = 1, required + deleted do redis.call('DEL', KEYS[i]) end
local w = 0
for i = required + deleted + 1, #KEYS do
  local value, ttl = ARGV[3 + 2 * w], ARGV[4 + 2 * w]
  if ttl == '' then redis.call('SET', KEYS[i], value) else redis.call('SET', KEYS[i], value, 'EX', ttl) end
  w = w + 1
end
return 1
"""


class _RedisClient(Protocol):
    """The part of ``redis.Redis`` / ``RedisCluster`` the adapter uses."""

    def get(self, name: str) -> Any: ...
    def mget(self, keys: list[str]) -> Any: ...
    def set(self, name: str, value: bytes, ex: int | None = ..., nx: bool = ...) -> Any: ...
    def getdel(self, name: str) -> Any: ...
    def delete(self, *names: str) -> Any: ...
    def scan_iter(self, match: str | None = ..., count: int | None = ...) -> Iterator[Any]: ...
    def ping(self) -> Any: ...
    def close(self) -> Any: ...
    def register_script(self, script: str) -> Any: ...
    def wait(self, num_replicas: int, timeout: int) -> Any: ...


@contextmanager
def _redis_errors() -> Iterator[None]:
    from redis import exceptions as rx

    try:
        yield
    except (
        rx.ConnectionError,  # includes BusyLoading, auth failure, no sentinel master
        rx.TimeoutError,
        rx.ReadOnlyError,  # a replica after failover
        rx.OutOfMemoryError,
        rx.TryAgainError,
        rx.ClusterError,
        rx.RedisClusterException,
    ) as exc:
        raise StoreUnavailable(f"redis: {type(exc).__name__}") from exc


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


class RedisStore:
    """A :class:`~lintas.kv.KeyValueStore` over a redis-py client, created lazily by ``factory``.

    The client is built on first use so that constructing a Cluster client (which contacts
    the nodes) never fails service start-up; the failure shows up as ``StoreUnavailable``.
    """

    def __init__(
        self,
        factory: Callable[[], _RedisClient],
        key_prefix: str,
        *,
        wait_replicas: int = 0,
        wait_timeout_ms: int = 1000,
    ) -> None:
        self._factory = factory
        self._prefix = key_prefix
        self._wait_replicas = wait_replicas
        self._wait_timeout_ms = wait_timeout_ms
        self._lock = threading.Lock()
        self._client: _RedisClient | None = None
        self._scripts: dict[str, Any] = {}

    def _redis(self) -> _RedisClient:
        client = self._client
        if client is not None:  # every command passes here: no lock once the client exists
            return client
        with self._lock:
            if self._client is None:
                with _redis_errors():
                    client = self._factory()
                self._scripts = {
                    "incr": client.register_script(_INCR_LUA),
                    "atomic_write": client.register_script(_ATOMIC_WRITE_LUA),
                    "put_if_absent": client.register_script(_PUT_IF_ABSENT_LUA),
                    "take_all": client.register_script(_TAKE_ALL_LUA),
                }
                self._client = client
            return self._client

    def _script(self, name: str) -> Any:
        self._redis()  # (re)creates the client and registers the scripts with it
        return self._scripts[name]

    def _k(self, key: str) -> str:
        return self._prefix + key

    def _replicated(self) -> None:
        """Return once ``wait_replicas`` replicas hold this connection's writes (``WAIT``), or refuse."""
        if self._wait_replicas == 0:
            return
        acknowledged = int(self._redis().wait(self._wait_replicas, self._wait_timeout_ms))
        if acknowledged < self._wait_replicas:
            raise StoreUnavailable(f"redis: write reached {acknowledged} of {self._wait_replicas} replicas in time")

    def get(self, key: str) -> bytes | None:
        """Return the live value of ``key`` or ``None``."""
        check_entry(key)
        with _redis_errors():
            value = self._redis().get(self._k(key))
        return None if value is None else bytes(value)

    def set(self, key: str, value: bytes, ttl: int | None = None) -> None:
        """Store ``value``, replacing any previous value and TTL."""
        check_entry(key, value, ttl)
        with _redis_errors():
            self._redis().set(self._k(key), value, ex=ttl)
            self._replicated()

    def set_if_absent(self, key: str, value: bytes, ttl: int | None = None) -> bool:
        """``SET key value NX [EX ttl]``: ``True`` only for the caller that created the key."""
        check_entry(key, value, ttl)
        with _redis_errors():
            created = bool(self._redis().set(self._k(key), value, ex=ttl, nx=True))
            if created:
                self._replicated()
        return created

    def consume(self, key: str) -> bytes | None:
        """``GETDEL``: return and delete the value atomically."""
        check_entry(key)
        with _redis_errors():
            value = self._redis().getdel(self._k(key))
            if value is not None:
                self._replicated()
        return None if value is None else bytes(value)

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        check_entry(key)
        with _redis_errors():
            self._redis().delete(self._k(key))
            self._replicated()

    def incr(self, key: str, ttl: int | None = None) -> int:
        """Increment the counter at ``key``; a new counter starts at 1 with ``ttl``."""
        from redis.exceptions import ResponseError

        check_entry(key, ttl=ttl)
        script = self._script("incr")
        try:
            with _redis_errors():
                counted = int(script(keys=[self._k(key)], args=["" if ttl is None else ttl]))
                self._replicated()
                return counted
        except ResponseError as exc:  # INCR on a value that is not an integer
            raise ValueError("value is not an integer counter") from exc

    def atomic_write(self, guard_key: str, expected: bytes | None, writes: Mapping[str, bytes]) -> bool:
        """Apply ``writes`` in one script iff ``guard_key`` currently holds ``expected``."""
        check_entry(guard_key, expected)
        for key, value in writes.items():
            check_entry(key, value)
        script = self._script("atomic_write")
        keys = [self._k(guard_key), *(self._k(k) for k in writes)]
        args: list[bytes | str] = ["0" if expected is None else "1", expected or b"", *writes.values()]
        with _redis_errors():
            applied = int(script(keys=keys, args=args)) == 1
            if applied:
                self._replicated()
        return applied

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """``MGET``: the live values of ``keys`` in order (one slot under Cluster: the namespace hash tag)."""
        for key in keys:
            check_entry(key)
        if not keys:
            return []
        with _redis_errors():
            values = self._redis().mget([self._k(key) for key in keys])
        return [None if value is None else bytes(value) for value in values]

    def put_if_absent(self, entries: Sequence[Entry]) -> bool:
        """Store every entry in one script iff the first entry's key is absent."""
        for key, value, ttl in entries:
            check_entry(key, value, ttl)
        if not entries:
            raise ValueError("put_if_absent needs at least one entry")
        args: list[bytes | str | int] = []
        for _, value, ttl in entries:
            args += [value, "" if ttl is None else ttl]
        script = self._script("put_if_absent")
        with _redis_errors():
            stored = int(script(keys=[self._k(key) for key, _, _ in entries], args=args)) == 1
            if stored:
                self._replicated()
        return stored

    def take_all(self, required: Sequence[str], delete: Sequence[str] = (), writes: Sequence[Entry] = ()) -> bool:
        """In one script: iff every ``required`` key exists, delete them and ``delete``, store ``writes``."""
        for key in (*required, *delete):
            check_entry(key)
        for key, value, ttl in writes:
            check_entry(key, value, ttl)
        keys = [self._k(key) for key in (*required, *delete, *(w[0] for w in writes))]
        args: list[bytes | str | int] = [len(required), len(delete)]
        for _, value, ttl in writes:
            args += [value, "" if ttl is None else ttl]
        script = self._script("take_all")
        with _redis_errors():
            taken = int(script(keys=keys, args=args)) == 1
            if taken:
                self._replicated()
        return taken

    def scan_prefix(self, prefix: str) -> list[str]:
        """Return the sorted keys that start with ``prefix`` (``SCAN``, not ``KEYS``)."""
        pattern = _glob_escape(self._k(prefix)) + "*"
        with _redis_errors():
            found = {bytes(k).decode("utf-8") for k in self._redis().scan_iter(match=pattern, count=500)}
        return sorted(k[len(self._prefix) :] for k in found)

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless Redis answers ``PING``."""
        with _redis_errors():
            self._redis().ping()

    def close(self) -> None:
        """Disconnect the client's pool (idempotent)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


@dataclass(frozen=True)
class SentinelConfig:
    """A parsed ``redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/service_name[/db]``."""

    hosts: tuple[tuple[str, int], ...]
    service_name: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    #: Replicas that must acknowledge each write (``WAIT``) before it counts; ``?wait_replicas=N``.
    wait_replicas: int = 1


def _host_port(text: str, default_port: int) -> tuple[str, int]:
    if text.startswith("["):  # IPv6 literal: [::1]:26379
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = text.partition(":")
    if not host or (port_text and not port_text.isdigit()):
        raise ValueError("sentinel URL: bad host:port")
    port = int(port_text) if port_text else default_port
    if not 0 < port < 65536:
        raise ValueError("sentinel URL: port out of range")
    return host, port


def parse_sentinel_url(url: str) -> SentinelConfig:
    """Parse a ``redis+sentinel://`` URL; errors never echo the URL (it may hold a password)."""
    scheme, sep, rest = url.partition("://")
    if scheme != "redis+sentinel" or not sep:
        raise ValueError("not a redis+sentinel:// URL")
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, at, hosts_text = netloc.rpartition("@")
    username = password = None
    if at:
        user, has_colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if has_colon else None
    hosts = tuple(_host_port(h, _SENTINEL_DEFAULT_PORT) for h in hosts_text.split(","))
    parts = [unquote(p) for p in path.split("/") if p]
    if not parts or len(parts) > 2:
        raise ValueError("sentinel URL: expected /service_name[/db]")
    if len(parts) == 2 and not parts[1].isdigit():
        raise ValueError("sentinel URL: db must be a number")
    db = int(parts[1]) if len(parts) == 2 else 0
    return SentinelConfig(hosts, parts[0], db, username, password, _wait_replicas(query))


def _wait_replicas(query: str) -> int:
    options = dict(part.partition("=")[::2] for part in query.split("&") if part)
    if set(options) - {"wait_replicas"}:
        raise ValueError("sentinel URL: the only query parameter is wait_replicas")
    text = options.get("wait_replicas", "1")
    if not text.isdigit() or int(text) > 16:
        raise ValueError("sentinel URL: wait_replicas must be a number from 0 to 16")
    return int(text)


def _client_options(timeout: float) -> dict[str, Any]:
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.retry import Retry

    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        # One immediate retry, on connection errors only (see the module docstring).
        "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    }


def _sentinel_factory(config: SentinelConfig, timeout: float) -> Callable[[], _RedisClient]:
    def build() -> _RedisClient:
        from redis.sentinel import Sentinel

        options = _client_options(timeout)
        # The sentinels' own connections need the short timeouts and single retry too.
        sentinel = Sentinel(list(config.hosts), sentinel_kwargs=options)
        master = sentinel.master_for(
            config.service_name,
            db=config.db,
            username=config.username,
            password=config.password,
            **options,
        )
        return cast(_RedisClient, master)

    return build


def _cluster_factory(url: str, timeout: float) -> Callable[[], _RedisClient]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    # RedisCluster.from_url knows only redis(s)://; the nodes list is the comma-separated netloc.
    hosts = [_host_port(h, 6379) for h in parts.netloc.rpartition("@")[2].split(",")]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None

    def build() -> _RedisClient:
        from redis.cluster import ClusterNode, RedisCluster

        nodes = [ClusterNode(host, port) for host, port in hosts]  # type: ignore[no-untyped-call]
        cluster = RedisCluster(startup_nodes=nodes, username=username, password=password, **_client_options(timeout))
        return cast(_RedisClient, cluster)

    return build


def open_redis_store(url: str, namespace: str, *, timeout: float = 2.0) -> RedisStore:
    """Build a :class:`RedisStore` for ``url`` (see :func:`lintas.kv.open_store`)."""
    scheme = url.partition("://")[0].lower()
    if scheme == "redis+sentinel":
        config = parse_sentinel_url(url)
        # WAIT's own timeout stays inside the socket timeout, so a slow replica is a refusal, not a hang.
        wait_ms = max(1, int(timeout * 1000 * 0.8))
        factory = _sentinel_factory(config, timeout)
        return RedisStore(factory, f"{namespace}:", wait_replicas=config.wait_replicas, wait_timeout_ms=wait_ms)
    if scheme == "redis+cluster":
        return RedisStore(_cluster_factory(url, timeout), f"{{{namespace}}}:")
    if scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"unsupported store URL scheme {scheme!r}")

    def build() -> _RedisClient:
        import redis

        return cast(_RedisClient, redis.Redis.from_url(url, **_client_options(timeout)))

    return RedisStore(build, f"{namespace}:")
