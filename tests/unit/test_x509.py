"""idcore.x509: certificates built here, validated here; each failure reason has a passing twin."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from idcore.errors import Reason, X509Error
from idcore.keys import PrivateKey, generate_private_key
from idcore.x509 import (
    MAX_CHAIN_LENGTH,
    certificate_from_pem,
    certificate_sha256,
    certificate_to_pem,
    certificates_from_pem,
    create_intermediate_ca,
    create_issuer_certificate,
    create_root_ca,
    is_self_signed,
    parse_x5c,
    san_dns_names,
    san_uris,
    validate_chain,
    x5c_from_certificates,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ROOT_FROM, ROOT_TO = datetime(2025, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC)
LEAF_FROM, LEAF_TO = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)


def _root(
    key: PrivateKey,
    *,
    name: str = "Lintas Root SG",
    path_length: int | None = 0,
    not_before: datetime = ROOT_FROM,
    not_after: datetime = ROOT_TO,
) -> x509.Certificate:
    return create_root_ca(
        key,
        common_name=name,
        country="SG",
        organization="Lintas Test",
        not_before=not_before,
        not_after=not_after,
        path_length=path_length,
    )


def _leaf(
    ca_key: PrivateKey, ca: x509.Certificate, *, not_before: datetime = LEAF_FROM, not_after: datetime = LEAF_TO
) -> x509.Certificate:
    return create_issuer_certificate(
        ca_key,
        ca,
        generate_private_key().public_key(),
        common_name="Issuer SG",
        country="SG",
        organization="Agency",
        not_before=not_before,
        not_after=not_after,
        san_uris=["https://issuer.example.sg"],
        san_dns=["issuer.example.sg"],
    )


@dataclass
class Pki:
    root_key: PrivateKey
    root: x509.Certificate
    leaf: x509.Certificate


@pytest.fixture(scope="module")
def pki() -> Pki:
    root_key = generate_private_key()
    root = _root(root_key)
    return Pki(root_key, root, _leaf(root_key, root))


def _reason(chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate], at: datetime = NOW) -> Reason:
    with pytest.raises(X509Error) as err:
        validate_chain(chain, anchors, at)
    return err.value.reason


def _usage(**flags: bool) -> x509.KeyUsage:
    names = [
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    ]
    return x509.KeyUsage(**{n: flags.get(n, False) for n in names})


def _custom(
    issuer_key: PrivateKey | rsa.RSAPrivateKey,
    issuer_name: x509.Name,
    subject_key: object,
    cn: str,
    *,
    ca: bool | None,
    path_length: int | None = None,
    usage: x509.KeyUsage | None = None,
    extra: Sequence[tuple[x509.ExtensionType, bool]] = (),
) -> x509.Certificate:
    """Hand-built certificates for the shapes the idcore builders refuse to make."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(issuer_name)
        .public_key(subject_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(LEAF_FROM)
        .not_valid_after(LEAF_TO)
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    for extension, critical in extra:
        builder = builder.add_extension(extension, critical=critical)
    algorithm = None if not isinstance(issuer_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) else hashes.SHA256()
    return builder.sign(issuer_key, algorithm)


def _tampered(cert: x509.Certificate) -> x509.Certificate:
    """Flip one bit of the signature value (the last byte of the DER)."""
    der = bytearray(cert.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01
    return x509.load_der_x509_certificate(bytes(der))


# ---- building ---------------------------------------------------------------------------


def test_root_profile(pki: Pki) -> None:
    ext = pki.root.extensions
    bc = ext.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical
    assert bc.value.ca
    assert bc.value.path_length == 0
    ku = ext.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert ku.value.key_cert_sign
    assert ku.value.crl_sign
    assert not ku.value.digital_signature
    assert ext.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert is_self_signed(pki.root)
    assert not is_self_signed(pki.leaf)


def test_leaf_profile(pki: Pki) -> None:
    ext = pki.leaf.extensions
    bc = ext.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical
    assert not bc.value.ca
    ku = ext.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert ku.value.digital_signature
    assert not ku.value.key_cert_sign
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    root_ski = pki.root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == root_ski.digest
    assert pki.leaf.issuer == pki.root.subject
    assert san_uris(pki.leaf) == ["https://issuer.example.sg"]
    assert san_dns_names(pki.leaf) == ["issuer.example.sg"]
    assert san_uris(pki.root) == []
    assert san_dns_names(pki.root) == []


def test_builder_refusals(pki: Pki) -> None:
    key = generate_private_key()
    with pytest.raises(X509Error, match="alpha-2"):
        create_root_ca(
            key, common_name="R", country="Singapore", organization="O", not_before=ROOT_FROM, not_after=ROOT_TO
        )
    with pytest.raises(X509Error, match="later"):
        _root(key, not_before=ROOT_TO, not_after=ROOT_FROM)
    with pytest.raises(X509Error, match="64"):
        _root(key, name="x" * 65)
    assert _root(key, name="x" * 64).subject.rfc4514_string().startswith("CN=" + "x" * 64)
    for uris, dns in ((["https://é.example"], []), ([], ["é.example"])):
        with pytest.raises(X509Error) as err:
            create_issuer_certificate(
                pki.root_key,
                pki.root,
                key.public_key(),
                common_name="L",
                country="SG",
                organization="O",
                not_before=LEAF_FROM,
                not_after=LEAF_TO,
                san_uris=uris,
                san_dns=dns,
            )
        assert err.value.reason is Reason.MALFORMED
    with pytest.raises(X509Error) as err:  # ca_key that is not the CA certificate's key
        _leaf(generate_private_key(), pki.root)
    assert err.value.reason is Reason.BAD_KEY


# ---- the good paths ---------------------------------------------------------------------


def test_valid_leaf_with_and_without_anchor_in_chain(pki: Pki) -> None:
    assert validate_chain([pki.leaf], [pki.root], NOW) == pki.leaf
    assert validate_chain([pki.leaf, pki.root], [pki.root], NOW) == pki.leaf


def test_tampered_leaf_signature(pki: Pki) -> None:
    forged = _tampered(pki.leaf)
    assert _reason([forged, pki.root], [pki.root]) is Reason.CHAIN_INVALID
    assert _reason([forged], [pki.root]) is Reason.UNTRUSTED_ISSUER


def test_p384_chain() -> None:
    key = generate_private_key("ES384")
    root = _root(key)
    leaf = _leaf(key, root)
    assert validate_chain([leaf], [root], NOW) == leaf
    assert _reason([_tampered(leaf), root], [root]) is Reason.CHAIN_INVALID


def test_ed25519_certificates_are_outside_the_profile() -> None:
    key = generate_private_key("EdDSA")
    with pytest.raises(X509Error) as err:
        _root(key)
    assert err.value.reason is Reason.BAD_KEY
    # A hand-built Ed25519 chain is refused too (the verifier's algorithm set has no Ed25519).
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ed Root")])
    ed_root = _custom(key, name, key.public_key(), "Ed Root", ca=True, usage=_usage(key_cert_sign=True))
    ed_leaf = _custom(key, name, key.public_key(), "Ed Leaf", ca=False, usage=_usage(digital_signature=True))
    assert _reason([ed_leaf], [ed_root]) is Reason.UNTRUSTED_ISSUER
    assert _reason([ed_leaf, ed_root], [ed_root]) is Reason.CHAIN_INVALID


def test_intermediate_and_pathlen() -> None:
    root_key, mid_key = generate_private_key(), generate_private_key()
    root = _root(root_key, path_length=1)
    mid = create_intermediate_ca(
        root_key,
        root,
        mid_key.public_key(),
        common_name="Mid",
        country="SG",
        organization="O",
        not_before=ROOT_FROM,
        not_after=ROOT_TO,
    )
    leaf = _leaf(mid_key, mid)
    assert validate_chain([leaf, mid], [root], NOW) == leaf
    assert validate_chain([leaf, mid, root], [root], NOW) == leaf
    assert _reason([leaf], [root]) is Reason.UNTRUSTED_ISSUER  # intermediate missing
    # Twin: a root limited to pathlen 0 may not have an intermediate below it.
    tight_root = _root(root_key, path_length=0)
    assert _reason([leaf, mid], [tight_root]) is Reason.CHAIN_INVALID
    assert validate_chain([leaf, mid], [root], NOW) == leaf


# ---- each failure reason ----------------------------------------------------------------


def test_leaf_signed_by_another_ca(pki: Pki) -> None:
    other_key = generate_private_key()
    other_leaf = _leaf(other_key, _root(other_key, name="Other Root"))
    assert _reason([other_leaf], [pki.root]) is Reason.UNTRUSTED_ISSUER
    assert _reason([other_leaf, pki.root], [pki.root]) is Reason.CHAIN_INVALID  # names do not chain
    # An impostor CA using the trusted root's name: names chain, the signature does not.
    impostor_leaf = _leaf(other_key, _root(other_key, name="Lintas Root SG"))
    assert _reason([impostor_leaf, pki.root], [pki.root]) is Reason.CHAIN_INVALID
    assert _reason([impostor_leaf], [pki.root]) is Reason.UNTRUSTED_ISSUER
    assert validate_chain([pki.leaf], [pki.root], NOW) == pki.leaf


def test_expired_and_not_yet_valid_leaf(pki: Pki) -> None:
    assert _reason([pki.leaf], [pki.root], LEAF_TO + timedelta(seconds=1)) is Reason.CERT_EXPIRED
    assert _reason([pki.leaf], [pki.root], LEAF_FROM - timedelta(seconds=1)) is Reason.CERT_NOT_YET_VALID
    assert validate_chain([pki.leaf], [pki.root], LEAF_TO) == pki.leaf  # bounds are inclusive
    assert validate_chain([pki.leaf], [pki.root], LEAF_FROM) == pki.leaf


def test_expired_anchor() -> None:
    key = generate_private_key()
    short_root = _root(key, not_before=ROOT_FROM, not_after=datetime(2026, 3, 1, tzinfo=UTC))
    leaf = _leaf(key, short_root)  # the leaf itself is valid until 2027
    assert _reason([leaf], [short_root], NOW) is Reason.CERT_EXPIRED
    assert _reason([leaf, short_root], [short_root], NOW) is Reason.CERT_EXPIRED
    assert validate_chain([leaf], [short_root], datetime(2026, 2, 1, tzinfo=UTC)) == leaf


def test_leaf_that_is_a_ca(pki: Pki) -> None:
    signing = generate_private_key().public_key()
    as_ca = _custom(
        pki.root_key,
        pki.root.subject,
        signing,
        "Leaf CA",
        ca=True,
        usage=_usage(digital_signature=True, key_cert_sign=True),
    )
    assert _reason([as_ca], [pki.root]) is Reason.CERT_USAGE
    twin = _custom(pki.root_key, pki.root.subject, signing, "Leaf", ca=False, usage=_usage(digital_signature=True))
    assert validate_chain([twin], [pki.root], NOW) == twin


def test_intermediate_without_ca_flag() -> None:
    root_key, mid_key = generate_private_key(), generate_private_key()
    root = _root(root_key, path_length=1)
    for ca_flag, expected in ((False, Reason.CHAIN_INVALID), (None, Reason.CHAIN_INVALID), (True, None)):
        mid = _custom(
            root_key,
            root.subject,
            mid_key.public_key(),
            "Mid",
            ca=ca_flag,
            usage=_usage(key_cert_sign=True, digital_signature=True),
        )
        leaf = _custom(
            mid_key,
            mid.subject,
            generate_private_key().public_key(),
            "Leaf",
            ca=False,
            usage=_usage(digital_signature=True),
        )
        if expected is None:
            assert validate_chain([leaf, mid], [root], NOW) == leaf
        else:
            assert _reason([leaf, mid], [root]) is expected


def test_wrong_key_usage(pki: Pki) -> None:
    signing = generate_private_key().public_key()
    for usage in (_usage(key_cert_sign=True), _usage(key_agreement=True), None):
        leaf = _custom(pki.root_key, pki.root.subject, signing, "Leaf", ca=False, usage=usage)
        assert _reason([leaf], [pki.root]) is Reason.CERT_USAGE
    # A CA without keyCertSign cannot issue.
    root_key, mid_key = generate_private_key(), generate_private_key()
    root = _root(root_key, path_length=1)
    mid = _custom(root_key, root.subject, mid_key.public_key(), "Mid", ca=True, usage=_usage(digital_signature=True))
    leaf = _custom(mid_key, mid.subject, signing, "Leaf", ca=False, usage=_usage(digital_signature=True))
    assert _reason([leaf, mid], [root]) is Reason.CERT_USAGE
    good = _custom(pki.root_key, pki.root.subject, signing, "Leaf", ca=False, usage=_usage(digital_signature=True))
    assert validate_chain([good], [pki.root], NOW) == good


def test_empty_anchors_trust_nobody(pki: Pki) -> None:
    assert _reason([pki.leaf], []) is Reason.UNTRUSTED_ISSUER
    assert _reason([pki.leaf, pki.root], []) is Reason.UNTRUSTED_ISSUER
    assert validate_chain([pki.leaf], [pki.root], NOW) == pki.leaf


def test_anchor_with_same_name_but_other_key(pki: Pki) -> None:
    lookalike = _root(generate_private_key())  # identical subject name
    assert lookalike.subject == pki.root.subject
    assert _reason([pki.leaf], [lookalike]) is Reason.UNTRUSTED_ISSUER
    # The presented root matches the look-alike anchor by name only: not trusted either.
    assert _reason([pki.leaf, pki.root], [lookalike]) is Reason.UNTRUSTED_ISSUER
    assert validate_chain([pki.leaf], [lookalike, pki.root], NOW) == pki.leaf


def test_unknown_critical_extension(pki: Pki) -> None:
    signing = generate_private_key().public_key()
    policy = x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), None)])
    critical = _custom(
        pki.root_key,
        pki.root.subject,
        signing,
        "Leaf",
        ca=False,
        usage=_usage(digital_signature=True),
        extra=[(policy, True)],
    )
    assert _reason([critical], [pki.root]) is Reason.CHAIN_INVALID
    relaxed = _custom(
        pki.root_key,
        pki.root.subject,
        signing,
        "Leaf",
        ca=False,
        usage=_usage(digital_signature=True),
        extra=[(policy, False)],
    )
    assert validate_chain([relaxed], [pki.root], NOW) == relaxed
    assert relaxed.extensions.get_extension_for_oid(ExtensionOID.CERTIFICATE_POLICIES)


def test_rsa_signatures_not_accepted() -> None:
    rsa_key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RSA Root")])
    rsa_root = _custom(rsa_key, name, rsa_key.public_key(), "RSA Root", ca=True, usage=_usage(key_cert_sign=True))
    leaf = _custom(
        rsa_key, name, generate_private_key().public_key(), "Leaf", ca=False, usage=_usage(digital_signature=True)
    )
    assert _reason([leaf], [rsa_root]) is Reason.UNTRUSTED_ISSUER
    assert _reason([leaf, rsa_root], [rsa_root]) is Reason.CHAIN_INVALID


def test_chain_length_bounded(pki: Pki) -> None:
    assert _reason([pki.leaf] * (MAX_CHAIN_LENGTH + 1), [pki.root]) is Reason.CHAIN_INVALID
    assert _reason([], [pki.root]) is Reason.MALFORMED


def test_naive_time_refused(pki: Pki) -> None:
    with pytest.raises(ValueError, match="timezone"):
        validate_chain([pki.leaf], [pki.root], datetime(2026, 6, 1))


# ---- encodings --------------------------------------------------------------------------


def test_x5c_round_trip(pki: Pki) -> None:
    x5c = x5c_from_certificates([pki.leaf, pki.root])
    assert x5c[0] == base64.b64encode(pki.leaf.public_bytes(serialization.Encoding.DER)).decode()
    assert parse_x5c(x5c) == [pki.leaf, pki.root]
    assert validate_chain(parse_x5c(x5c), [pki.root], NOW) == pki.leaf


def test_x5c_base64url_refused() -> None:
    # Find a certificate whose base64 uses '+' or '/', so the url-safe form really differs.
    for _ in range(20):
        key = generate_private_key()
        std = x5c_from_certificates([_root(key)])[0]
        if "+" in std or "/" in std:
            break
    assert "+" in std or "/" in std
    url = std.replace("+", "-").replace("/", "_")
    with pytest.raises(X509Error) as err:
        parse_x5c([url])
    assert err.value.reason is Reason.MALFORMED
    with pytest.raises(X509Error):
        parse_x5c([url.rstrip("=")])
    assert len(parse_x5c([std])) == 1


@pytest.mark.parametrize(
    "junk",
    [[], "MIIB", [""], ["not base64!"], ["AAAA"], [42], ["TWFu\n"], ["TWE="], ["TWF="], b"x", None],
    ids=[
        "empty",
        "string",
        "empty-entry",
        "bad-chars",
        "not-der",
        "number",
        "newline",
        "short",
        "non-canonical",
        "bytes",
        "none",
    ],
)
def test_x5c_garbage_refused(junk: object) -> None:
    with pytest.raises(X509Error) as err:
        parse_x5c(junk)  # type: ignore[arg-type]
    assert err.value.reason is Reason.MALFORMED


def test_x5c_size_limits(pki: Pki) -> None:
    x5c = x5c_from_certificates([pki.leaf])
    with pytest.raises(X509Error) as err:
        parse_x5c(x5c * (MAX_CHAIN_LENGTH + 1))
    assert err.value.reason is Reason.TOO_MANY
    with pytest.raises(X509Error) as err:
        parse_x5c(["A" * 20000])
    assert err.value.reason is Reason.TOO_LARGE
    assert len(parse_x5c(x5c * MAX_CHAIN_LENGTH)) == MAX_CHAIN_LENGTH


def test_pem_and_hash(pki: Pki) -> None:
    pem = certificate_to_pem(pki.leaf)
    assert certificate_from_pem(pem) == pki.leaf
    assert certificates_from_pem(pem + certificate_to_pem(pki.root)) == [pki.leaf, pki.root]
    for junk in (b"", b"junk", pem + certificate_to_pem(pki.root), pem.replace(b"M", b"N", 3)):
        with pytest.raises(X509Error) as err:
            certificate_from_pem(junk)
        assert err.value.reason is Reason.MALFORMED
    digest = certificate_sha256(pki.leaf)
    assert digest == hashlib.sha256(pki.leaf.public_bytes(serialization.Encoding.DER)).digest()
    assert digest != certificate_sha256(pki.root)


def _mutants(cert: x509.Certificate) -> dict[str, x509.Certificate]:
    """DER edits that parse but leave a field undecodable (found only when the field is read)."""
    der = cert.public_bytes(serialization.Encoding.DER)
    aki_oid, ski_oid = bytes.fromhex("0603551d23"), bytes.fromhex("0603551d0e")
    point = cert.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert der.count(aki_oid) == 1
    assert der.count(point) == 1
    return {
        "duplicate-extension": x509.load_der_x509_certificate(der.replace(aki_oid, ski_oid)),
        "point-off-curve": x509.load_der_x509_certificate(der.replace(point, point[:-1] + bytes([point[-1] ^ 1]))),
    }


def test_undecodable_fields_are_x509_errors(pki: Pki) -> None:
    for name, mutant in _mutants(pki.leaf).items():
        for chain, anchors in (
            ([mutant], [pki.root]),
            ([mutant, pki.root], [pki.root]),
            ([pki.leaf], [mutant]),
            ([pki.leaf, mutant], [pki.root]),
            ([mutant], [mutant]),
        ):
            with pytest.raises(X509Error):
                validate_chain(chain, anchors, NOW)
        assert not is_self_signed(mutant), name
    duplicate = _mutants(pki.leaf)["duplicate-extension"]
    with pytest.raises(X509Error) as err:
        parse_x5c(x5c_from_certificates([duplicate]))
    assert err.value.reason is Reason.MALFORMED
    assert parse_x5c(x5c_from_certificates([pki.leaf])) == [pki.leaf]
    assert validate_chain([pki.leaf], [pki.root], NOW) == pki.leaf


def test_a_certificate_with_a_flipped_version_byte_is_a_value_error_everywhere() -> None:
    """cryptography raises ``InvalidVersion`` (not a ``ValueError``) for it: every parser must refuse it cleanly."""
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives.asymmetric import ec as cec
    from cryptography.hazmat.primitives.serialization import Encoding

    from idcore.errors import IdcoreError
    from idcore.mdoc.cose import x5chain_certificates
    from idcore.x509 import load_der_certificate

    key = cec.generate_private_key(cec.SECP256R1())
    now = datetime.now(UTC)
    der = bytearray(
        create_root_ca(
            key, common_name="x", country="TH", organization="t", not_before=now, not_after=now + timedelta(days=1)
        ).public_bytes(Encoding.DER)
    )
    position = bytes(der).index(b"\xa0\x03\x02\x01\x02") + 4  # [0] EXPLICIT INTEGER 2 (v3)
    der[position] = 0x07
    with pytest.raises(cx509.InvalidVersion):
        cx509.load_der_x509_certificate(bytes(der))  # why the wrapper exists
    with pytest.raises(ValueError, match="not a DER certificate"):
        load_der_certificate(bytes(der))
    with pytest.raises(IdcoreError):  # an mdoc's x5chain (COSE label 33): malformed, not a crash
        x5chain_certificates({33: bytes(der)}, "issuerAuth")
