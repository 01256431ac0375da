"""Governance: every action, scope enforcement across countries, bad input, nothing half-written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.ports import FixedClock
from idcore.trust import SERVICE_PID_ISSUANCE, VCT_PID, IssuerStatus, certificate_sha256_hex
from idcore.x509 import certificate_to_pem, create_issuer_certificate, create_root_ca
from lintas.kv import open_store

from .helpers import MY_PID, SG_BUSINESS, SG_PID, Registry, make_settings, start_registry

NEW_ISSUER = {
    "id": "https://pid2.sg.example",
    "names": {"en": "Second SG issuer", "ms": "Penerbit kedua"},
    "service_types": [SERVICE_PID_ISSUANCE],
    "vcts": [VCT_PID],
    "assurance_level": "substantial",
}


def root_cert(now: int, *, days: int = 365, start_days_ago: int = 1) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.fromtimestamp(now, UTC) - timedelta(days=start_days_ago)
    return create_root_ca(
        key,
        common_name="SG Root 2",
        country="SG",
        organization="Government of Singapore",
        not_before=start,
        not_after=start + timedelta(days=days),
    )


def leaf_cert(now: int) -> x509.Certificate:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.fromtimestamp(now, UTC) - timedelta(days=1)
    ca = create_root_ca(
        ca_key,
        common_name="CA",
        country="SG",
        organization="Org",
        not_before=start,
        not_after=start + timedelta(days=30),
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    return create_issuer_certificate(
        ca_key,
        ca,
        leaf_key.public_key(),
        common_name="Leaf",
        country="SG",
        organization="Org",
        not_before=start,
        not_after=start + timedelta(days=30),
    )


def pem(cert: x509.Certificate) -> str:
    return certificate_to_pem(cert).decode()


def assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "status"} <= set(response.json())


# --- every governance action ------------------------------------------------------------------


@pytest.mark.parametrize("client_id", ["operator-sg", "scheme-operator"])
def test_create_issuer(registry: Registry, client_id: str) -> None:
    response = registry.post("/v1/governance/countries/SG/issuers", client_id, NEW_ISSUER)
    assert response.status_code == 201, response.text
    assert response.json()["sequence_number"] == 2
    issuer = registry.trust_list().issuer(NEW_ISSUER["id"])
    assert issuer is not None
    assert issuer.country == "SG"
    assert issuer.current_status is IssuerStatus.GRANTED
    assert issuer.history[0].since == registry.clock.now()


def test_create_issuer_for_another_country_is_forbidden(shared: Registry) -> None:
    before = shared.state()
    response = shared.post("/v1/governance/countries/MY/issuers", "operator-sg", NEW_ISSUER)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert shared.state() == before


def test_update_issuer(registry: Registry) -> None:
    body = {"issuer_id": SG_PID, "assurance_level": "substantial", "names": {"en": "ICA", "ta": "ஐசிஏ"}}
    response = registry.http.patch("/v1/governance/issuers", json=body, headers=registry.auth("operator-sg"))
    assert response.status_code == 200, response.text
    issuer = registry.trust_list().issuer(SG_PID)
    assert issuer is not None
    assert issuer.assurance_level == "substantial"
    assert issuer.names == {"en": "ICA", "ta": "ஐசிஏ"}
    assert issuer.vcts == (VCT_PID,)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"issuer_id": SG_PID}, 400),  # nothing to change
        ({"issuer_id": SG_PID, "vcts": ["http://vct.example/x"]}, 400),
        ({"issuer_id": SG_PID, "assurance_level": "extreme"}, 400),
        ({"issuer_id": SG_PID, "names": {"en": "only English"}}, 400),
        ({"issuer_id": SG_PID + "/nope", "assurance_level": "low"}, 404),
        ({"issuer_id": SG_PID, "status_history": []}, 400),  # status is not updatable this way
    ],
)
def test_update_issuer_refusals(shared: Registry, body: dict[str, Any], status: int) -> None:
    before = shared.state()
    response = shared.http.patch("/v1/governance/issuers", json=body, headers=shared.auth("operator-sg"))
    assert_problem(response, status)
    assert shared.state() == before


def test_suspend_reinstate_withdraw(registry: Registry) -> None:
    steps = (
        ("suspend", "suspended", "unspecified"),
        ("reinstate", "granted", None),
        ("withdraw", "withdrawn", "privilege_withdrawn"),
    )
    for action, status, reason in steps:
        registry.clock.advance(10)
        response = registry.post(f"/v1/governance/issuers/{action}", "operator-sg", {"issuer_id": SG_PID})
        assert response.status_code == 200, response.text
        expected = {"status": status, "since": registry.clock.now()} | ({"reason": reason} if reason else {})
        assert response.json()["issuer"]["status_history"][-1] == expected  # the default reason is recorded
    issuer = registry.trust_list().issuer(SG_PID)
    assert issuer is not None
    assert [c.status.value for c in issuer.history] == ["granted", "suspended", "granted", "withdrawn"]
    assert registry.trust_list().sequence_number == 4


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ([], "reinstate"),  # reinstate a granted issuer
        (["suspend"], "suspend"),  # suspend twice
        (["withdraw"], "reinstate"),  # withdrawal is final
        (["withdraw"], "suspend"),
        (["withdraw"], "withdraw"),
    ],
)
def test_status_conflicts(registry: Registry, steps: list[str], refused: str) -> None:
    for step in steps:
        assert registry.post(f"/v1/governance/issuers/{step}", "operator-sg", {"issuer_id": SG_PID}).status_code == 200
    before = registry.state()
    response = registry.post(f"/v1/governance/issuers/{refused}", "operator-sg", {"issuer_id": SG_PID})
    assert_problem(response, 409)
    assert registry.state() == before


def test_add_rotate_remove_anchor(registry: Registry) -> None:
    now = registry.clock.now()
    new_root, newer_root = root_cert(now), root_cert(now)
    added = registry.post("/v1/governance/countries/SG/anchors", "operator-sg", {"certificate": pem(new_root)})
    assert added.status_code == 201, added.text
    assert added.json()["sha256"] == certificate_sha256_hex(new_root)
    country = registry.trust_list().country("SG")
    assert country is not None
    assert len(country.anchors) == 2

    rotate = {"old_sha256": certificate_sha256_hex(new_root), "certificate": pem(newer_root)}
    rotated = registry.post("/v1/governance/countries/SG/anchors/rotate", "operator-sg", rotate)
    assert rotated.status_code == 200, rotated.text
    anchors = registry.http.get("/v1/countries/SG").json()["anchors"]
    assert certificate_sha256_hex(newer_root) in {a["sha256"] for a in anchors}
    assert certificate_sha256_hex(new_root) not in {a["sha256"] for a in anchors}

    url = f"/v1/governance/countries/SG/anchors/{certificate_sha256_hex(newer_root)}"
    removed = registry.http.delete(url, headers=registry.auth("operator-sg"))
    assert removed.status_code == 200, removed.text
    assert len(registry.http.get("/v1/countries/SG").json()["anchors"]) == 1
    assert registry.trust_list().sequence_number == 4


def _anchor_refusals(now: int) -> dict[str, tuple[Any, int]]:
    return {
        "leaf_not_ca": ({"certificate": pem(leaf_cert(now))}, 400),
        "expired": ({"certificate": pem(root_cert(now, days=10, start_days_ago=20))}, 400),
        "not_yet_valid": ({"certificate": pem(root_cert(now, start_days_ago=-5))}, 400),
        "garbage": ({"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}, 400),
        "not_base64": ({"certificate": "%%%"}, 400),
        "empty": ({"certificate": ""}, 400),
        "wrong_type": ({"certificate": 42}, 400),
        "extra_member": ({"certificate": pem(root_cert(now)), "x": 1}, 400),
    }


@pytest.mark.parametrize(
    "case", ["leaf_not_ca", "expired", "not_yet_valid", "garbage", "not_base64", "empty", "wrong_type", "extra_member"]
)
def test_anchor_refusals(shared: Registry, case: str) -> None:
    body, status = _anchor_refusals(shared.clock.now())[case]
    before = shared.state()
    response = shared.post("/v1/governance/countries/SG/anchors", "operator-sg", body)
    assert_problem(response, status)
    assert shared.state() == before


def test_duplicate_anchor_and_unknown_anchor(shared: Registry) -> None:
    existing = shared.http.get("/v1/countries/SG").json()["anchors"][0]
    before = shared.state()
    dup = shared.post("/v1/governance/countries/SG/anchors", "operator-sg", {"certificate": existing["certificate"]})
    assert_problem(dup, 409)
    rotate = {"old_sha256": "ab" * 32, "certificate": pem(root_cert(shared.clock.now()))}
    assert_problem(shared.post("/v1/governance/countries/SG/anchors/rotate", "operator-sg", rotate), 404)
    headers = shared.auth("operator-sg")
    gone = shared.http.delete(f"/v1/governance/countries/SG/anchors/{'ab' * 32}", headers=headers)
    assert_problem(gone, 404)
    bad_hash = shared.http.delete("/v1/governance/countries/SG/anchors/xyz", headers=headers)
    assert_problem(bad_hash, 400)
    assert shared.state() == before


# --- scopes across countries ----------------------------------------------------------------


def _sg_actions(now: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("POST", "/v1/governance/countries/SG/issuers", NEW_ISSUER),
        ("PATCH", "/v1/governance/issuers", {"issuer_id": SG_PID, "assurance_level": "low"}),
        ("POST", "/v1/governance/issuers/suspend", {"issuer_id": SG_BUSINESS}),
        ("POST", "/v1/governance/issuers/withdraw", {"issuer_id": SG_PID}),
        ("POST", "/v1/governance/issuers/reinstate", {"issuer_id": SG_PID}),
        ("POST", "/v1/governance/countries/SG/anchors", {"certificate": pem(root_cert(now))}),
        ("POST", "/v1/governance/countries/SG/anchors/rotate", {"old_sha256": "ab" * 32, "certificate": "x"}),
        ("DELETE", f"/v1/governance/countries/SG/anchors/{'ab' * 32}", None),
    ]


def test_national_operator_cannot_touch_another_country(registry: Registry) -> None:
    headers = registry.auth("operator-my")
    before = registry.state()
    for method, path, body in _sg_actions(registry.clock.now()):
        response = registry.http.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"] == "insufficient_scope"
    assert registry.state() == before
    # The twin: the same operator may change its own country.
    own = registry.post("/v1/governance/issuers/suspend", "operator-my", {"issuer_id": MY_PID})
    assert own.status_code == 200


def test_scheme_operator_may_change_every_country(registry: Registry) -> None:
    for issuer in (SG_PID, MY_PID, "https://issuers.lintas.asean.example/tl"):
        response = registry.post("/v1/governance/issuers/suspend", "scheme-operator", {"issuer_id": issuer})
        assert response.status_code == 200
    assert registry.trust_list().sequence_number == 4


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer not-a-token", "Basic b3BlcmF0b3Itc2c6eA==", "Bearer a.b.c"]
)
def test_missing_or_invalid_token_is_401(shared: Registry, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    before = shared.state()
    response = shared.http.post("/v1/governance/issuers/suspend", json={"issuer_id": SG_PID}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert shared.state() == before


def test_expired_token_is_401(shared: Registry) -> None:
    headers = shared.auth("operator-sg")
    before, start = shared.state(), shared.clock.t
    shared.clock.advance(shared.settings.token_ttl + 1)
    try:
        response = shared.http.post("/v1/governance/issuers/suspend", json={"issuer_id": SG_PID}, headers=headers)
    finally:
        shared.clock.t = start
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert shared.state() == before


def test_token_endpoint_refuses_wrong_secret(shared: Registry) -> None:
    response = shared.http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("operator-sg", "wrong")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert shared.token("operator-sg")  # the twin: the right secret works


# --- bad input --------------------------------------------------------------------------------


def _issuer(**changes: Any) -> dict[str, Any]:
    return {**NEW_ISSUER, **changes}


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/v1/governance/countries/SG/issuers", _issuer(id="http://pid2.sg.example"), 400),
        ("/v1/governance/countries/SG/issuers", _issuer(id="http://127.0.0.1:9000/sg"), 400),  # not in development
        ("/v1/governance/countries/SG/issuers", _issuer(id=SG_PID), 409),  # duplicate
        ("/v1/governance/countries/SG/issuers", _issuer(id=MY_PID), 409),  # duplicate in another country
        ("/v1/governance/countries/SG/issuers", _issuer(service_types=["https://x.example/svc"]), 400),
        ("/v1/governance/countries/SG/issuers", _issuer(names={"ms": "x", "ta": "y"}), 400),
        ("/v1/governance/countries/SG/issuers", _issuer(vcts="not-a-list"), 400),
        ("/v1/governance/countries/SG/issuers", _issuer(unknown=1), 400),
        ("/v1/governance/countries/SG/issuers", {"id": "https://x.example"}, 400),
        ("/v1/governance/countries/XX/issuers", NEW_ISSUER, 404),
        ("/v1/governance/countries/sg/issuers", NEW_ISSUER, 404),
        ("/v1/governance/countries/SGP/issuers", NEW_ISSUER, 400),
        ("/v1/governance/issuers/suspend", {"issuer_id": 7}, 400),
        ("/v1/governance/issuers/suspend", {"issuer_id": "https://unknown.example"}, 404),
        ("/v1/governance/issuers/suspend", [], 400),
        ("/v1/governance/issuers/pause", {"issuer_id": SG_PID}, 404),
    ],
)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(shared: Registry, path: str, body: Any, status: int) -> None:
    before = shared.state()
    response = shared.post(path, "scheme-operator", body)
    assert_problem(response, status)
    assert shared.state() == before


@pytest.mark.parametrize("raw", [b"{", b"not json", b'{"issuer_id": "a", "issuer_id": "b"}'[:-1], b"\xff"])
def test_malformed_json_is_400(shared: Registry, raw: bytes) -> None:
    headers = {**shared.auth("operator-sg"), "Content-Type": "application/json"}
    before = shared.state()
    response = shared.http.post("/v1/governance/issuers/suspend", content=raw, headers=headers)
    assert_problem(response, 400)
    assert shared.state() == before


def test_loopback_identifiers_in_development(tmp_path: Path, clock: FixedClock) -> None:
    """The twin of the non-https refusal: a development registry accepts loopback http."""
    # Development mode serves loopback only (lintas.devmode): the registry's own URL is loopback too.
    settings = make_settings(
        tmp_path / "dev", development=True, issuer_base="http://127.0.0.1:9100", public_url="http://127.0.0.1:9000"
    )
    store = open_store(None, tmp_path / "dev", "registry")
    dev = start_registry(settings, store, clock)
    try:
        assert dev.trust_list().issuer("http://127.0.0.1:9100/sg") is not None
        body = _issuer(id="http://localhost:9200/sg2")
        assert dev.post("/v1/governance/countries/SG/issuers", "operator-sg", body).status_code == 201
        refused = dev.post("/v1/governance/countries/SG/issuers", "operator-sg", _issuer(id="http://10.1.1.1/sg"))
        assert_problem(refused, 400)
    finally:
        dev.http.close()
        dev.server.stop()
        store.close()
