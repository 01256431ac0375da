"""Relying parties as first-class: their registration, and how a wallet is told who is asking.

A registration names the relying party a wallet user deals with: legal name, country, purpose,
privacy-policy URL and how long it keeps what it receives. The claims it may ask for are the
ones its policies name (the verifier enforces that: :meth:`VerifierConfig.check_within_registration`),
so they are derived, never typed in twice. Registrations come from the configuration file's
``relying_parties``, from ``relying-parties.json`` in the data directory (``lintas verifier rp
add``) and, for a registered client, from edits through the admin API kept in the shared store
(so every replica sees them at once).

Every signed Request Object then carries an OpenID4VP 1.0 ``verifier_info`` entry (Sections 5.1 and
5.11, "Verifier Info"): a claim-bound JWT (``typ: lintas-rp-registration+jwt``) signed with the
request-signing key, whose ``sub`` is the request's ``client_id``. The exact shape is documented
in ``docs/readme.d/deploy.md`` for wallets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from idcore.errors import Reason
from idcore.jose import sign_compact
from idcore.oid4vp import AuthorizationError, sign_request_object
from idcore.oid4vp.errors import INVALID_REQUEST
from idcore.ports import Signer
from idcore.trust.vct import ASEAN_COUNTRIES
from idcore.x509 import x5c_from_certificates
from lintas.kv import KeyValueStore
from verifier.policy import ConfigError, Policy
from verifier.transactions import TransactionService

__all__ = [
    "OBJECT_FORMAT",
    "REGISTRATIONS_FILE",
    "VERIFIER_INFO_TYP",
    "PartyDirectory",
    "RegisteredPartyService",
    "Registration",
    "add_registration",
    "configured_registrations",
    "parse_registration",
    "read_registrations",
    "registered_claims",
]

REGISTRATIONS_FILE = "relying-parties.json"
VERIFIER_INFO_TYP = "lintas-rp-registration+jwt"
#: ``format`` of the object form of the registration (claim-bound by the Request Object's signature).
OBJECT_FORMAT = "lintas_rp_registration"
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
_MAX_RETENTION_DAYS = 3650
_STORE_PREFIX = "rp-registration:"


@dataclass(frozen=True, slots=True)
class Registration:
    """What a wallet is told about a relying party (the ``rp`` object of ``verifier_info``, without claims)."""

    client_id: str
    legal_name: str
    country: str
    purpose: str = ""
    privacy_policy_url: str | None = None
    #: Days the relying party keeps the claims it receives; 0: not kept beyond the transaction.
    retention_days: int = 0

    def to_json(self) -> dict[str, Any]:
        """JSON form (file, store, admin API)."""
        return asdict(self)


def check_client_id(client_id: str) -> str:
    """A relying party's id: 1-64 characters of ``[A-Za-z0-9._-]`` (it becomes a key and a file entry)."""
    if not isinstance(client_id, str) or not 0 < len(client_id) <= 64 or not _ID_CHARS.issuperset(client_id):
        raise ConfigError("client_id must be 1-64 characters of A-Z a-z 0-9 . _ -")
    return client_id


def _text(raw: Mapping[str, Any], key: str, upper: int, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or len(value) > upper or (default is None and not value.strip()):
        raise ConfigError(f"{key} must be a string of at most {upper} characters")
    return value.strip()


def parse_registration(client_id: str, raw: Any) -> Registration:
    """Validate one registration (file, CLI or admin API); :class:`ConfigError` names what is wrong.

    ``legal_name`` defaults to the configuration's display ``name``; the privacy-policy URL must be https.
    """
    check_client_id(client_id)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"relying party {client_id!r} must be an object")
    named = {**raw, "legal_name": raw.get("legal_name", raw.get("name"))}
    legal_name = _text(named, "legal_name", 128)
    country = raw.get("country")
    if country not in ASEAN_COUNTRIES:
        raise ConfigError(f"relying party {client_id!r}: country must be an ASEAN member's ISO 3166-1 alpha-2 code")
    url = raw.get("privacy_policy_url")
    if url is not None:
        parts = urlsplit(url) if isinstance(url, str) and len(url) <= 512 else None
        if parts is None or parts.scheme != "https" or not parts.hostname:
            raise ConfigError(f"relying party {client_id!r}: privacy_policy_url must be an https URL")
    retention = raw.get("retention_days", 0)
    if isinstance(retention, bool) or not isinstance(retention, int) or not 0 <= retention <= _MAX_RETENTION_DAYS:
        raise ConfigError(f"relying party {client_id!r}: retention_days must be 0 to {_MAX_RETENTION_DAYS}")
    purpose = _text(raw, "purpose", 300, "")
    return Registration(client_id, legal_name, str(country), purpose, url, retention)


def registered_claims(policies: list[Policy]) -> list[dict[str, Any]]:
    """The (credential type, claim path) pairs the relying party's policies ask for, each once."""
    seen: list[dict[str, Any]] = []
    for policy in policies:
        for credential in policy.dcql.get("credentials", []):
            meta = credential.get("meta") or {}
            types = meta.get("vct_values") or ([meta["doctype_value"]] if "doctype_value" in meta else [])
            for vct in types:
                for claim in credential.get("claims") or []:
                    entry = {"vct": str(vct), "path": list(claim.get("path", []))}
                    if entry not in seen:
                        seen.append(entry)
    return seen


def read_registrations(data_dir: Path) -> dict[str, Any]:
    """The raw entries of ``relying-parties.json`` (empty when there is none)."""
    path = data_dir / REGISTRATIONS_FILE
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a JSON object of relying parties")
    return raw


def add_registration(data_dir: Path, client_id: str, entry: Mapping[str, Any]) -> None:
    """Add or replace one entry of ``relying-parties.json`` (validated first, written atomically)."""
    parse_registration(client_id, entry)
    entries = read_registrations(data_dir)
    entries[client_id] = dict(entry)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / REGISTRATIONS_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class PartyDirectory:
    """Registrations by client id: the shared store's admin edits over the configured ones."""

    def __init__(self, kv: KeyValueStore, configured: Mapping[str, Registration]) -> None:
        self._kv = kv
        self._configured = dict(configured)

    def known(self, client_id: str) -> bool:
        """Whether ``client_id`` is a configured relying party (only those have credentials)."""
        return client_id in self._configured

    def get(self, client_id: str) -> Registration | None:
        """The current registration of ``client_id``, or ``None`` for an unknown relying party."""
        if client_id not in self._configured:
            return None
        raw = self._kv.get(_STORE_PREFIX + client_id)
        if raw is None:
            return self._configured[client_id]
        return parse_registration(client_id, json.loads(raw))

    def put(self, registration: Registration) -> None:
        """Store an edited registration for every replica (configuration: kept until replaced, no expiry)."""
        if registration.client_id not in self._configured:
            raise ConfigError("unknown relying party: register new ones with `lintas verifier rp add`")
        self._kv.set(_STORE_PREFIX + registration.client_id, json.dumps(registration.to_json()).encode())

    def all(self) -> list[Registration]:
        """Every registration, by client id."""
        return [r for cid in sorted(self._configured) if (r := self.get(cid)) is not None]


def verifier_info(
    registration: Registration,
    claims: list[dict[str, Any]],
    *,
    client_id: str,
    issuer: str,
    iat: int,
    exp: int,
    signer: Signer,
    chain: list[x509.Certificate],
) -> list[dict[str, Any]]:
    """The ``verifier_info`` parameter: the registration twice, in two proof-of-possession forms.

    1. ``format: lintas_rp_registration``, ``data`` a JSON object: claim-bound by the Request
       Object's own signature (the wallet has checked it and the chain before reading this);
    2. ``format: jwt``, ``data`` a JWT (``typ: lintas-rp-registration+jwt``) signed by the same
       key, ``sub`` the request's ``client_id``: the same attestation, verifiable on its own.

    The privacy policy is ``policy_uri``, the RFC 7591 client metadata name.
    """
    rp: dict[str, Any] = {
        "id": registration.client_id,
        "legal_name": registration.legal_name,
        "country": registration.country,
        "purpose": registration.purpose,
        "registered_claims": claims,
        "retention_days": registration.retention_days,
    }
    if registration.privacy_policy_url is not None:
        rp["policy_uri"] = registration.privacy_policy_url
    payload = {"iss": issuer, "sub": client_id, "iat": iat, "exp": exp, "rp": rp}
    header = {"typ": VERIFIER_INFO_TYP, "x5c": x5c_from_certificates(chain)}
    return [
        {"format": OBJECT_FORMAT, "data": {"relying_party": rp}},
        {"format": "jwt", "data": sign_compact(header, payload, signer)},
    ]


class RegisteredPartyService(TransactionService):
    """Transactions whose signed Request Objects say which registered relying party asks.

    Each Request Object is signed with the access key its transaction began with (the current
    one, or during a rotation the standby one: :meth:`VerifierKeys.pair_for`), and carries a
    ``verifier_info`` attestation signed by that same key. Unsigned (``redirect_uri``,
    development) requests carry nothing: an unsigned attestation would prove nothing.
    """

    directory: PartyDirectory
    claims_of: Mapping[str, list[dict[str, Any]]]

    def bind(self, directory: PartyDirectory, claims_of: Mapping[str, list[dict[str, Any]]]) -> RegisteredPartyService:
        """Attach the directory and each relying party's registered claims (kept out of the dataclass fields)."""
        self.directory, self.claims_of = directory, claims_of
        return self

    def request_object(self, tx: dict[str, Any], rid: str, wallet_nonce: str | None) -> str:
        """Sign the Request Object for ``rid`` with the transaction's access key, ``verifier_info`` included."""
        pair = self.keys.pair_for(str(tx["client_id"]), self.settings.dns_name)
        if pair is None:  # its key was rotated out: no other key may answer for that client_id
            raise AuthorizationError(INVALID_REQUEST, Reason.BAD_KEY, "this request's access key is gone")
        signer, chain = pair
        claims = self.request_claims(tx, rid, wallet_nonce)
        registration = self.directory.get(str(tx["rp"]))
        if registration is not None:
            claims["client_metadata"]["client_name"] = registration.legal_name
            claims["verifier_info"] = verifier_info(
                registration,
                list(self.claims_of.get(registration.client_id, [])),
                client_id=claims["client_id"],
                issuer=self.settings.base_url,
                iat=claims["iat"],
                exp=claims["exp"],
                signer=signer,
                chain=chain,
            )
        return sign_request_object(claims, signer, chain)


def configured_registrations(config_file: Path, data_dir: Path) -> dict[str, Registration]:
    """The registrations of the configuration file's relying parties and of ``relying-parties.json``."""
    try:
        raw = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {config_file}: {exc}") from None
    entries = {**(raw.get("relying_parties") or {}), **read_registrations(data_dir)}
    return {cid: parse_registration(cid, entry) for cid, entry in entries.items()}
