"""Publication: the signed list with ETag / Cache-Control, past lists, JSON views, health, docs."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from idcore.errors import Reason, TrustError
from idcore.trust import VCT_BUSINESS_REGISTRATION, VCT_PID, TrustListPin, verify_trust_list
from idcore.trust.etsi import verify_lote
from idcore.trust.vct import ASEAN_COUNTRIES, VCT_MANDATE
from lintas import __version__

from .helpers import SG_PID, Registry


def test_trust_list_is_a_pinned_jws_with_all_countries(shared: Registry) -> None:
    response = shared.http.get("/v1/trust-list")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jwt"
    trust_list = verify_trust_list(response.content, shared.pin).trust_list
    assert trust_list.sequence_number == 1
    assert {c.code for c in trust_list.countries} == ASEAN_COUNTRIES
    assert all(c.anchors and c.issuers for c in trust_list.countries)
    for code in ("SG", "MY", "TH", "VN"):
        country = trust_list.country(code)
        assert country is not None
        expected = {VCT_PID, VCT_BUSINESS_REGISTRATION} | ({VCT_MANDATE} if code == "VN" else set())
        if code in ("TH", "MY"):  # their PID issuers also issue the mDL and the PID as an mdoc
            expected |= {"org.iso.18013.5.1.mDL", "org.asean.lintas.pid.1"}
        assert {v for i in country.issuers for v in i.vcts} == expected


def test_trust_list_does_not_verify_under_another_pin(shared: Registry) -> None:
    response = shared.http.get("/v1/trust-list")
    assert verify_trust_list(response.content, shared.pin)
    with pytest.raises(TrustError) as info:
        verify_trust_list(response.content, TrustListPin(certificate_sha256="00" * 32))
    assert info.value.reason is Reason.TRUST_LIST_INVALID


def test_etag_and_if_none_match(shared: Registry) -> None:
    first = shared.http.get("/v1/trust-list")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == f"public, max-age={shared.settings.max_cache_age}"
    again = shared.http.get("/v1/trust-list", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = shared.http.get("/v1/trust-list", headers={"If-None-Match": '"1-deadbeef"'})
    assert other.status_code == 200
    assert other.content == first.content


def test_cache_control_runs_to_next_update(registry: Registry) -> None:
    trust_list = registry.trust_list()
    registry.clock.t = trust_list.next_update - 100  # past half-life: the registry re-issues
    response = registry.http.get("/v1/trust-list")
    reissued = verify_trust_list(response.content, registry.pin).trust_list
    assert reissued.sequence_number == 2
    assert reissued.countries == trust_list.countries
    registry.clock.t = reissued.issued_at + registry.settings.list_validity // 2 - 60
    max_age = int(registry.http.get("/v1/trust-list").headers["cache-control"].split("=")[1])
    assert max_age == min(registry.settings.max_cache_age, reissued.next_update - registry.clock.t)


def test_past_lists_by_sequence(registry: Registry) -> None:
    registry.post("/v1/governance/issuers/suspend", "operator-sg", {"issuer_id": SG_PID})
    one = registry.http.get("/v1/trust-list/1")
    two = registry.http.get("/v1/trust-list/2")
    assert verify_trust_list(one.content, registry.pin).trust_list.sequence_number == 1
    assert verify_trust_list(two.content, registry.pin).trust_list.sequence_number == 2
    assert "immutable" in one.headers["cache-control"]
    missing = registry.http.get("/v1/trust-list/3")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert registry.http.get("/v1/trust-list/0").status_code == 400
    assert registry.http.get("/v1/trust-list/abc").status_code == 400


def test_country_views(shared: Registry) -> None:
    summary = shared.http.get("/v1/countries").json()
    assert len(summary["countries"]) == 11
    sg = shared.http.get("/v1/countries/SG").json()
    assert sg["names"]["zh"] == "新加坡"
    assert len(sg["anchors"][0]["sha256"]) == 64
    assert sg["anchors"][0]["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert {i["status"] for i in sg["issuers"]} == {"granted"}
    th = shared.http.get("/v1/countries/TH").json()
    assert th["names"]["th"] == "ประเทศไทย"


@pytest.mark.parametrize("code", ["XX", "sg", "SGP", "US"])
def test_unknown_country_is_404_problem(shared: Registry, code: str) -> None:
    assert shared.http.get("/v1/countries/SG").status_code == 200
    response = shared.http.get(f"/v1/countries/{code}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("form", ["raw", "encoded"])
def test_issuer_view(shared: Registry, form: str) -> None:
    path = SG_PID if form == "raw" else quote(SG_PID, safe="")
    body = shared.http.get(f"/v1/issuers/{path}").json()
    assert body["id"] == SG_PID
    assert body["country"] == "SG"
    assert body["status"] == "granted"
    missing = shared.http.get(f"/v1/issuers/{quote(SG_PID + '/x', safe='')}")
    assert missing.status_code == 404
    assert missing.json()["title"] == "Unknown issuer"


def test_health_docs_and_registry_certificate(shared: Registry) -> None:
    assert shared.http.get("/healthz").json() == {"status": "ok", "version": __version__, "sequence_number": 1}
    # Production mode (the default) serves no API documentation (lintas.devmode); the app still has it.
    assert shared.http.get("/docs").status_code == 404
    assert shared.http.get("/openapi.json").status_code == 404
    openapi = shared.server.app.openapi()
    assert "/v1/authorization" in openapi["paths"]
    assert "/v1/governance/issuers/suspend" in openapi["paths"]
    assert shared.http.get("/v1/registry-certificate").json()["sha256"] == shared.pin.certificate_sha256


def test_lote_is_the_same_list_in_the_etsi_binding(shared: Registry) -> None:
    """GET /v1/lote: the current list as an ETSI TS 119 602 LoTE, signed with the list key (issue #16 item 1)."""
    response = shared.http.get("/v1/lote")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jwt"
    assert verify_lote(response.content, shared.pin) == shared.trust_list()
    assert shared.http.get("/v1/lote", headers={"If-None-Match": response.headers["etag"]}).status_code == 304
