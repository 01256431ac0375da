"""idcore.trust signed lists and the verifier cache: pinning, rollback, staleness, fail closed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from idcore.b64 import b64u_decode, b64u_encode, json_dumps, json_loads
from idcore.errors import Reason, TrustError
from idcore.jose import KeySigner, sign_compact
from idcore.ports import FixedClock
from idcore.trust import (
    VCT_PID,
    TrustList,
    TrustListCache,
    TrustListPin,
    certificate_sha256_hex,
    sign_trust_list,
    verify_trust_list,
)
from idcore.trust.signed import TRUST_LIST_TYP
from tests.unit.trust_data import ISSUER, list_json


def self_signed(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """A minimal certificate carrying ``key`` (pinning does not look at CA constraints)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test registry")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )


@dataclasses.dataclass
class Registry:
    signer: KeySigner
    cert: x509.Certificate

    def publish(self, seq: int, *, iat: int = 1000, next_update: int = 2000, **changes: Any) -> str:
        doc = list_json()
        doc.update(sequence_number=seq, iat=iat, next_update=next_update, **changes)
        return sign_trust_list(TrustList.from_json(doc), self.signer, [self.cert])

    @property
    def pin(self) -> TrustListPin:
        return TrustListPin(certificate_sha256=certificate_sha256_hex(self.cert))


def new_registry() -> Registry:
    key = ec.generate_private_key(ec.SECP256R1())
    return Registry(KeySigner(key), self_signed(key))


@pytest.fixture(scope="module")
def registry() -> Registry:
    return new_registry()


# --- signed lists -------------------------------------------------------------------------


def test_verifies_with_certificate_pin(registry: Registry) -> None:
    verified = verify_trust_list(registry.publish(3), registry.pin)
    assert verified.trust_list.sequence_number == 3


def test_verifies_with_key_pin(registry: Registry) -> None:
    key = registry.cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert verify_trust_list(registry.publish(3), TrustListPin(public_key=key)).trust_list.sequence_number == 3


def test_pin_needs_exactly_one_kind(registry: Registry) -> None:
    key = registry.cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    with pytest.raises(TrustError):
        TrustListPin()
    with pytest.raises(TrustError):
        TrustListPin(certificate_sha256="00", public_key=key)


def test_other_registry_is_refused(registry: Registry) -> None:
    other = new_registry()
    assert verify_trust_list(other.publish(3), other.pin)
    for pin in (registry.pin, TrustListPin(public_key=registry.cert.public_key())):  # type: ignore[arg-type]
        with pytest.raises(TrustError) as info:
            verify_trust_list(other.publish(3), pin)
        assert info.value.reason is Reason.TRUST_LIST_INVALID


def test_foreign_key_with_pinned_certificate_in_x5c_is_refused(registry: Registry) -> None:
    """An attacker copies the pinned certificate into x5c but signs with its own key."""
    attacker = new_registry()
    token = sign_trust_list(TrustList.from_json(list_json()), attacker.signer, [registry.cert])
    with pytest.raises(TrustError) as info:
        verify_trust_list(token, registry.pin)
    assert info.value.reason is Reason.TRUST_LIST_INVALID


def _resign(registry: Registry, header: dict[str, Any], payload: dict[str, Any]) -> str:
    return sign_compact(header, payload, registry.signer)


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    h, p, _ = token.split(".")
    return json_loads(b64u_decode(h)), json_loads(b64u_decode(p))


def test_tampered_payload_is_refused(registry: Registry) -> None:
    token = registry.publish(3)
    h, p, s = token.split(".")
    payload = json_loads(b64u_decode(p))
    payload["sequence_number"] = 99
    forged = f"{h}.{b64u_encode(json_dumps(payload))}.{s}"
    assert verify_trust_list(token, registry.pin)
    with pytest.raises(TrustError) as info:
        verify_trust_list(forged, registry.pin)
    assert info.value.reason is Reason.TRUST_LIST_INVALID


@pytest.mark.parametrize(
    "header_change",
    [{"typ": "JWT"}, {"typ": None}, {"x5c": None}, {"x5c": ["bm90IGEgY2VydA=="]}, {"crit": ["exp"]}],
)
def test_bad_headers_are_refused(registry: Registry, header_change: dict[str, Any]) -> None:
    header, payload = _parts(registry.publish(3))
    good = _resign(registry, header, payload)
    assert verify_trust_list(good, registry.pin)
    header.update(header_change)
    header = {k: v for k, v in header.items() if v is not None}
    with pytest.raises(TrustError) as info:
        verify_trust_list(_resign(registry, header, payload), registry.pin)
    assert info.value.reason is Reason.TRUST_LIST_INVALID


def test_alg_none_is_refused(registry: Registry) -> None:
    header, payload = _parts(registry.publish(3))
    header["alg"] = "none"
    token = f"{b64u_encode(json_dumps(header))}.{b64u_encode(json_dumps(payload))}."
    with pytest.raises(TrustError) as info:
        verify_trust_list(token, registry.pin)
    assert info.value.reason is Reason.TRUST_LIST_INVALID


@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c", b"\xff\xfe", "x" * (3 * 1024 * 1024)])
def test_garbage_is_invalid(registry: Registry, garbage: str | bytes) -> None:
    with pytest.raises(TrustError) as info:
        verify_trust_list(garbage, registry.pin)
    assert info.value.reason is Reason.TRUST_LIST_INVALID


def test_signed_but_invalid_content_is_refused(registry: Registry) -> None:
    header, payload = _parts(registry.publish(3))
    payload["countries"][0]["code"] = "XX"
    with pytest.raises(TrustError) as info:
        verify_trust_list(_resign(registry, {"typ": TRUST_LIST_TYP, "x5c": header["x5c"]}, payload), registry.pin)
    assert info.value.reason is Reason.TRUST_LIST_INVALID


# --- the cache ---------------------------------------------------------------------------


class Source:
    """The fetch port: returns ``token`` or raises when the registry is "down"."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.up = True
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        if not self.up:
            raise OSError("connection refused")
        return self.token.encode()


def make_cache(registry: Registry, source: Source, clock: FixedClock, **kw: int) -> TrustListCache:
    return TrustListCache(fetch=source, pin=registry.pin, clock=clock, max_staleness=500, **kw)


def test_no_list_trusts_nobody(registry: Registry) -> None:
    source = Source("")
    source.up = False
    cache = make_cache(registry, source, FixedClock(1000))
    decision = cache.decide(ISSUER, VCT_PID, 500)
    assert not decision.authorised
    assert decision.reason is Reason.UNTRUSTED_ISSUER
    assert cache.status().sequence_number == 0


def test_fetched_list_decides(registry: Registry) -> None:
    cache = make_cache(registry, Source(registry.publish(3)), FixedClock(1000))
    assert cache.decide(ISSUER, VCT_PID, 500).authorised
    assert cache.status().sequence_number == 3


def test_cached_until_refresh_interval(registry: Registry) -> None:
    clock = FixedClock(1000)
    source = Source(registry.publish(3))
    cache = make_cache(registry, source, clock, refresh_interval=300)
    cache.snapshot()
    clock.advance(299)
    cache.snapshot()
    assert source.calls == 1
    source.token = registry.publish(4)
    clock.advance(1)
    assert cache.snapshot().sequence_number == 4
    assert source.calls == 2


def test_rollback_is_refused_and_old_list_kept(registry: Registry) -> None:
    cache = make_cache(registry, Source(registry.publish(5)), FixedClock(1000))
    assert cache.snapshot().sequence_number == 5
    assert cache.accept(registry.publish(6)).sequence_number == 6
    with pytest.raises(TrustError) as info:
        cache.accept(registry.publish(5))
    assert info.value.reason is Reason.TRUST_LIST_ROLLBACK
    assert cache.snapshot().sequence_number == 6


def test_rollback_through_fetch_keeps_newer_list(registry: Registry) -> None:
    clock = FixedClock(1000)
    source = Source(registry.publish(6))
    cache = make_cache(registry, source, clock, refresh_interval=10)
    assert cache.snapshot().sequence_number == 6
    source.token = registry.publish(2)
    clock.advance(10)
    assert cache.refresh() is False
    assert "sequence 2 < 6" in cache.status().last_error
    assert cache.snapshot().sequence_number == 6


def test_same_sequence_different_content_is_refused(registry: Registry) -> None:
    cache = make_cache(registry, Source(registry.publish(5)), FixedClock(1000))
    cache.snapshot()
    assert cache.accept(registry.publish(5)).sequence_number == 5  # re-signed, same content: fine
    with pytest.raises(TrustError) as info:
        cache.accept(registry.publish(5, next_update=9999))
    assert info.value.reason is Reason.TRUST_LIST_ROLLBACK


def test_stale_while_unreachable_then_fail_closed_then_recover(registry: Registry) -> None:
    clock = FixedClock(1000)
    source = Source(registry.publish(3, next_update=2000))
    cache = make_cache(registry, source, clock, retry_interval=30)
    assert cache.decide(ISSUER, VCT_PID, 500).authorised
    source.up = False
    clock.t = 2000 + 500  # next_update + max_staleness: still usable
    assert cache.decide(ISSUER, VCT_PID, 500).authorised
    assert "connection refused" in cache.status().last_error
    clock.t = 2501
    with pytest.raises(TrustError) as info:
        cache.decide(ISSUER, VCT_PID, 500)
    assert info.value.reason is Reason.TRUST_LIST_STALE
    assert cache.status().stale
    source.up = True
    source.token = registry.publish(4, iat=2400, next_update=4000)
    clock.advance(30)  # the retry interval after the failed attempt
    assert cache.decide(ISSUER, VCT_PID, 500).authorised
    assert cache.status().sequence_number == 4


def test_failed_fetch_is_not_retried_within_retry_interval(registry: Registry) -> None:
    clock = FixedClock(1000)
    source = Source("")
    source.up = False
    cache = make_cache(registry, source, clock, retry_interval=30)
    for _ in range(5):
        cache.snapshot()
    assert source.calls == 1
    clock.advance(30)
    cache.snapshot()
    assert source.calls == 2


def test_invalid_fetched_list_is_ignored(registry: Registry) -> None:
    clock = FixedClock(1000)
    source = Source(new_registry().publish(9))
    cache = make_cache(registry, source, clock)
    assert cache.snapshot().sequence_number == 0
    assert "trust_list_invalid" in cache.status().last_error
