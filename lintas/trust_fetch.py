"""The HTTP ``fetch`` port of :class:`idcore.trust.TrustListCache`: the one trust-list fetcher.

Every service that reads the registry's signed list (the verifier, the registry's own client
tools, the demo) fetches it with :class:`TrustListFetcher` and judges it with the cache (pin,
rollback, staleness). The fetcher bounds what the network can do to the verifier:

* a timeout on every fetch, and redirects never followed: a verifier talks to the registry URL it
  was configured with;
* the body read in chunks and refused past a size limit (by default the list's own limit,
  :data:`idcore.trust.signed.MAX_TRUST_LIST_BYTES`), a too-large ``Content-Length`` before reading;
* ``If-None-Match`` with the last ETag, so the registry answers 304 (RFC 9110 Section 13.1.2) and
  the last body is returned again (the cache recognises it as the same list).

Example::

    fetcher = TrustListFetcher("https://registry.example")   # close() it when done
    cache = TrustListCache(fetch=fetcher, pin=TrustListPin(certificate_sha256=PIN), clock=SystemClock())
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from idcore.trust.signed import MAX_TRUST_LIST_BYTES

__all__ = ["FetchError", "TrustListFetcher", "read_bounded"]


def read_bounded(
    response: httpx.Response, max_bytes: int, each_chunk: Callable[[], object] | None = None
) -> bytes | None:
    """The body of a *streamed* ``response``, or ``None`` once it is larger than ``max_bytes``.

    A declared ``Content-Length`` above the limit is refused before reading; otherwise the body is
    read chunk by chunk and never held past the limit. ``each_chunk`` runs after every chunk (a
    caller's time budget, which may raise). Every bounded fetch in Lintas reads through here: the
    trust list, status lists, issuer metadata, federation statements and the audit log's answers.
    """
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        return None
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            return None
        if each_chunk is not None:
            each_chunk()
    return bytes(body)


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
        path: str = "/v1/trust-list",
    ) -> None:
        """Configure; the HTTP client is created lazily unless one is given (then the caller closes it).

        ``path`` names the signed registry document (``/v1/recognitions`` for the recognition list).
        """
        self.url = base_url.rstrip("/") + path
        self._timeout = httpx.Timeout(timeout)
        self._max_bytes = max_bytes
        self._client = client
        self._owned = client is None
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
                with self._http().stream(
                    "GET", self.url, headers=headers, timeout=self._timeout, follow_redirects=False
                ) as response:
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
        body = read_bounded(response, self._max_bytes)
        if body is None:
            raise FetchError("trust list larger than the size limit")
        return body

    def close(self) -> None:
        """Close the HTTP client if this fetcher created it."""
        if self._client is not None and self._owned:
            self._client.close()

    def __enter__(self) -> TrustListFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
