"""Relying-party access CAs (issue #14 item 3): a member state's operator lists and withdraws them
for its own country only; each change is signed into the list and audited; bad certificates are
refused with problem+json and write nothing."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.ports import FixedClock
from idcore.trust import certificate_sha256_hex
from idcore.trust.rp_ca import MAX_RP_CAS_PER_COUNTRY, RelyingPartyCAStatus
from idcore.x509 import certificate_to_pem, create_issuer_certificate, create_root_ca
from lintas.kv import KeyValueStore
from trust_registry.audit import verify_audit_log

from .helpers import Registry, make_settings, start_registry
from .test_audit import signing_cert

PATH = "/v1/governance/countries/{cc}/relying-party-cas"


def rp_ca(now: int, *, days: int = 365, start_days_ago: int = 1, key: Any = None) -> x509.Certificate:
    """A relying-party access CA certificate (generated per test: no key is ever committed)."""
    start = datetime.fromtimestamp(now, UTC) - timedelta(days=start_days_ago)
    return create_root_ca(
        key or ec.generate_private_key(ec.SECP256R1()),
        common_name="MY RP access CA",
        country="MY",
        organization="Ministry of Digital (demo)",
        not_before=start,
        not_after=start + timedelta(days=days),
    )


def raw_ca(now: int, key: Any) -> x509.Certificate:
    """A CA certificate with any key type (idcore.x509 makes EC P-256/P-384 only)."""
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "RP CA")])
    start = datetime.fromtimestamp(now, UTC) - timedelta(days=1)
    usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
    )
    return builder.sign(key, hashes.SHA256())


def leaf(now: int) -> x509.Certificate:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = rp_ca(now, key=ca_key)
    start = datetime.fromtimestamp(now, UTC) - timedelta(days=1)
    return create_issuer_certificate(
        ca_key,
        ca,
        ec.generate_private_key(ec.SECP256R1()).public_key(),
        common_name="rp.example",
        country="MY",
        organization="RP",
        not_before=start,
        not_after=start + timedelta(days=30),
        san_dns=["rp.example"],
    )


def pem(cert: x509.Certificate) -> str:
    return certificate_to_pem(cert).decode()


def der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


def assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= set(response.json())


def test_operator_lists_then_withdraws_its_own_ca(registry: Registry) -> None:
    cert = rp_ca(registry.clock.now())
    added = registry.post(PATH.format(cc="MY"), "operator-my", {"certificate": pem(cert)})
    assert added.status_code == 201, added.text
    digest = certificate_sha256_hex(cert)
    assert added.json()["sha256"] == digest
    since = registry.clock.now()
    listed = registry.trust_list().country("MY")
    assert listed is not None
    [entry] = listed.relying_party_cas
    assert (entry.certificate, entry.since, entry.status, entry.until) == (
        der_b64(cert),
        since,
        RelyingPartyCAStatus.GRANTED,
        None,
    )
    assert entry.trusted_at(since)
    assert not entry.trusted_at(since - 1)
    registry.clock.advance(60)
    gone = registry.post(f"{PATH.format(cc='MY')}/{digest}/withdraw", "operator-my", {"note": "key retired"})
    assert gone.status_code == 200, gone.text
    country = registry.trust_list().country("MY")
    assert country is not None
    [withdrawn] = country.relying_party_cas
    # History: still listed, trusted up to the withdrawal time and not from it on.
    assert (withdrawn.status, withdrawn.since, withdrawn.until) == (RelyingPartyCAStatus.WITHDRAWN, since, since + 60)
    assert withdrawn.trusted_at(since + 59)
    assert not withdrawn.trusted_at(since + 60)
    # Audited: who, what, which certificate (by hash), the note; and the chain still verifies.
    records = registry.http.get("/v1/audit-log").json()["records"]
    tail = [(r["payload"]["action"], r["payload"]["actor"], r["payload"]["payload"]) for r in records[-2:]]
    assert [(a, actor, p["sha256"], p["status"]) for a, actor, p in tail] == [
        ("add_rp_ca", "operator-my", digest, "granted"),
        ("withdraw_rp_ca", "operator-my", digest, "withdrawn"),
    ]
    assert tail[1][2]["note"] == "key retired"
    assert tail[1][2]["until"] == since + 60
    report = verify_audit_log(registry.store, signing_cert(registry))
    assert report.ok, report.problems
    # A withdrawal is final: the same certificate cannot come back, nor be withdrawn twice.
    again = registry.post(PATH.format(cc="MY"), "operator-my", {"certificate": pem(cert)})
    assert_problem(again, 409)
    twice = registry.post(f"{PATH.format(cc='MY')}/{digest}/withdraw", "operator-my", {})
    assert_problem(twice, 409)


def test_another_countrys_operator_is_refused(registry: Registry) -> None:
    cert = rp_ca(registry.clock.now())
    before = registry.state()
    refused = registry.post(PATH.format(cc="MY"), "operator-sg", {"certificate": pem(cert)})
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"
    assert registry.state() == before
    # The twin: Malaysia's own operator may; then Singapore may not withdraw Malaysia's CA.
    assert registry.post(PATH.format(cc="MY"), "operator-my", {"certificate": pem(cert)}).status_code == 201
    after_add = registry.state()
    withdraw = f"{PATH.format(cc='MY')}/{certificate_sha256_hex(cert)}/withdraw"
    assert registry.post(withdraw, "operator-sg", {}).status_code == 403
    assert registry.state() == after_add
    # Singapore may list the same CA under Singapore (each state vouches for itself) ...
    assert registry.post(PATH.format(cc="SG"), "operator-sg", {"certificate": pem(cert)}).status_code == 201
    # ... but withdrawing it under SG leaves Malaysia's listing alone.
    assert (
        registry.post(f"{PATH.format(cc='SG')}/{certificate_sha256_hex(cert)}/withdraw", "operator-sg", {}).status_code
        == 200
    )
    trust_list = registry.trust_list()
    assert [c.status for c in trust_list.country("MY").relying_party_cas] == [RelyingPartyCAStatus.GRANTED]  # type: ignore[union-attr]
    assert [c.status for c in trust_list.country("SG").relying_party_cas] == [RelyingPartyCAStatus.WITHDRAWN]  # type: ignore[union-attr]


def _refusals(now: int) -> dict[str, tuple[Any, int]]:
    two = pem(rp_ca(now)) + pem(rp_ca(now))
    return {
        "leaf_not_ca": ({"certificate": pem(leaf(now))}, 400),
        "expired": ({"certificate": pem(rp_ca(now, days=10, start_days_ago=20))}, 400),
        "not_yet_valid": ({"certificate": pem(rp_ca(now, start_days_ago=-5))}, 400),
        "rsa_1024": ({"certificate": pem(raw_ca(now, rsa.generate_private_key(65537, 1024)))}, 400),  # noqa: S505 - the refusal under test
        "p521": ({"certificate": pem(raw_ca(now, ec.generate_private_key(ec.SECP521R1())))}, 400),
        "malformed_pem": ({"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}, 400),
        "two_certificates": ({"certificate": two}, 400),
        "not_base64": ({"certificate": "%%%"}, 400),
        "too_large": ({"certificate": "A" * 9000}, 400),
        "wrong_type": ({"certificate": 42}, 400),
        "extra_member": ({"certificate": pem(rp_ca(now)), "x": 1}, 400),
    }


CASES = [
    "leaf_not_ca",
    "expired",
    "not_yet_valid",
    "rsa_1024",
    "p521",
    "malformed_pem",
    "two_certificates",
    "not_base64",
    "too_large",
    "wrong_type",
    "extra_member",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_certificates_are_refused_and_write_nothing(shared: Registry, case: str) -> None:
    body, status = _refusals(shared.clock.now())[case]
    before = shared.state()
    assert_problem(shared.post(PATH.format(cc="MY"), "operator-my", body), status)
    assert shared.state() == before


def test_rsa_ca_is_accepted(registry: Registry) -> None:
    """The twin of ``rsa_1024``: RSA of 2048 bits is an allowed CA key."""
    cert = raw_ca(registry.clock.now(), rsa.generate_private_key(65537, 2048))
    assert registry.post(PATH.format(cc="MY"), "operator-my", {"certificate": pem(cert)}).status_code == 201


def test_unknown_country_ca_and_hash(shared: Registry) -> None:
    before = shared.state()
    cert = {"certificate": pem(rp_ca(shared.clock.now()))}
    assert_problem(shared.post(PATH.format(cc="XX"), "scheme-operator", cert), 404)
    assert_problem(shared.post(f"{PATH.format(cc='MY')}/{'ab' * 32}/withdraw", "operator-my", {}), 404)
    assert_problem(shared.post(f"{PATH.format(cc='MY')}/xyz/withdraw", "operator-my", {}), 400)
    assert_problem(shared.post(f"{PATH.format(cc='MY')}/{'ab' * 32}/withdraw", "operator-my", {"note": "\u202e"}), 400)
    assert shared.http.post(PATH.format(cc="MY"), json=cert).status_code == 401  # no token at all
    assert shared.state() == before


def test_quota_per_country(registry: Registry) -> None:
    now = registry.clock.now()
    for _ in range(MAX_RP_CAS_PER_COUNTRY):
        assert registry.post(PATH.format(cc="TH"), "operator-th", {"certificate": pem(rp_ca(now))}).status_code == 201
    before = registry.state()
    assert_problem(registry.post(PATH.format(cc="TH"), "operator-th", {"certificate": pem(rp_ca(now))}), 409)
    assert registry.state() == before


def test_rp_ca_routes_are_rate_limited(kv_store: KeyValueStore, tmp_path: Path) -> None:
    reg = start_registry(
        make_settings(tmp_path / "data", rate_limit_per_minute=3), kv_store, FixedClock(int(time.time()))
    )
    try:
        headers = reg.auth("operator-my")
        now = reg.clock.now()
        codes = [
            reg.http.post(PATH.format(cc="MY"), json={"certificate": pem(rp_ca(now))}, headers=headers).status_code
            for _ in range(4)
        ]
        assert codes == [201, 201, 201, 429]
    finally:
        reg.http.close()
        reg.server.stop()
