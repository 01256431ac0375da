"""The TRQP-style authorization query: signed answers with evidence, judged at issuance time and now."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import JoseError
from idcore.jose import verify_compact
from idcore.keys import generate_private_key
from idcore.trust import VCT_BUSINESS_REGISTRATION, VCT_PID
from idcore.x509 import certificate_from_pem
from trust_registry.service import ANSWER_TYP

from .helpers import MY_PID, SG_BUSINESS, SG_PID, Registry


def ask(registry: Registry, **fields: Any) -> Any:
    query = {"entity_id": SG_PID, "authority_id": "SG", "action": "issue", "resource": VCT_PID, **fields}
    return registry.http.post("/v1/authorization", json=query)


def registry_key(registry: Registry) -> ec.EllipticCurvePublicKey:
    cert = certificate_from_pem((registry.settings.data_dir / "registry" / "signing-cert.pem").read_bytes())
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def test_authorised_answer_is_signed_with_evidence(shared: Registry) -> None:
    body = ask(shared).json()
    assert body["authorized"] is True
    assert body["reason"] is None
    assert body["evidence"]["sequence_number"] == shared.trust_list().sequence_number
    assert body["evidence"]["entry"]["id"] == SG_PID
    assert body["evidence"]["country"] == "SG"
    _, signed = verify_compact(body["answer"], registry_key(shared), algorithms=["ES256"], typ=ANSWER_TYP)
    assert signed == {k: v for k, v in body.items() if k != "answer"}


def test_answer_does_not_verify_under_another_key(shared: Registry) -> None:
    body = ask(shared).json()
    other = generate_private_key("ES256").public_key()
    assert isinstance(other, ec.EllipticCurvePublicKey)
    with pytest.raises(JoseError):
        verify_compact(body["answer"], other, algorithms=["ES256"], typ=ANSWER_TYP)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"resource": VCT_BUSINESS_REGISTRATION}, "not_authorised"),  # PID issuer asked about business
        ({"entity_id": SG_BUSINESS, "resource": VCT_BUSINESS_REGISTRATION, "authority_id": "MY"}, "not_authorised"),
        ({"entity_id": MY_PID}, "not_authorised"),  # MY issuer, asked of authority SG
        ({"entity_id": "https://unknown.example"}, "untrusted_issuer"),
        ({"context": {"time": 0}}, "not_authorised"),  # issued before the grant
    ],
)
def test_negative_answers(shared: Registry, fields: dict[str, Any], reason: str) -> None:
    assert ask(shared).json()["authorized"] is True
    body = ask(shared, **fields).json()
    assert body["authorized"] is False
    assert body["reason"] == reason


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"action": "revoke"}, 400),
        ({"authority_id": "XX"}, 404),
        ({"context": {"time": "yesterday"}}, 400),
        ({"context": {"time": "2026-01-01T00:00:00"}}, 400),  # no offset: ambiguous
        ({"context": {"time": -5}}, 400),
        ({"entity_id": 5}, 400),
        ({"extra": 1}, 400),
    ],
)
def test_bad_queries_are_problems(shared: Registry, fields: dict[str, Any], status: int) -> None:
    response = ask(shared, **fields)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_rfc3339_time_is_accepted(shared: Registry) -> None:
    body = ask(shared, context={"time": "2100-01-01T00:00:00Z"}).json()
    assert body["time_requested"] == 4102444800
    assert body["authorized"] is True


def test_judged_at_issuance_time_and_now(registry: Registry) -> None:
    t_granted = registry.clock.now()
    registry.clock.advance(100)
    assert registry.post("/v1/governance/issuers/suspend", "operator-sg", {"issuer_id": SG_PID}).status_code == 200
    t_suspended = registry.clock.now()
    registry.clock.advance(100)
    # Issued while granted: still fine during the suspension; issued while suspended: rejected.
    assert ask(registry, context={"time": t_granted + 50}).json()["authorized"] is True
    suspended = ask(registry, context={"time": t_suspended + 50}).json()
    assert suspended["authorized"] is False
    assert suspended["reason"] == "issuer_suspended"
    assert registry.post("/v1/governance/issuers/withdraw", "operator-sg", {"issuer_id": SG_PID}).status_code == 200
    withdrawn = ask(registry, context={"time": t_granted + 50}).json()
    assert withdrawn["authorized"] is False
    assert withdrawn["reason"] == "issuer_withdrawn"
    assert withdrawn["evidence"]["sequence_number"] == 3
