"""A test PKI and trust list for the verifier: national roots, issuers, a signed list, status lists.

Everything is generated per test session (no key is committed): a registry signing key and
certificate, a national root per country, document-signer certificates naming each issuer's
identifier as a URI SAN, a trust list signed with :func:`idcore.trust.sign_trust_list`, and
credentials issued with :func:`idcore.sdjwt_vc.issue_sd_jwt_vc` carrying ``x5c`` and a status
reference to a real HTTP status list server.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import FastAPI
from fastapi.responses import Response

from idcore.jose import KeySigner
from idcore.mdoc import create_document_signer_certificate, issue_mdoc
from idcore.ports import SystemRandom
from idcore.sdjwt_vc import issue_sd_jwt_vc
from idcore.status_list import StatusList, sign_status_list_token
from idcore.trust import TrustList, TrustListCache, TrustListPin, certificate_sha256_hex, sign_trust_list
from idcore.trust.model import FORMAT
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION, VCT_PID
from idcore.x509 import create_issuer_certificate, create_root_ca, x5c_from_certificates

RANDOM = SystemRandom()
MDL_DOCTYPE = "org.iso.18013.5.1.mDL"
T0 = 1_780_000_000  # a fixed "now" (2026) shared by the tests' clock


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 private key (tests never use committed keys)."""
    return ec.generate_private_key(ec.SECP256R1())


def _validity() -> tuple[datetime, datetime]:
    start = datetime.fromtimestamp(T0, UTC) - timedelta(days=30)
    return start, start + timedelta(days=3650)


@dataclass
class Issuer:
    """One credential issuer: identifier, country, signer and chain (leaf, root)."""

    slug: str
    issuer_id: str
    country: str
    vcts: tuple[str, ...]
    level: str
    signer: KeySigner
    chain: list[x509.Certificate]
    history: list[dict[str, Any]] = field(default_factory=list)

    def entry(self) -> dict[str, Any]:
        """Trust list JSON of this issuer."""
        return {
            "id": self.issuer_id,
            "names": {"en": f"{self.slug} issuer", "ms": f"penerbit {self.slug}"},
            "service_types": ["https://lintas.asean.example/svc/pid-issuance"],
            "vcts": list(self.vcts),
            "assurance_level": self.level,
            "status_history": self.history or [{"status": "granted", "since": T0 - 10 * 86400}],
        }


class World:
    """The PKI, the signed trust list and a status list per issuer."""

    #: Indices preset in every issuer's status list: 0x01 revoked and 0x02 suspended.
    REVOKED_IDX = 5
    SUSPENDED_IDX = 6

    def __init__(self, status_base: str) -> None:
        self.status_base = status_base
        self.roots: dict[str, tuple[ec.EllipticCurvePrivateKey, x509.Certificate]] = {}
        for country in ("SG", "MY", "TH", "VN", "PH"):
            key = new_key()
            nb, na = _validity()
            cert = create_root_ca(
                key, common_name=f"{country} root", country=country, organization="gov", not_before=nb, not_after=na
            )
            self.roots[country] = (key, cert)
        self.issuers = {
            "sg-pid": self._issuer("sg-pid", "SG", (VCT_PID,), "high"),
            "my-pid": self._issuer("my-pid", "MY", (VCT_PID,), "substantial"),
            "vn-biz": self._issuer("vn-biz", "VN", (VCT_BUSINESS_REGISTRATION,), "substantial"),
            "vn-pid": self._issuer("vn-pid", "VN", (VCT_PID,), "substantial"),
            "th-biz": self._issuer("th-biz", "TH", (VCT_BUSINESS_REGISTRATION,), "high"),
            "ph-low": self._issuer("ph-low", "PH", (VCT_PID,), "low"),
            # An mdoc (mDL) issuer: a JOSE certificate for its status lists, a Document Signer for its MSOs.
            "th-mdl": self._issuer("th-mdl", "TH", (MDL_DOCTYPE,), "high"),
            "th-pid-suspended": self._issuer(
                "th-pid-suspended",
                "TH",
                (VCT_PID,),
                "high",
                history=[
                    {"status": "granted", "since": T0 - 10 * 86400},
                    {"status": "suspended", "since": T0 - 5 * 86400},
                    {"status": "granted", "since": T0 - 86400},
                ],
            ),
        }
        # An issuer with a valid SG certificate that the registry does not list.
        self.rogue = self._issuer("rogue", "SG", (VCT_PID,), "high")
        self.status_lists: dict[str, StatusList] = {slug: StatusList(2, 128) for slug in self.issuers}
        for status_list in self.status_lists.values():
            status_list.set(self.REVOKED_IDX, 1)
            status_list.set(self.SUSPENDED_IDX, 2)
        self.registry_key = new_key()
        nb, na = _validity()
        self.registry_cert = create_root_ca(
            self.registry_key, common_name="registry", country="ID", organization="lintas", not_before=nb, not_after=na
        )
        self.token = self.sign_list()

    def _issuer(
        self, slug: str, country: str, vcts: tuple[str, ...], level: str, history: list[dict[str, Any]] | None = None
    ) -> Issuer:
        root_key, root = self.roots[country]
        key = new_key()
        nb, na = _validity()
        issuer_id = f"https://{slug}.issuers.lintas.test"
        leaf = create_issuer_certificate(
            root_key,
            root,
            key.public_key(),
            common_name=slug,
            country=country,
            organization=slug,
            not_before=nb,
            not_after=na,
            san_uris=[issuer_id],
        )
        return Issuer(slug, issuer_id, country, vcts, level, KeySigner(key), [leaf], history or [])

    def trust_list(self) -> TrustList:
        """The list: every country with its root and listed issuers."""
        countries = []
        for code, (_, root) in self.roots.items():
            issuers = [i.entry() for i in self.issuers.values() if i.country == code]
            anchor = base64.b64encode(root.public_bytes(Encoding.DER)).decode()
            countries.append({"code": code, "names": {"en": code, "ms": code}, "anchors": [anchor], "issuers": issuers})
        raw = {
            "format": FORMAT,
            "iss": "https://registry.lintas.test",
            "iat": T0 - 3600,
            "sequence_number": 7,
            "next_update": T0 + 30 * 86400,
            "scheme_operator": {"names": {"en": "registry", "id": "registri"}, "uri": "https://registry.lintas.test"},
            "countries": countries,
        }
        return TrustList.from_json(raw)

    def sign_list(self) -> str:
        """The compact JWS verifiers fetch."""
        return sign_trust_list(self.trust_list(), KeySigner(self.registry_key), [self.registry_cert])

    def trust_cache(self, clock: Any) -> TrustListCache:
        """A verifier-side cache pinned to the registry certificate."""
        pin = TrustListPin(certificate_sha256=certificate_sha256_hex(self.registry_cert))
        return TrustListCache(fetch=lambda: self.token, pin=pin, clock=clock)

    def status_uri(self, slug: str) -> str:
        """Where the status list of ``slug`` is served."""
        return f"{self.status_base}/status/{slug}"

    def status_token(self, slug: str) -> str:
        """The current signed status list of ``slug``."""
        issuer = self.issuers[slug]
        return sign_status_list_token(
            self.status_lists[slug],
            sub=self.status_uri(slug),
            iat=T0 - 60,
            signer=issuer.signer,
            ttl=1,
            x5c=x5c_from_certificates(issuer.chain),
        )

    def issue(
        self,
        slug: str,
        claims: dict[str, Any],
        holder_jwk: dict[str, Any] | None,
        *,
        vct: str | None = None,
        idx: int = 0,
        iat: int = T0 - 86400,
        exp: int | None = T0 + 365 * 86400,
        issuer: Issuer | None = None,
        header: dict[str, Any] | None = None,
    ) -> str:
        """Issue an SD-JWT VC from ``slug`` (every top-level claim selectively disclosable)."""
        who = issuer or self.issuers[slug]
        status = {"status_list": {"idx": idx, "uri": self.status_uri(slug)}} if issuer is None else None
        issued = issue_sd_jwt_vc(
            claims,
            who.signer,
            vct=vct or who.vcts[0],
            random=RANDOM,
            iss=who.issuer_id,
            iat=iat,
            exp=exp,
            holder_jwk=holder_jwk,
            status=status,
            sd_paths=[[name] for name in claims],
            header=header if header is not None else {"x5c": x5c_from_certificates(who.chain)},
        )
        return issued.serialize()


def document_signer(world: World, country: str, issuer_id: str, *, ds_country: str | None = None) -> DocumentSigner:
    """A Document Signer (ISO/IEC 18013-5 Annex B.1.4) under ``country``'s root, naming ``issuer_id`` as URI SAN."""
    root_key, root = world.roots[country]
    key = new_key()
    nb, na = _validity()
    cert = create_document_signer_certificate(
        root_key,
        root,
        key.public_key(),
        common_name=f"DS {issuer_id}",
        country=ds_country or country,
        not_before=nb,
        not_after=na,
        san_uris=[issuer_id],
    )
    return DocumentSigner(KeySigner(key), cert)


@dataclass
class DocumentSigner:
    """An mdoc Document Signer: its signer and certificate (the MSO ``x5chain``)."""

    signer: KeySigner
    cert: x509.Certificate


def issue_mdl(
    world: World,
    ds: DocumentSigner,
    claims: dict[str, dict[str, Any]],
    device_key: ec.EllipticCurvePublicKey,
    *,
    slug: str = "th-mdl",
    idx: int = 0,
    signed: int = T0 - 86400,
    valid_until: int = T0 + 90 * 86400,
    doctype: str = MDL_DOCTYPE,
) -> dict[str, Any]:
    """IssuerSigned for an mDL with a status reference into ``slug``'s status list."""
    at = partial(datetime.fromtimestamp, tz=UTC)
    return issue_mdoc(
        doctype=doctype,
        claims=claims,
        device_key=device_key,
        signer=ds.signer,
        signer_chain=[ds.cert],
        signed=at(signed),
        valid_from=at(signed),
        valid_until=at(valid_until),
        rng=RANDOM,
        status={"status_list": {"idx": idx, "uri": world.status_uri(slug)}},
    )


def status_app(world: World) -> FastAPI:
    """An issuer-like status list server (``statuslist+jwt``) that also publishes the trust list."""
    app = FastAPI()

    @app.get("/v1/trust-list")
    def trust_list() -> Response:
        return Response(world.token, media_type="application/jwt")

    @app.get("/status/{slug}")
    def status(slug: str) -> Response:
        if slug not in world.issuers:
            return Response(status_code=404)
        return Response(world.status_token(slug), media_type="application/statuslist+jwt")

    return app


PID_CLAIMS = {
    "full_name": "Tan Wei Ling",
    "given_name": "Wei Ling",
    "family_name": "Tan",
    "birthdate": "1990-02-03",
    "nationality": "SG",
    "age_over_18": True,
    "document_number": "S1234567D",
}
BUSINESS_CLAIMS = {
    "legal_name": "Cong Ty Sao Mai TNHH",
    "registration_number": "0312345678",
    "legal_form": "LLC",
    "registration_status": "active",
    "registered_address": "12 Nguyen Hue, HCMC",
}
