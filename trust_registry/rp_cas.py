"""Governance of the relying-party access CAs a member state lists (issue #14 item 3).

Pure functions ``TrustList -> TrustList`` like :mod:`trust_registry.changes` (whose
:class:`~trust_registry.changes.ChangeError` they raise): the ledger signs, numbers and audits
the result. Rules (:mod:`idcore.trust.rp_ca`):

* add: a CA certificate valid now (400 ``Invalid relying-party CA`` otherwise), not yet listed by
  this country in any status (409 ``Duplicate relying-party CA``: a withdrawal is final), at most
  :data:`~idcore.trust.rp_ca.MAX_RP_CAS_PER_COUNTRY` entries (409 ``Quota exceeded``);
* withdraw: the granted entry with this SHA-256 becomes ``withdrawn`` with ``until`` = now
  (404 if the country lists no such CA, 409 if it is withdrawn already).

Another country may list the same certificate: each member state decides for itself whom it vouches
for (a regional hosting provider may serve relying parties of several countries).
"""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.errors import IdcoreError
from idcore.trust.model import TrustList
from idcore.trust.rp_ca import (
    MAX_RP_CA_DER_BYTES,
    MAX_RP_CAS_PER_COUNTRY,
    RelyingPartyCA,
    RelyingPartyCAStatus,
    check_rp_ca_certificate,
)
from trust_registry.changes import ChangeError, country_entry, with_country
from trust_registry.service import Build

__all__ = ["add_rp_ca", "rp_ca_change", "withdraw_rp_ca"]


def add_rp_ca(
    trust_list: TrustList, country_code: str, cert: x509.Certificate, now: int
) -> tuple[TrustList, RelyingPartyCA]:
    """List ``cert`` as a relying-party access CA of ``country_code``, trusted from ``now``."""
    country = country_entry(trust_list, country_code)
    try:
        check_rp_ca_certificate(cert, now)
    except IdcoreError as exc:
        raise ChangeError(400, "Invalid relying-party CA", f"{exc.reason.value}: {exc.detail}") from None
    der = cert.public_bytes(Encoding.DER)
    if len(der) > MAX_RP_CA_DER_BYTES:
        raise ChangeError(
            400, "Invalid relying-party CA", f"the certificate may be at most {MAX_RP_CA_DER_BYTES} bytes"
        )
    entry = RelyingPartyCA(base64.b64encode(der).decode("ascii"), now)
    if any(ca.certificate == entry.certificate for ca in country.relying_party_cas):
        raise ChangeError(409, "Duplicate relying-party CA", f"{country.code} lists this CA already (or withdrew it)")
    if len(country.relying_party_cas) >= MAX_RP_CAS_PER_COUNTRY:
        raise ChangeError(
            409, "Quota exceeded", f"{country.code} already lists {MAX_RP_CAS_PER_COUNTRY} relying-party CAs"
        )
    updated = replace(country, relying_party_cas=(*country.relying_party_cas, entry))
    return with_country(trust_list, updated), entry


def withdraw_rp_ca(
    trust_list: TrustList, country_code: str, sha256_hex: str, now: int
) -> tuple[TrustList, RelyingPartyCA]:
    """Stop trusting the CA with this SHA-256 from ``now`` (the entry stays, withdrawn, as history)."""
    country = country_entry(trust_list, country_code)
    wanted = sha256_hex.lower()
    found = next((ca for ca in country.relying_party_cas if ca.sha256 == wanted), None)
    if found is None:
        raise ChangeError(404, "Unknown relying-party CA", f"{country.code} lists no relying-party CA {wanted}")
    if found.status is RelyingPartyCAStatus.WITHDRAWN:
        raise ChangeError(409, "Status conflict", "this relying-party CA is withdrawn already")
    withdrawn = replace(found, status=RelyingPartyCAStatus.WITHDRAWN, until=max(now, found.since))
    cas = tuple(withdrawn if ca is found else ca for ca in country.relying_party_cas)
    return with_country(trust_list, replace(country, relying_party_cas=cas)), withdrawn


def rp_ca_change(country_code: str, cert: x509.Certificate | None, sha256_hex: str, note: str) -> Build:
    """The list change the governance route and the demo launcher make: list ``cert`` for
    ``country_code``, or (``cert`` None) withdraw the CA with ``sha256_hex``; audited with ``note``
    and the entry, named by its hash (the list itself holds the certificate)."""

    def build(current: TrustList, now: int) -> tuple[TrustList, dict[str, Any], dict[str, Any]]:
        if cert is not None:
            new, entry = add_rp_ca(current, country_code, cert, now)
        else:
            new, entry = withdraw_rp_ca(current, country_code, sha256_hex, now)
        audit = {"country": country_code, "sha256": entry.sha256, **entry.to_json(), "note": note}
        audit.pop("certificate")
        return new, audit, {"country": country_code, "sha256": entry.sha256, "relying_party_ca": entry.to_json()}

    return build
