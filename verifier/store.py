"""Transaction state in the shared key-value store (Redis in production, SQLite for the demo).

Every verifier replica reads and writes only here, so any replica can serve any step of a flow
(OpenID4VP 1.0 Section 13.3 reference design: transaction id, request id as ``state``,
``response_code``). Keys, all with TTLs:

* ``tx:<id>`` — the transaction (relying party, policy, nonce, response mode, ephemeral key);
* ``req:<request id>`` — request id (= ``state``) to transaction and flow (cross / same device);
* ``kid:<kid>`` — the ``direct_post.jwt`` key id to its transaction;
* ``open:<id>`` — present while a response may still be accepted; consumed atomically by the
  first *authenticated* response, so of any number of concurrent posts exactly one counts;
* ``nonce:<nonce>`` — set-if-absent at creation (no nonce is ever issued twice), consumed on use;
* ``key:<id>`` — the ``direct_post.jwt`` ephemeral private key, deleted when the transaction is
  claimed (never in the ``tx:`` record, which outlives the open phase);
* ``status:<id>`` — pending / verified / rejected with the check and reason; ``fetched:<id>``
  marks a fetched request object (kept apart so that it can never overwrite a result);
* ``result:<id>`` — the verified claims, consumed by the relying party's first fetch (or gone
  after ``result_ttl``); ``last:<id>`` — the latest rejection that did not end the transaction;
* ``code:<id>`` — the same-device ``response_code``;
* ``rl:<limiter>:<hash>:<window>`` — sliding-window rate-limit counters (:mod:`lintas.ratelimit`).

A store failure raises :class:`lintas.kv.StoreUnavailable`; the app answers 503 and nothing is
accepted, because acceptance is the successful ``consume`` followed by a successful result write.

One round trip per step (issue #18): :meth:`TransactionStore.create` writes every key of a new
transaction in one atomic ``put_if_absent`` guarded by its nonce; :meth:`~TransactionStore.claim`
takes ``open:`` and ``nonce:`` and deletes ``key:`` in one atomic ``take_all``;
:meth:`~TransactionStore.settle` does the same and writes the outcome (status, result, same-device
code) in that very step, so a claim can never be left without its result; :meth:`~TransactionStore.status`
reads ``status:`` and ``fetched:`` with one ``MGET``, :meth:`~TransactionStore.response_state` the
transaction, its ``open:`` marker and its decryption key with another, :meth:`~TransactionStore.poll`
all a relying party's status poll reads with a third.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from lintas.kv import Entry, KeyValueStore

__all__ = ["FLOW_CROSS", "FLOW_SAME", "TERMINAL", "PollState", "TransactionStore"]

FLOW_CROSS = "cross"
FLOW_SAME = "same"
TERMINAL = frozenset({"verified", "rejected"})


def _dump(value: Any) -> bytes:
    return orjson.dumps(value)  # compact UTF-8 JSON, as json.dumps(separators=(",", ":")) but in C


def _load(raw: bytes | None) -> Any:
    return None if raw is None else orjson.loads(raw)


@dataclass(frozen=True, slots=True)
class PollState:
    """What a relying party's status poll reads, from one ``MGET`` (:meth:`TransactionStore.poll`)."""

    tx: dict[str, Any] | None
    status: dict[str, Any] | None
    last_rejection: dict[str, Any] | None
    response_code: str | None


def _status_record(raw: bytes | None, fetched: bytes | None) -> dict[str, Any] | None:
    """A status record; an open transaction whose request was fetched reads ``fetched``."""
    value = _load(raw)
    if not isinstance(value, dict):
        return None
    if value.get("status") == "pending" and fetched is not None:
        return {**value, "status": "fetched"}
    return value


def _dict_or_none(raw: bytes | None) -> dict[str, Any] | None:
    value = _load(raw)
    return value if isinstance(value, dict) else None


@dataclass
class TransactionStore:
    """Typed access to the verifier's keys; ``ttl`` bounds the open phase, ``result_ttl`` the rest."""

    kv: KeyValueStore
    ttl: int
    result_ttl: int

    def create(
        self, tx: dict[str, Any], request_ids: dict[str, str], kid: str | None, enc_key: dict[str, Any] | None = None
    ) -> bool:
        """Store a new transaction; ``False`` if its nonce was ever issued before (caller retries)."""
        tid = tx["id"]
        keep = self.ttl + self.result_ttl
        # The nonce first: put_if_absent writes everything only if it was never issued (atomic, one trip).
        entries: list[Entry] = [(f"nonce:{tx['nonce']}", tid.encode(), self.ttl), (f"tx:{tid}", _dump(tx), keep)]
        entries += [(f"req:{rid}", _dump({"tx": tid, "flow": flow}), self.ttl) for flow, rid in request_ids.items()]
        if kid is not None:
            entries.append((f"kid:{kid}", tid.encode(), self.ttl))
        if enc_key is not None:
            entries.append((f"key:{tid}", _dump(enc_key), self.ttl))
        entries.append((f"status:{tid}", _dump({"status": "pending", "updated": tx["created"]}), keep))
        entries.append((f"open:{tid}", b"1", self.ttl))
        return self.kv.put_if_absent(entries)

    def transaction(self, tid: str) -> dict[str, Any] | None:
        """The transaction record, or ``None``."""
        value = _load(self.kv.get(f"tx:{tid}"))
        return value if isinstance(value, dict) else None

    def response_state(self, tid: str) -> tuple[dict[str, Any] | None, bool, dict[str, Any] | None]:
        """The transaction, whether it is open and its decryption key, read with one ``MGET``.

        What the Response URI needs before it verifies (the same values as :meth:`transaction`,
        :meth:`is_open` and :meth:`decryption_key`, in one round trip instead of three).
        """
        raw_tx, raw_open, raw_key = self.kv.get_many([f"tx:{tid}", f"open:{tid}", f"key:{tid}"])
        tx, key = _load(raw_tx), _load(raw_key)
        return (tx if isinstance(tx, dict) else None), raw_open is not None, (key if isinstance(key, dict) else None)

    def request(self, rid: str) -> dict[str, Any] | None:
        """``{"tx", "flow"}`` for a live request id (= ``state``)."""
        value = _load(self.kv.get(f"req:{rid}"))
        return value if isinstance(value, dict) else None

    def by_kid(self, kid: str) -> str | None:
        """The transaction whose ephemeral encryption key has this ``kid``."""
        raw = self.kv.get(f"kid:{kid}")
        return raw.decode() if raw is not None else None

    def is_open(self, tid: str) -> bool:
        """Whether a response may still be accepted (a cheap pre-check; :meth:`claim` decides)."""
        return self.kv.get(f"open:{tid}") is not None

    def claim(self, tid: str, nonce: str) -> bool:
        """Atomically take the right to answer this transaction; true for exactly one caller.

        The nonce is used at the same time (Section 14.1) and the decryption key deleted: from
        here on nothing can decrypt or answer this transaction again.
        """
        return self.kv.take_all([f"open:{tid}", f"nonce:{nonce}"], [f"key:{tid}"])

    def settle(
        self,
        tid: str,
        nonce: str,
        record: dict[str, Any],
        *,
        result: list[dict[str, Any]] | None = None,
        response_code: str | None = None,
    ) -> bool:
        """:meth:`claim` and record the outcome in one atomic step; true for exactly one caller.

        The winner's status ``record``, verified ``result`` (until the relying party's first fetch,
        at most ``result_ttl``) and same-device ``response_code`` are written by the same script
        that takes ``open:`` and the nonce (Section 14.1), so an accepted response always has its
        result and a losing caller writes nothing.
        """
        writes: list[Entry] = [(f"status:{tid}", _dump(record), self.ttl + self.result_ttl)]
        if result is not None:
            writes.append((f"result:{tid}", _dump(result), self.result_ttl))
        if response_code is not None:
            writes.append((f"code:{tid}", response_code.encode(), self.result_ttl))
        return self.kv.take_all([f"open:{tid}", f"nonce:{nonce}"], [f"key:{tid}"], writes)

    def decryption_key(self, tid: str) -> dict[str, Any] | None:
        """The transaction's ephemeral private JWK while it is open."""
        value = _load(self.kv.get(f"key:{tid}"))
        return value if isinstance(value, dict) else None

    def note_rejection(self, tid: str, rejection: dict[str, Any]) -> None:
        """Keep the latest unauthenticated rejection beside the (unchanged) status, for the relying party."""
        self.kv.set(f"last:{tid}", _dump(rejection), self.ttl)

    def last_rejection(self, tid: str) -> dict[str, Any] | None:
        """The latest rejection that did not end the transaction."""
        value = _load(self.kv.get(f"last:{tid}"))
        return value if isinstance(value, dict) else None

    def status(self, tid: str) -> dict[str, Any] | None:
        """The current status record; an open transaction whose request was fetched reads ``fetched``."""
        return _status_record(*self.kv.get_many([f"status:{tid}", f"fetched:{tid}"]))

    def poll(self, tid: str) -> PollState:
        """The transaction, its status, latest rejection and same-device code, in one ``MGET``.

        Everything a relying party's status poll reads (the owner check included); only handing
        over a verified result (:meth:`take_result`) is a second, consuming step.
        """
        tx, status, fetched, last, code = self.kv.get_many(
            [f"tx:{tid}", f"status:{tid}", f"fetched:{tid}", f"last:{tid}", f"code:{tid}"]
        )
        return PollState(
            _dict_or_none(tx),
            _status_record(status, fetched),
            _dict_or_none(last),
            None if code is None else code.decode(),
        )

    def set_status(self, tid: str, record: dict[str, Any]) -> None:
        """Replace the status record (kept for the result retention time)."""
        self.kv.set(f"status:{tid}", _dump(record), self.ttl + self.result_ttl)

    def save_result(self, tid: str, credentials: list[dict[str, Any]]) -> None:
        """Keep the verified claims until the relying party's first fetch, at most ``result_ttl``."""
        self.kv.set(f"result:{tid}", _dump(credentials), self.result_ttl)

    def take_result(self, tid: str) -> list[dict[str, Any]] | None:
        """Hand the verified claims over once: an atomic get-and-delete."""
        value = _load(self.kv.consume(f"result:{tid}"))
        return value if isinstance(value, list) else None

    def mark_fetched(self, tid: str) -> None:
        """Record that a wallet fetched the request object.

        A separate key, never a rewrite of the status record: a fetch racing with the response
        must not overwrite a final result.
        """
        self.kv.set(f"fetched:{tid}", b"1", self.ttl)

    def save_response_code(self, tid: str, code: str) -> None:
        """Remember the same-device ``response_code``."""
        self.kv.set(f"code:{tid}", code.encode(), self.result_ttl)

    def response_code(self, tid: str) -> str | None:
        """The same-device ``response_code`` of a transaction."""
        raw = self.kv.get(f"code:{tid}")
        return raw.decode() if raw is not None else None

    def use_offline_nonce(self, client_id: str, nonce: str, ttl: int) -> bool:
        """Record a nonce given to ``/v1/verify``; false if this relying party used it before."""
        digest = hashlib.sha256(nonce.encode("utf-8")).hexdigest()  # bounded key, whatever the nonce
        return self.kv.set_if_absent(f"vnonce:{client_id}:{digest}", b"1", ttl)

    def ping(self) -> None:
        """Raise :class:`lintas.kv.StoreUnavailable` if the store does not answer."""
        self.kv.ping()
