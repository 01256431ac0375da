"""The registry's durable state: sequence number, signed lists and the hash-chained audit log.

Storage layout on a :class:`lintas.kv.KeyValueStore` (namespace ``registry``):

* ``seq`` — the current sequence number (ASCII decimal); absent before the first list;
* ``list:<n>`` — the signed list number ``n`` (compact JWS, ``lintas-trust-list+jwt``);
* ``recog:<n>`` — the signed recognition list issued with list ``n`` (compact JWS,
  ``lintas-recognition-list+jwt``, :mod:`idcore.trust.recognition`), same sequence number and
  ``next_update``; absent for lists published before recognition decisions existed;
* ``log:<n>`` — the audit record of the change that produced list ``n``: a compact JWS
  (``lintas-audit+jwt``) signed with the list key, whose payload holds ``sequence``,
  ``prev_hash`` (SHA-256 of the stored record ``n-1``; 64 zeros for the first), ``time``,
  ``actor``, ``action``, ``payload``, ``list_sha256`` (SHA-256 of ``list:<n>``) and
  ``recognitions_sha256`` (SHA-256 of ``recog:<n>``).

``<n>`` is zero-padded to 12 digits so key order is sequence order. List ``n`` also carries
``audit_prev_hash`` = the record's ``prev_hash``, so list and log vouch for each other.

Every change is one :meth:`KeyValueStore.atomic_write` guarded on ``seq``: the list, the
record and the new sequence number appear together or not at all. On a conflict (another
replica won) the change is re-applied to the newer list and tried again. ETSI TS 119 602
requires the sequence number to grow by one per issued list; this is what keeps it gap-free.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from cryptography import x509

from idcore.jose import parse_compact, sign_compact
from idcore.ports import Clock, Signer
from idcore.trust.assurance import AssuranceDeclaration
from idcore.trust.decision import TrustSnapshot
from idcore.trust.federation_keys import FederationKeys
from idcore.trust.model import TrustList
from idcore.trust.recognition import (
    MAX_RECOGNITION_LIST_BYTES,
    RecognitionDecision,
    RecognitionList,
    sign_recognition_list,
)
from idcore.trust.signed import MAX_TRUST_LIST_BYTES, sign_trust_list
from idcore.trust.verifier_entities import VerifierEntity
from lintas.kv import KeyValueStore

__all__ = [
    "AUDIT_TYP",
    "GENESIS_HASH",
    "MAX_PUBLISHED_LIST_BYTES",
    "Change",
    "Ledger",
    "ListTooLarge",
    "Published",
    "list_etag",
    "list_key",
    "log_key",
    "recognitions_key",
    "sha256_hex",
]

AUDIT_TYP = "lintas-audit+jwt"
#: The registry never publishes a list above half the verifiers' fetch cap (issue #12 class 2): the
#: per-country quotas keep a full list far below this, so reaching it means a quota is wrong.
MAX_PUBLISHED_LIST_BYTES = MAX_TRUST_LIST_BYTES // 2
GENESIS_HASH = "0" * 64
SEQ_KEY = "seq"
_MAX_ATTEMPTS = 200


def list_key(seq: int) -> str:
    """Store key of list ``seq``."""
    return f"list:{seq:012d}"


def recognitions_key(seq: int) -> str:
    """Store key of the recognition list issued with list ``seq``."""
    return f"recog:{seq:012d}"


def log_key(seq: int) -> str:
    """Store key of audit record ``seq``."""
    return f"log:{seq:012d}"


def sha256_hex(data: bytes | str) -> str:
    """Hex SHA-256 of bytes or of an ASCII string."""
    return hashlib.sha256(data.encode("ascii") if isinstance(data, str) else data).hexdigest()


def list_etag(seq: int, token: str) -> str:
    """The strong HTTP entity tag of signed list ``seq``."""
    return f'"{seq}-{sha256_hex(token)[:32]}"'


def _or_empty(recognitions: RecognitionList | None) -> RecognitionList:
    return recognitions if recognitions is not None else RecognitionList("https://unused.invalid", 0, 0, 1, ())


def consistent_declarations(
    declared: tuple[AssuranceDeclaration, ...], trust_list: TrustList
) -> tuple[AssuranceDeclaration, ...]:
    """The declarations the list agrees with: a listed issuer, a framework of its country, and
    a common level equal to its ``assurance_level``. Any other (an issuer since changed through
    ``PATCH /v1/governance/issuers``) is not published: the list is what verifiers decide on."""
    kept = []
    for declaration in declared:
        issuer = trust_list.issuer(declaration.issuer_id)
        if issuer is None or declaration.framework.country != issuer.country:
            continue
        if declaration.common == issuer.assurance_level:
            kept.append(declaration)
    return tuple(kept)


class ListTooLarge(Exception):
    """The signed list would exceed :data:`MAX_PUBLISHED_LIST_BYTES`; nothing was written."""


class LedgerConflict(Exception):
    """A change lost the race for the sequence number too many times (the caller answers 503)."""


@dataclass(frozen=True, slots=True)
class Published:
    """One published list: its number, signed form, parsed form and index."""

    sequence_number: int
    token: str
    trust_list: TrustList
    snapshot: TrustSnapshot

    @property
    def etag(self) -> str:
        """A strong HTTP entity tag for the signed list."""
        return list_etag(self.sequence_number, self.token)


@dataclass(frozen=True, slots=True)
class Change:
    """What a governance function produced: the new list content and what to log about it.

    ``recognitions`` replaces every recognition decision; ``None`` keeps the current ones.
    """

    trust_list: TrustList
    action: str
    payload: dict[str, Any]
    recognitions: tuple[RecognitionDecision, ...] | None = None
    #: Replaces every assurance declaration; ``None`` keeps the current ones.
    assurance: tuple[AssuranceDeclaration, ...] | None = None
    #: Replaces every issuer's registered federation keys; ``None`` keeps the current ones.
    federation_keys: tuple[FederationKeys, ...] | None = None
    #: Replaces the member states' verifier entity registrations; ``None`` keeps the current ones.
    verifier_entities: tuple[VerifierEntity, ...] | None = None


class Ledger:
    """Reads and appends lists and audit records; one instance per process and store."""

    def __init__(
        self,
        store: KeyValueStore,
        signer: Signer,
        chain: Sequence[x509.Certificate],
        clock: Clock,
        *,
        list_validity: int,
    ) -> None:
        """Remember the collaborators; nothing is read here."""
        self._store = store
        self._signer = signer
        self._chain = list(chain)
        self._clock = clock
        self._validity = list_validity
        self._lock = threading.Lock()  # serialises this process; atomic_write serialises replicas
        self._cached: Published | None = None

    def sequence(self) -> int:
        """The current sequence number (0 before the first list)."""
        raw = self._store.get(SEQ_KEY)
        return int(raw) if raw is not None else 0

    def published(self, seq: int) -> Published | None:
        """List ``seq`` as published (``None`` if there is no such list)."""
        cached = self._cached
        if cached is not None and cached.sequence_number == seq:
            return cached
        raw = self._store.get(list_key(seq)) if seq > 0 else None
        if raw is None:
            return None
        token = raw.decode("ascii")
        trust_list = TrustList.from_json(parse_compact(token, max_bytes=len(token)).claims())
        return Published(seq, token, trust_list, TrustSnapshot(trust_list))

    def token(self, seq: int) -> str | None:
        """The signed list ``seq`` as stored, without parsing it (past lists are served as-is)."""
        raw = self._store.get(list_key(seq)) if seq > 0 else None
        return raw.decode("ascii") if raw is not None else None

    def current(self) -> Published | None:
        """The newest list, read through a one-entry cache keyed by the stored sequence number."""
        found = self.published(self.sequence())
        if found is not None:
            self._cached = found
        return found

    def recognitions_token(self, seq: int) -> str | None:
        """The signed recognition list issued with list ``seq``, as stored."""
        raw = self._store.get(recognitions_key(seq)) if seq > 0 else None
        return raw.decode("ascii") if raw is not None else None

    def recognitions(self, seq: int) -> RecognitionList | None:
        """The recognition list issued with list ``seq`` (``None`` before any was issued)."""
        token = self.recognitions_token(seq)
        if token is None:
            return None
        return RecognitionList.from_json(parse_compact(token, max_bytes=len(token)).claims())

    def record(self, seq: int) -> bytes | None:
        """The stored audit record ``seq`` (a compact JWS), if any."""
        return self._store.get(log_key(seq)) if seq > 0 else None

    def append(
        self,
        actor: str,
        build: Callable[[TrustList | None], Change | None],
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Published:
        """Apply ``build`` to the newest list and publish the result with its audit record.

        ``build`` may raise (nothing is written) or return ``None`` (no change needed; the
        current list is returned). Retries on a lost race; raises :class:`LedgerConflict`
        after too many.
        """
        with self._lock:
            for attempt in range(_MAX_ATTEMPTS):
                published = self._try_append(actor, build)
                if published is not None:
                    self._cached = published
                    return published
                # Another replica appended first: back off a little, then rebuild on its list.
                sleep(random.uniform(0, min(0.05, 0.002 * (attempt + 1))))  # noqa: S311 - jitter only
        raise LedgerConflict("could not append after repeated conflicts")

    def _try_append(self, actor: str, build: Callable[[TrustList | None], Change | None]) -> Published | None:
        raw_seq = self._store.get(SEQ_KEY)
        seq = int(raw_seq) if raw_seq is not None else 0
        current = self.published(seq)
        change = build(current.trust_list if current is not None else None)
        if change is None:
            if current is None:
                raise ValueError("nothing to publish on an empty ledger")
            return current
        prev = self.record(seq)
        prev_hash = sha256_hex(prev) if prev is not None else GENESIS_HASH
        now = self._clock.now()
        new_seq = seq + 1
        trust_list = replace(
            change.trust_list,
            sequence_number=new_seq,
            issued_at=now,
            next_update=now + self._validity,
            audit_prev_hash=prev_hash,
        )
        token = sign_trust_list(trust_list, self._signer, self._chain)
        if len(token) > MAX_PUBLISHED_LIST_BYTES:
            raise ListTooLarge(f"the signed list would be {len(token)} bytes (limit {MAX_PUBLISHED_LIST_BYTES})")
        recognitions = self._recognitions_token(seq, change, trust_list)
        if len(recognitions) > MAX_RECOGNITION_LIST_BYTES:  # a backstop: the quotas keep it far below
            raise ListTooLarge(f"the recognition list would be {len(recognitions)} bytes")
        record = self._sign_record(
            {
                "sequence": new_seq,
                "prev_hash": prev_hash,
                "time": now,
                "actor": actor,
                "action": change.action,
                "payload": change.payload,
                "list_sha256": sha256_hex(token),
                "recognitions_sha256": sha256_hex(recognitions),
            }
        )
        writes = {
            SEQ_KEY: str(new_seq).encode(),
            list_key(new_seq): token.encode(),
            recognitions_key(new_seq): recognitions.encode(),
            log_key(new_seq): record.encode(),
        }
        if not self._store.atomic_write(SEQ_KEY, raw_seq, writes):
            return None
        return Published(new_seq, token, trust_list, TrustSnapshot(trust_list))

    def _recognitions_token(self, seq: int, change: Change, trust_list: TrustList) -> str:
        """Re-issue the recognition list with list ``seq + 1``: same number, time and ``next_update``."""
        current = _or_empty(self.recognitions(seq))
        decisions = change.recognitions if change.recognitions is not None else current.decisions
        declared = change.assurance if change.assurance is not None else current.assurance
        keys = change.federation_keys if change.federation_keys is not None else current.federation_keys
        verifiers = change.verifier_entities if change.verifier_entities is not None else current.verifier_entities
        issued = RecognitionList(
            trust_list.scheme_operator.uri,
            trust_list.sequence_number,
            trust_list.issued_at,
            trust_list.next_update,
            decisions,
            consistent_declarations(declared, trust_list),
            tuple(k for k in keys if trust_list.issuer(k.issuer_id) is not None),  # listed issuers only
            verifiers,
        )
        return sign_recognition_list(issued, self._signer, self._chain)

    def _sign_record(self, record: dict[str, Any]) -> str:
        # Records are verified with the same pinned certificate as the lists (audit-verify).
        return sign_compact({"typ": AUDIT_TYP}, record, self._signer)
