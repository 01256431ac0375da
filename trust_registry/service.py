"""Registry orchestration: publication, governance changes and trust queries over the ledger.

Routes stay thin; everything that decides lives here or in :mod:`trust_registry.changes`
and :mod:`idcore.trust`. The authorization query follows the ToIP Trust Registry Query
Protocol (``POST /authorization`` with ``entity_id``, ``authority_id``, ``action``,
``resource``, ``context.time`` -> ``authorized``, ``time_evaluated``), extended with the
evidence a verifier can check offline: the list sequence number, the list hash and the
issuer entry, all inside a JWS signed with the list key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from idcore.jose import parse_compact, sign_compact
from idcore.ports import Clock
from idcore.trust.checkpoint import CheckpointSigner
from idcore.trust.decision import is_authorised
from idcore.trust.etsi import sign_lote
from idcore.trust.model import TrustList
from idcore.trust.recognition import RecognitionList
from idcore.x509 import x5c_from_certificates
from lintas.kv import KeyValueStore
from trust_registry.changes import ChangeError
from trust_registry.checkpoints import AuditTree, checkpoint_origin
from trust_registry.federation import TrustAnchorStatements
from trust_registry.ledger import Change, Ledger, ListTooLarge, Published, sha256_hex
from trust_registry.pki import RegistryKeys
from trust_registry.seed import build_initial_list, load_seed, seed_declarations
from trust_registry.settings import RegistrySettings

__all__ = ["ANSWER_TYP", "ChangeResult", "RegistryService"]

ANSWER_TYP = "lintas-trqp-answer+jwt"
SUPPORTED_ACTIONS = frozenset({"issue"})
_log = logging.getLogger("trust_registry")

Build = Callable[[TrustList, int], tuple[TrustList, dict[str, Any], dict[str, Any]]]
#: ``(current list, current recognition list, now, sequence number of this change)`` -> the change, response body.
FabricBuild = Callable[[TrustList, RecognitionList, int, int], tuple[Change, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """A published change: the new sequence number and what the route reports back."""

    sequence_number: int
    body: dict[str, Any]


class RegistryService:
    """One per app: owns the ledger and the registry's keys."""

    def __init__(self, settings: RegistrySettings, store: KeyValueStore, clock: Clock, keys: RegistryKeys) -> None:
        """Wire the collaborators; :meth:`bootstrap` does the first-start work."""
        self.settings = settings
        self.store = store
        self.clock = clock
        self.keys = keys
        self.ledger = Ledger(store, keys.list_signer, [keys.signing_cert], clock, list_validity=settings.list_validity)
        origin = checkpoint_origin(settings.public_url)
        self._recognitions_seq = 0
        self._lote: tuple[int, str] | None = None
        self._fabric: RecognitionList | None = None
        self.federation = TrustAnchorStatements(settings.public_url, keys.list_signer, settings.data_dir)
        self.audit_tree = AuditTree(self.ledger, CheckpointSigner(origin, keys.checkpoint_key))

    def bootstrap(self) -> Published:
        """Publish the seeded list as sequence 1 unless the store already has lists."""
        current = self.ledger.current()
        if current is not None:
            return current
        seed = load_seed(self.settings.seed_file)
        initial = build_initial_list(self.settings, seed, now=self.clock.now())
        declarations = seed_declarations(self.settings, seed)
        payload = {
            "seed": self.settings.seed_file.name,
            "countries": [c.code for c in initial.countries],
            "issuers": [i.issuer_id for c in initial.countries for i in c.issuers],
        }

        def first(current: TrustList | None) -> Change | None:
            return (
                Change(initial, "seed", payload, recognitions=(), assurance=declarations) if current is None else None
            )

        published = self.ledger.append("system", first)
        _log.info("trust list %d published from seed", published.sequence_number)
        return published

    def current(self) -> Published:
        """The newest list; re-issued (new sequence number, same content) past its half-life."""
        published = self.ledger.current()
        if published is None:
            published = self.bootstrap()
        if self._due(published.trust_list) or not self._has_recognitions(published.sequence_number):
            published = self.ledger.append("system", self._republish)
        return published

    def _has_recognitions(self, seq: int) -> bool:
        # Remembered per sequence number: the trust-list GET should not pay a second store read.
        if self._recognitions_seq != seq:
            if self.ledger.recognitions_token(seq) is None:
                return False
            self._recognitions_seq = seq
        return True

    def current_lote(self) -> tuple[int, str]:
        """The current list in the ETSI TS 119 602 JSON binding, signed like the list (once per sequence)."""
        published = self.current()
        cached = self._lote
        if cached is None or cached[0] != published.sequence_number:
            token = sign_lote(published.trust_list, self.keys.list_signer, [self.keys.signing_cert])
            cached = self._lote = (published.sequence_number, token)
        return cached

    def current_fabric(self) -> RecognitionList:
        """The parsed recognition list of the current list (decisions, declarations, federation keys)."""
        seq, token = self.current_recognitions()
        cached = self._fabric
        if cached is None or cached.sequence_number != seq:
            cached = self._fabric = RecognitionList.from_json(parse_compact(token, max_bytes=len(token)).claims())
        return cached

    def current_recognitions(self) -> tuple[int, str]:
        """The sequence number and signed recognition list issued with the newest trust list."""
        published = self.current()
        token = self.ledger.recognitions_token(published.sequence_number)
        if token is None:  # cannot stay so: current() re-issues a list that lacks one
            raise ChangeError(503, "No recognition list", "the registry has not issued a recognition list yet")
        return published.sequence_number, token

    def _due(self, trust_list: TrustList) -> bool:
        half_life = (trust_list.next_update - trust_list.issued_at) // 2
        return self.clock.now() >= trust_list.issued_at + half_life

    def _republish(self, current: TrustList | None) -> Change | None:
        if current is None:
            return None
        # A store from before recognition lists gets one with the next list.
        missing = self.ledger.recognitions_token(current.sequence_number) is None
        if not self._due(current) and not missing:
            return None  # another replica re-issued first
        return Change(current, "republish", {})

    def change(self, actor: str, action: str, build: Build) -> ChangeResult:
        """Apply one governance change and publish it atomically with its audit record.

        ``build(current_list, now)`` returns ``(new_list, audit_payload, response_body)`` or
        raises :class:`ChangeError`, in which case nothing is written.
        """
        self.current()  # make sure a list exists (and is not due) before changing it
        bodies: list[dict[str, Any]] = []

        def apply(current: TrustList | None) -> Change:
            if current is None:
                raise ChangeError(503, "No list", "the registry has not published a list yet")
            new_list, payload, body = build(current, self.clock.now())
            bodies.append(body)
            return Change(new_list, action, payload)

        return self._publish(actor, action, apply, bodies)

    def change_fabric(self, actor: str, action: str, build: FabricBuild) -> ChangeResult:
        """Like :meth:`change` for changes that touch the recognition list (decisions, declarations)."""
        self.current()
        bodies: list[dict[str, Any]] = []

        def apply(current: TrustList | None) -> Change:
            if current is None:
                raise ChangeError(503, "No list", "the registry has not published a list yet")
            # Read at the list's own sequence number: the append is guarded on it, so a change by
            # another replica in between makes the write fail and this build run again.
            existing = self.ledger.recognitions(current.sequence_number)
            if existing is None:
                existing = RecognitionList(current.scheme_operator.uri, 0, 0, 1, ())
            change, body = build(current, existing, self.clock.now(), current.sequence_number + 1)
            bodies.append(body)
            return change

        return self._publish(actor, action, apply, bodies)

    def _publish(
        self, actor: str, action: str, apply: Callable[[TrustList | None], Change], bodies: list[dict[str, Any]]
    ) -> ChangeResult:
        try:
            published = self.ledger.append(actor, apply)
        except ListTooLarge as exc:
            raise ChangeError(409, "Quota exceeded", str(exc)) from None
        _log.info("change %s by %s published as list %d", action, actor, published.sequence_number)
        return ChangeResult(published.sequence_number, {"sequence_number": published.sequence_number, **bodies[-1]})

    def authorization(self, entity_id: str, authority_id: str, action: str, resource: str, at: int) -> dict[str, Any]:
        """Answer a TRQP authorization query, with evidence and a signed copy of the answer."""
        if action not in SUPPORTED_ACTIONS:
            raise ChangeError(400, "Unsupported action", f"action must be one of {sorted(SUPPORTED_ACTIONS)}")
        published = self.current()
        if published.trust_list.country(authority_id) is None:
            raise ChangeError(404, "Unknown authority", f"{authority_id!r} is not a listed country code")
        now = self.clock.now()
        decision = is_authorised(published.snapshot, entity_id, resource, at, now)
        issuer = decision.issuer
        authorised = decision.authorised and issuer is not None and issuer.country == authority_id
        reason = None if authorised else (decision.reason.value if decision.reason else "not_authorised")
        if decision.authorised and not authorised:
            reason = "not_authorised"  # listed, but by another country than the one asked about
        answer: dict[str, Any] = {
            "entity_id": entity_id,
            "authority_id": authority_id,
            "action": action,
            "resource": resource,
            "authorized": authorised,
            "reason": reason,
            "time_requested": at,
            "time_evaluated": now,
            "evidence": {
                "sequence_number": published.sequence_number,
                "list_sha256": sha256_hex(published.token),
                "entry": issuer.to_json() if issuer is not None else None,
                "country": issuer.country if issuer is not None else None,
                # The status change the answer rests on, with its ETSI-style reason (the "why").
                "status": decision.status.to_json() if decision.status is not None else None,
            },
        }
        header = {"typ": ANSWER_TYP, "x5c": x5c_from_certificates([self.keys.signing_cert])}
        return {**answer, "answer": sign_compact(header, answer, self.keys.list_signer)}
