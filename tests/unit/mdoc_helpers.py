"""Test-time mdoc PKI and credentials: an IACA, a Document Signer, a device key, all generated here.

Nothing here is committed key material: every key is made when a test asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.jose import KeySigner
from idcore.mdoc import create_document_signer_certificate, issue_mdoc, openid4vp_session_transcript
from idcore.mdoc.cbor import full_date
from idcore.ports import FixedClock, SystemRandom
from idcore.x509 import create_root_ca

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
MDL = "org.iso.18013.5.1.mDL"
MDL_NS = "org.iso.18013.5.1"


def mdl_claims() -> dict[str, dict[str, Any]]:
    """A Thai driver's mDL elements (ISO/IEC 18013-5 Section 7.2.1 encodings)."""
    return {
        MDL_NS: {
            "family_name": "Saetang",
            "given_name": "Somchai",
            "birth_date": full_date(date(1990, 4, 2)),
            "issuing_country": "TH",
            "document_number": "TH-DL-0001",
            "age_over_18": True,
            "driving_privileges": [
                {"vehicle_category_code": "B", "issue_date": full_date(date(2015, 1, 5))},
            ],
        }
    }


@dataclass
class MdocPki:
    """An IACA, its Document Signer and one holder device key."""

    iaca_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    ds_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    device_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    #: The moment the certificates are built around (IACA -1y..+10y, DS -30d..+1y).
    at: datetime = NOW

    def __post_init__(self) -> None:
        self.iaca = create_root_ca(
            self.iaca_key,
            common_name="TH IACA (test)",
            country="TH",
            organization="Lintas test",
            not_before=self.at - timedelta(days=365),
            not_after=self.at + timedelta(days=3650),
        )
        self.ds_cert = create_document_signer_certificate(
            self.iaca_key,
            self.iaca,
            self.ds_key.public_key(),
            common_name="TH DS (test)",
            country="TH",
            not_before=self.at - timedelta(days=30),
            not_after=self.at + timedelta(days=365),
        )

    @property
    def anchors(self) -> list[x509.Certificate]:
        """The trust list: the IACA only."""
        return [self.iaca]

    def issue(self, claims: dict[str, dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
        """IssuerSigned for the mDL, valid from a day before NOW for 90 days."""
        arguments: dict[str, Any] = {
            "doctype": MDL,
            "claims": claims or mdl_claims(),
            "device_key": self.device_key.public_key(),
            "signer": KeySigner(self.ds_key),
            "signer_chain": [self.ds_cert],
            "signed": NOW - timedelta(days=1),
            "valid_from": NOW - timedelta(days=1),
            "valid_until": NOW + timedelta(days=90),
            "rng": SystemRandom(),
        }
        arguments.update(overrides)
        return issue_mdoc(**arguments)


def transcript(nonce: str = "n-0S6_WzA2Mj") -> bytes:
    """A redirect-flow OpenID4VP SessionTranscript for a Malaysian car-rental verifier."""
    return openid4vp_session_transcript(
        client_id="x509_san_dns:rent.example.my",
        nonce=nonce,
        response_uri="https://rent.example.my/response",
        jwk_thumbprint=None,
    )


def clock(at: datetime = NOW) -> FixedClock:
    """A clock fixed at ``at``."""
    return FixedClock(int(at.timestamp()))
