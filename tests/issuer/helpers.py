"""Verification helpers for the issuer tests: what a verifier does with what the issuer produced."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from idcore.jose import KeySigner
from idcore.jwk import PublicKey
from idcore.ports import Clock
from idcore.sdjwt import HolderCredential, KeyBindingPolicy, VerifyOptions
from idcore.sdjwt_vc import VerifiedCredential, verify_sd_jwt_vc
from idcore.status_list import VerifiedStatusList, verify_status_list_token
from idcore.x509 import certificates_from_pem, parse_x5c, validate_chain


def national_root(data_dir: Path, country: str = "SG") -> x509.Certificate:
    """The national root certificate (trust anchor) in an issuer/registry data directory."""
    return certificates_from_pem((data_dir / "countries" / country.lower() / "root-cert.pem").read_bytes())[0]


def x5c_resolver(anchors: list[x509.Certificate], clock: Clock) -> Any:
    """An issuer key resolver that validates the ``x5c`` chain to ``anchors`` (HAIP 6.1.1)."""

    def resolve(header: Mapping[str, Any], claims: Mapping[str, Any] | None = None) -> PublicKey:
        leaf = validate_chain(parse_x5c(header["x5c"]), anchors, datetime.fromtimestamp(clock.now(), UTC))
        key = leaf.public_key()
        return key  # type: ignore[return-value]

    return resolve


def verify_credential(
    sd_jwt: str, anchors: list[x509.Certificate], clock: Clock, holder: KeySigner | None = None
) -> VerifiedCredential:
    """Verify an issued SD-JWT VC with all disclosures; with ``holder``, as a KB presentation."""
    if holder is None:
        options = VerifyOptions(clock=clock, typ=None)
        return verify_sd_jwt_vc(sd_jwt, x5c_resolver(anchors, clock), options)
    held = HolderCredential.parse(sd_jwt)
    presentation = held.present(
        held.disclosures, signer=holder, aud="https://verifier.example", nonce="n-1", iat=clock.now()
    )
    policy = KeyBindingPolicy(aud="https://verifier.example", nonce="n-1")
    options = VerifyOptions(clock=clock, typ=None, key_binding=policy)
    return verify_sd_jwt_vc(presentation, x5c_resolver(anchors, clock), options)


def verify_status(token: str, uri: str, anchors: list[x509.Certificate], clock: Clock) -> VerifiedStatusList:
    """Verify a status list token with its ``x5c`` chain against ``anchors``."""
    return verify_status_list_token(
        token, x5c_resolver(anchors, clock), algorithms=["ES256"], expected_sub=uri, clock=clock
    )
