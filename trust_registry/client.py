"""Client side of the registry for its consumers.

The trust-list fetcher (timeout, size cap, ETag, no redirects) lives in the shared runtime,
:class:`lintas.trust_fetch.TrustListFetcher`, so that the verifier uses the same one; it is
re-exported here for the registry's own tools and tests.

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
from collections.abc import Sequence

import httpx

from idcore.trust.checkpoint import MAX_NOTE_BYTES, Checkpoint, CheckpointMonitor, CheckpointVerifier
from lintas.trust_fetch import FetchError, TrustListFetcher

__all__ = ["AuditLogWatcher", "FetchError", "TrustListFetcher"]

#: A consistency proof has at most about 2 * log2(size) hashes; 128 covers any 64-bit log.
_MAX_PROOF_HASHES = 128


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
