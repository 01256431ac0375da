"""Watching the registry's audit log from outside: the client side of its transparency log.

(Moved here from ``trust_registry.audit_watch`` so that verifiers, which may not import the
registry, use the same client; the one trust-list fetcher is :class:`lintas.trust_fetch.TrustListFetcher`.)

:class:`AuditLogWatcher` fetches ``/v1/audit-log/checkpoint`` and, for a larger tree, the
consistency proof from the last size it accepted, and hands both to
:class:`idcore.trust.checkpoint.CheckpointMonitor`, which raises ``log_inconsistent`` for a
truncated or forked log (issue #12). :meth:`AuditLogWatcher.check_list` is issue #16 item 3's
"verifiers check that the list they pin is included in a checkpoint consistent with the last one
they saw": it accepts the current checkpoint that way, optionally demands witness cosignatures
(:func:`idcore.trust.witness.require_cosignatures`), fetches the list's audit record with its
inclusion proof (``/v1/audit-log/inclusion``) and checks both with
:func:`idcore.trust.list_log.verify_list_logged`::

    watcher = AuditLogWatcher("https://registry.example", CheckpointVerifier(VKEY))
    watcher.check()                 # -> Checkpoint; TrustError(log_inconsistent / checkpoint_invalid)
    watcher.check_list(verified)    # the pinned list is a leaf of an accepted checkpoint, or TrustError
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

import httpx

from idcore.errors import Reason, TrustError
from idcore.trust.checkpoint import MAX_NOTE_BYTES, Checkpoint, CheckpointMonitor, CheckpointVerifier
from idcore.trust.list_log import MAX_RECORD_BYTES, verify_list_logged
from idcore.trust.signed import VerifiedTrustList
from lintas.trust_fetch import FetchError, read_bounded

__all__ = ["AuditLogWatcher"]

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

    def _get(self, path: str, params: dict[str, int] | None = None, max_bytes: int = MAX_NOTE_BYTES) -> bytes:
        """The answer's body, streamed and refused past ``max_bytes`` (:func:`lintas.trust_fetch.read_bounded`)."""
        try:
            with self._client.stream("GET", self._base + path, params=params, timeout=self._timeout) as response:
                if response.status_code != 200:
                    raise FetchError(f"registry answered HTTP {response.status_code}")
                body = read_bounded(response, max_bytes)
        except httpx.HTTPError as exc:
            raise FetchError(f"registry unreachable: {type(exc).__name__}") from None
        if body is None:
            raise FetchError("answer larger than the size limit")
        return body

    def _get_json(self, path: str, params: dict[str, int], max_bytes: int, what: str) -> dict[str, Any]:
        try:
            value = json.loads(self._get(path, params, max_bytes))
        except ValueError:
            raise FetchError(f"malformed {what}") from None
        if not isinstance(value, dict):
            raise FetchError(f"malformed {what}")
        return value

    def _proof(self, first: int, second: int) -> Sequence[bytes]:
        body = self._get_json("/consistency", {"first": first, "second": second}, MAX_NOTE_BYTES, "consistency proof")
        return _hashes(body.get("proof"), "consistency proof")

    def inclusion(self, sequence: int, size: int) -> tuple[str, Sequence[bytes]]:
        """Audit record ``sequence`` and its inclusion proof in the tree of ``size`` records."""
        params = {"sequence": sequence, "size": size}
        body = self._get_json("/inclusion", params, 2 * MAX_RECORD_BYTES, "inclusion proof")
        record = body.get("record")
        if not isinstance(record, str) or not record.isascii():
            raise FetchError("malformed inclusion proof")
        return record, _hashes(body.get("audit_path"), "inclusion proof")

    def check_list(self, verified: VerifiedTrustList) -> Checkpoint:
        """Accept the current checkpoint (:meth:`check`) and prove ``verified`` is a leaf under it.

        ``verified`` is a list already checked against the pin. Raises :class:`FetchError` when the
        registry cannot be asked and :class:`~idcore.errors.TrustError` ``log_inconsistent`` when the
        log does not hold this list (never appended, another list at that sequence, a bad proof), or
        ``checkpoint_invalid`` / ``log_inconsistent`` from :meth:`check`.
        """
        head = self.check()
        sequence = verified.trust_list.sequence_number
        if not 1 <= sequence <= head.size:  # a list the signed log does not (yet) hold is not trusted
            raise TrustError(Reason.LOG_INCONSISTENT, f"list {sequence} is not under the checkpoint of {head.size}")
        record, path = self.inclusion(sequence, head.size)
        verify_list_logged(verified.token, sequence, record, path, head)
        return head

    def check(self) -> Checkpoint:
        """Fetch the current checkpoint and accept it only if consistent with the last one.

        Raises :class:`FetchError` when the registry cannot be asked, and
        :class:`~idcore.errors.TrustError` ``checkpoint_invalid`` / ``log_inconsistent``.
        """
        note = self._get("/checkpoint")
        return self.monitor.update(note, self._proof)

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()


def _hashes(value: object, what: str) -> Sequence[bytes]:
    """A JSON list of base64 SHA-256 hashes, bounded; :class:`FetchError` otherwise."""
    if not isinstance(value, list) or len(value) > _MAX_PROOF_HASHES or not all(isinstance(h, str) for h in value):
        raise FetchError(f"malformed {what}")
    try:
        hashes = [base64.b64decode(h, validate=True) for h in value]
    except (binascii.Error, ValueError):
        raise FetchError(f"malformed {what}") from None
    if any(len(h) != 32 for h in hashes):
        raise FetchError(f"malformed {what}")
    return hashes
