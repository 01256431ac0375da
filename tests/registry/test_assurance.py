"""Assurance declarations through the registry (issue #16 item 5): seeded for every issuer, published
signed in the recognition list, set by the issuer's own country, kept consistent with the list."""

from __future__ import annotations

from idcore.trust.recognition import RecognitionList, verify_recognition_list

from .helpers import Registry

TH_PID = "https://issuers.lintas.asean.example/th"
VN_PID = "https://issuers.lintas.asean.example/vn"
PATH = "/v1/governance/issuers/assurance"


def recognitions(registry: Registry) -> RecognitionList:
    return verify_recognition_list(registry.http.get("/v1/recognitions").content, registry.pin)


def test_every_seeded_issuer_declares_and_the_list_agrees(shared: Registry) -> None:
    published = recognitions(shared)
    trust_list = shared.trust_list()
    issuers = [i for c in trust_list.countries for i in c.issuers]
    assert len(published.assurance) == len(issuers) == 16
    for issuer in issuers:
        declared = published.declaration(issuer.issuer_id)
        assert declared is not None
        assert declared.common == issuer.assurance_level
        assert declared.framework.country == issuer.country
    th = published.declaration(TH_PID)
    assert th is not None
    assert (th.framework_id, th.national_level) == ("th-etda-ial", "IAL3")
    frameworks = shared.http.get("/v1/assurance-frameworks").json()
    assert {f["country"] for f in frameworks["frameworks"]} >= {"TH", "VN", "MY"}
    assert "2015/1502" in frameworks["common_scale"]


def test_a_declaration_moves_the_common_level_with_it(registry: Registry) -> None:
    response = registry.post(
        PATH, "operator-th", {"issuer_id": TH_PID, "framework": "th-etda-ial", "national_level": "IAL2.3"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["declaration"]["common_level"] == "substantial"
    issuer = registry.trust_list().issuer(TH_PID)
    assert issuer is not None
    assert issuer.assurance_level == "substantial"
    declared = recognitions(registry).declaration(TH_PID)
    assert declared is not None
    assert declared.national_level == "IAL2.3"
    # A later PATCH of the common level alone contradicts the declaration: it is no longer published.
    patched = registry.http.patch(
        "/v1/governance/issuers",
        json={"issuer_id": TH_PID, "assurance_level": "low"},
        headers=registry.auth("operator-th"),
    )
    assert patched.status_code == 200, patched.text
    assert recognitions(registry).declaration(TH_PID) is None


def test_declarations_are_refused_for_another_country_or_framework(shared: Registry) -> None:
    before = shared.state()
    good = {"issuer_id": TH_PID, "framework": "th-etda-ial", "national_level": "IAL2.3"}
    assert shared.post(PATH, "operator-vn", good).status_code == 403
    assert shared.http.post(PATH, json=good).status_code == 401
    cases = [
        ({**good, "framework": "vn-decree-59-2022", "national_level": "level-2"}, 400),  # VN's framework for TH
        ({**good, "national_level": "IAL4"}, 400),
        ({**good, "issuer_id": "https://issuers.lintas.asean.example/th9"}, 404),
        ({**good, "extra": 1}, 400),
    ]
    for body, status in cases:
        response = shared.post(PATH, "operator-th", body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert shared.state() == before
