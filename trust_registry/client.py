"""The verifier-side HTTP fetcher for the trust list: the ``fetch`` port of
:class:`idcore.trust.TrustListCache`, over httpx.

Timeouts bound every fetch, the body is read in chunks and refused past a size limit, and
``If-None-Match`` with the last ETag lets the registry answer 304 (RFC 9110 Section 13.1.2),
in which case the last body is returned again (the cache recognises it as the same list).
Redirects are not followed: a verifier talks to the registry URL it was configured with.

Example::

    fetcher = TrustListFetcher("https://registry.example")   # close() it when done
    cache = TrustListCache(fetch=fetcher, pin=TrustListPin(certificate_sha256=PIN), clock=SystemClock())

:class:`AuditLogWatcher` is the client side of the audit-log checkpoints (issue #12): it fetches
``/v1/audit-log/checkpoint`` and, for a larger tree, the consistency proof from the last size it
accepted, and hands both to :class:`idcore.trust.checkpoint.CheckpointMonitor`, which raises
``log_inconsistent`` for a truncated or forked log::

    watcher = AuditLogWatcher("https://registry.example", CheckpointVerifier(VKEY))
    watcher.check()        # -> Checkpoint; TrustError(log_inconsistent / checkpoint_invalid)
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Sequence

import httpx

from idcore.trust.checkpoint import MAX_NOTE_BYTES, Checkpoint, CheckpointMonitor, CheckpointVerifier
from idcore.trust.signed import MAX_TRUST_LIST_BYTES

__all__ = ["AuditLogWatcher", "FetchError", "TrustListFetcher"]

#: A consistency proof has at most about 2 * log2(size) hashes; 128 covers any 64-bit log.
_MAX_PROOF_HASHES = 128


class FetchError(Exception):
    """The registry could not be reached or answered something unusable."""


class TrustListFetcher:
    """``fetch()`` the current signed list from a registry; thread-safe."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 3.0,
        max_bytes: int = MAX_TRUST_LIST_BYTES,
        client: httpx.Client | None = None,
    ) -> None:
        """Configure; the HTTP client is created lazily unless one is given."""
        self.url = base_url.rstrip("/") + "/v1/trust-list"
        self._timeout = httpx.Timeout(timeout)
        self._max_bytes = max_bytes
        self._client = client
        self._lock = threading.Lock()
        self._etag: str | None = None
        self._body: bytes | None = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self._timeout, follow_redirects=False)
        return self._client

    def __call__(self) -> bytes:
        """Return the signed list (compact JWS bytes); raise :class:`FetchError` on any failure."""
        with self._lock:
            headers = {"Accept": "application/jwt"}
            if self._etag is not None and self._body is not None:
                headers["If-None-Match"] = self._etag
            try:
                with self._http().stream("GET", self.url, headers=headers, timeout=self._timeout) as response:
                    if response.status_code == 304 and self._body is not None:
                        return self._body
                    if response.status_code != 200:
                        raise FetchError(f"registry answered HTTP {response.status_code}")
                    body = self._read(response)
            except httpx.HTTPError as exc:
                raise FetchError(f"registry unreachable: {type(exc).__name__}") from None
            self._etag = response.headers.get("etag")
            self._body = body
            return body

    def _read(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_bytes:
            raise FetchError("trust list larger than the size limit")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise FetchError("trust list larger than the size limit")
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> TrustListFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AuditLogWatcher:
    """Fetches the registry's audit-log checkpoints and checks each extends the last one seen."""

    def __init__(
        self,
        base_url: str,
        verifier: CheckpointVerifier,
        *,
        last: Checkpoint | None = None,
        timeout: float = 3.0,
        client: httpx.Client | None = None,
    ) -> None:
        """Configure; ``last`` is the checkpoint remembered from an earlier run (if any)."""
        self._base = base_url.rstrip("/") + "/v1/audit-log"
        self._timeout = httpx.Timeout(timeout)
        self._client = client or httpx.Client(timeout=self._timeout, follow_redirects=False)
        self.monitor = CheckpointMonitor(verifier, last=last)

    def _get(self, path: str, params: dict[str, int] | None = None) -> httpx.Response:
        try:
            response = self._client.get(self._base + path, params=params, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise FetchError(f"registry unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise FetchError(f"registry answered HTTP {response.status_code}")
        if len(response.content) > MAX_NOTE_BYTES:
            raise FetchError("answer larger than the size limit")
        return response

    def _proof(self, first: int, second: int) -> Sequence[bytes]:
        body = self._get("/consistency", {"first": first, "second": second}).json()
        proof = body.get("proof") if isinstance(body, dict) else None
        if not isinstance(proof, list) or len(proof) > _MAX_PROOF_HASHES or not all(isinstance(h, str) for h in proof):
            raise FetchError("malformed consistency proof")
        try:
            return [base64.b64decode(h, validate=True) for h in proof]
        except (binascii.Error, ValueError):
            raise FetchError("malformed consistency proof") from None

    def check(self) -> Checkpoint:
        """Fetch the current checkpoint and accept it only if consistent with the last one.

        Raises :class:`FetchError` when the registry cannot be asked, and
        :class:`~idcore.errors.TrustError` ``checkpoint_invalid`` / ``log_inconsistent``.
        """
        note = self._get("/checkpoint").content
        return self.monitor.update(note, self._proof)

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()
