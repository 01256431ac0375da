"""Pre-Authorized Code flow (OpenID4VCI 1.0 Sections 3.5, 4.1.1, 6.1, 6.3): each success has a twin."""

from __future__ import annotations

import json
import time

import pytest

from idcore.errors import IdcoreError
from idcore.oid4vci import PRE_AUTHORIZED_GRANT
from idcore.sdjwt import HolderCredential
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION, VCT_PID
from tests.issuer.conftest import BUSINESS_CONFIG, Harness
from tests.issuer.helpers import national_root, verify_credential


def _token(harness: Harness, tenant: str, **form: str) -> dict[str, object]:
    answer = harness.client.post(f"{tenant}/token", data={"grant_type": PRE_AUTHORIZED_GRANT, **form})
    return {"status": answer.status_code, **answer.json()}


def test_pid_is_issued_bound_and_verifiable_against_the_national_root(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_reference"]), created["tx_code"])
    root = national_root(harness.settings.data_dir)
    verified = verify_credential(issued.credentials[0], [root], harness.clock, holder=issued.keys[0])
    claims = verified.claims
    assert verified.vct == VCT_PID
    assert verified.iss == harness.pid
    assert claims["given_name"] == "Wei Ling"
    assert claims["age_over_18"] is True
    assert claims["cnf"]["jwk"] == dict(issued.keys[0].public_jwk)
    assert claims["status"]["status_list"]["uri"] == f"{harness.pid}/status-lists/1"
    assert claims["vct#integrity"].startswith("sha256-")
    assert len(verified.header["x5c"]) == 1  # HAIP: the trust anchor is not in x5c


def test_credential_from_another_national_root_is_refused(harness: Harness, make_harness: object) -> None:
    created = harness.offer("sg-tan-wei-ling")
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    other = make_harness(country="MY", data_dir=harness.settings.data_dir.parent / "my")  # type: ignore[operator]
    with pytest.raises(IdcoreError) as caught:
        verify_credential(issued.credentials[0], [national_root(other.settings.data_dir, "MY")], harness.clock)
    assert caught.value.reason.value == "untrusted_issuer"


def test_tampered_disclosure_fails_verification(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    jwt, first, *rest = issued.credentials[0].split("~")
    tampered = "~".join([jwt, first[:-2] + ("AA" if first[-2:] != "AA" else "BB"), *rest])
    with pytest.raises(IdcoreError):
        verify_credential(tampered, [national_root(harness.settings.data_dir)], harness.clock)


def test_selective_disclosure_follows_type_metadata(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    held = HolderCredential.parse(issued.credentials[0])
    disclosed_top = {path[0] for path in held.paths}
    # sd: always claims are Disclosures; issuing_country (sd: never) sits in the signed payload.
    assert {"given_name", "birthdate", "age_over_18", "address", "document_number"} <= disclosed_top
    assert "issuing_country" not in disclosed_top
    assert held.claims["issuing_country"] == "SG"


def test_business_credential(harness: Harness) -> None:
    created = harness.offer("sg-merlion-logistics", BUSINESS_CONFIG)
    assert created["credential_issuer"] == harness.business
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_reference"]), created["tx_code"])
    verified = verify_credential(issued.credentials[0], [national_root(harness.settings.data_dir)], harness.clock)
    assert verified.vct == VCT_BUSINESS_REGISTRATION
    assert verified.iss == harness.business
    assert verified.claims["registration_number"] == "201912345K"
    assert verified.claims["authorised_representatives"][0]["family_name"] == "Tan"


def test_person_cannot_be_offered_a_business_credential(harness: Harness) -> None:
    body = {"subject_id": "sg-tan-wei-ling", "credential_configuration_id": BUSINESS_CONFIG}
    bearer = {"Authorization": f"Bearer {harness.operator_token()}"}
    answer = harness.client.post("/v1/offers", json=body, headers=bearer)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_wrong_tx_code_is_invalid_grant_and_right_one_still_works(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    wrong = "0" * 6 if created["tx_code"] != "0" * 6 else "1" * 6
    assert _token(harness, harness.pid, **{"pre-authorized_code": code, "tx_code": wrong})["error"] == "invalid_grant"
    good = _token(harness, harness.pid, **{"pre-authorized_code": code, "tx_code": created["tx_code"]})
    assert good["status"] == 200
    assert good["token_type"] == "Bearer"


def test_tx_code_attempts_are_limited(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    wrong = "0" * 6 if created["tx_code"] != "0" * 6 else "1" * 6
    attempts = harness.settings.tx_code_attempts
    said = [
        _token(harness, harness.pid, **{"pre-authorized_code": code, "tx_code": wrong})["error_description"]
        for _ in range(attempts)
    ]
    # The holder is told how many tries remain, then that the offer is cancelled (never the code).
    assert said[0] == f"Wrong tx_code; {attempts - 1} attempt{'s' if attempts - 1 > 1 else ''} left."
    assert said[-1] == "Wrong tx_code; no attempts left: the offer is cancelled."
    assert all(created["tx_code"] not in text for text in said)
    late = _token(harness, harness.pid, **{"pre-authorized_code": code, "tx_code": created["tx_code"]})
    assert (late["status"], late["error"]) == (400, "invalid_grant")


def test_missing_tx_code_is_invalid_request(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    assert _token(harness, harness.pid, **{"pre-authorized_code": code})["error"] == "invalid_request"


def test_unexpected_tx_code_is_invalid_request(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling", tx_code=False)
    assert created["tx_code"] is None
    grant = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]
    assert "tx_code" not in grant
    answer = _token(harness, harness.pid, **{"pre-authorized_code": grant["pre-authorized_code"], "tx_code": "1"})
    assert answer["error"] == "invalid_request"
    assert _token(harness, harness.pid, **{"pre-authorized_code": grant["pre-authorized_code"]})["status"] == 200


def test_replayed_pre_authorized_code_is_invalid_grant(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    form = {"pre-authorized_code": code, "tx_code": created["tx_code"]}
    assert _token(harness, harness.pid, **form)["status"] == 200
    assert _token(harness, harness.pid, **form)["error"] == "invalid_grant"


def test_code_of_one_tenant_is_useless_at_the_other(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    form = {"pre-authorized_code": code, "tx_code": created["tx_code"]}
    assert _token(harness, harness.business, **form)["error"] == "invalid_grant"
    assert _token(harness, harness.pid, **form)["status"] == 200


def test_expired_pre_authorized_code_is_invalid_grant(make_harness: object) -> None:
    harness: Harness = make_harness(pre_authorized_code_ttl=1)  # type: ignore[operator]
    created = harness.offer("sg-tan-wei-ling")
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    time.sleep(1.2)
    answer = _token(harness, harness.pid, **{"pre-authorized_code": code, "tx_code": created["tx_code"]})
    assert answer["error"] == "invalid_grant"


def test_token_request_errors_are_oauth_shaped(harness: Harness) -> None:
    unknown = harness.client.post(f"{harness.pid}/token", data={"grant_type": "password"})
    assert (unknown.status_code, unknown.json()["error"]) == (400, "unsupported_grant_type")
    missing = harness.client.post(f"{harness.pid}/token", data={"grant_type": PRE_AUTHORIZED_GRANT})
    assert missing.json()["error"] == "invalid_request"
    repeated = harness.client.post(
        f"{harness.pid}/token",
        content=b"grant_type=a&grant_type=b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert repeated.json()["error"] == "invalid_request"
    as_json = harness.client.post(f"{harness.pid}/token", json={"grant_type": PRE_AUTHORIZED_GRANT})
    assert (as_json.status_code, as_json.json()["error"]) == (400, "invalid_request")
    assert as_json.headers["cache-control"] == "no-store"


def test_the_stored_tx_code_is_a_salted_slow_hash(harness: Harness) -> None:
    """Issue #12 class 9: an offer record holds scrypt(PIN, random salt), never the PIN or its plain SHA-256."""
    import hashlib

    from issuer.storage.records import tx_code_matches

    first, second = harness.offer("sg-tan-wei-ling"), harness.offer("sg-tan-wei-ling")
    records = []
    for created in (first, second):
        code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
        slug = harness.service.tenants[0].spec.slug  # the PID tenant
        record = harness.service.records.peek_secret(f"preauth:{slug}", code)
        assert record is not None
        records.append((record, created["tx_code"]))
    for record, pin in records:
        verifier = record["tx_code"]
        assert verifier["kdf"] == "scrypt-n16384-r8-p1"
        assert len(bytes.fromhex(verifier["salt"])) == 16
        assert pin not in json.dumps(record)
        assert hashlib.sha256(pin.encode()).hexdigest() not in json.dumps(record)
        assert tx_code_matches(verifier, pin)
        assert not tx_code_matches(verifier, "0" * len(pin) if pin != "0" * len(pin) else "1" * len(pin))  # twin
    assert records[0][0]["tx_code"]["salt"] != records[1][0]["tx_code"]["salt"]  # a fresh salt per offer
    # A malformed or legacy verifier never matches.
    assert not tx_code_matches({"kdf": "sha256", "hash": hashlib.sha256(b"123456").hexdigest()}, "123456")
    assert not tx_code_matches({"kdf": "scrypt-n16384-r8-p1", "salt": "zz", "hash": "00"}, "123456")
