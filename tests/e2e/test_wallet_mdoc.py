"""The wallet's ``mdoc.js`` (on ``cborg`` and WebCrypto) against idcore, in Chromium.

* ``sessionTranscript`` encodes byte for byte what :func:`idcore.mdoc.openid4vp_session_transcript`
  builds (OpenID4VP 1.0 Appendix B.2.6.1), with and without the encryption key's thumbprint, and
  ``dcApiSessionTranscript`` what :func:`idcore.mdoc.dc_api_session_transcript` builds (B.2.6.2).
* ``checkIssuerSigned`` accepts an mDL idcore issued for the wallet's key and returns its elements
  by namespace (full-dates as text); twins: an element whose value no longer matches its digest
  (``digest_mismatch``), another doctype, another device key, an expired MSO and a broken issuer
  signature are each refused.
* ``deviceResponse`` is verified by :func:`idcore.mdoc.verify_device_response` (issuer data,
  digests, the deviceSignature over the same transcript) and carries only the disclosed items;
  twin: the same DeviceResponse checked against another transaction's transcript fails
  ``device_auth_invalid``.
* ``dcql.js`` matches an ``mso_mdoc`` query by ``meta.doctype_value`` and ``[namespace, element]``
  paths and carries ``intent_to_retain``; twins: another or no doctype, a longer path, a missing
  element, and format mismatches either way match nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from idcore.b64 import b64u_decode, b64u_encode
from idcore.errors import MdocError, Reason
from idcore.jwk import jwk_thumbprint, public_jwk, public_key_from_jwk
from idcore.keys import generate_private_key
from idcore.mdoc import (
    MdocVerifyOptions,
    dc_api_session_transcript,
    openid4vp_session_transcript,
    verify_device_response,
)
from idcore.mdoc.cbor import decode, encode, json_ready
from idcore.ports import FixedClock
from tests.e2e.helpers import alter_mdoc_element
from tests.e2e.stack import Stack
from tests.unit.mdoc_helpers import MDL, MDL_NS, MdocPki

CLIENT_ID = "x509_hash:rent-example"
NONCE = "n-0S6_WzA2Mj"
RESPONSE_URI = "http://127.0.0.1:9/wallet/response"


@pytest.fixture(scope="module")
def js(browser: Any, stack: Stack) -> Iterator[Any]:
    """A page on the wallet's origin with a fresh holder key in ``window.holder``."""
    ctx = browser.new_context()
    tab = ctx.new_page()
    tab.goto(f"{stack.wallet}/history")
    tab.evaluate("""async () => { window.holder = await (await import("/static/js/store.js")).createHolderKey(); }""")
    yield tab
    ctx.close()


def _holder_jwk(js: Any) -> dict[str, str]:
    jwk: dict[str, str] = js.evaluate("() => window.holder.publicJwk")
    return jwk


def _issued(js: Any, pki: MdocPki, now: datetime, **overrides: Any) -> str:
    """An mDL from idcore for the page's holder key, base64url as in a Credential Response."""
    arguments: dict[str, Any] = {
        "device_key": public_key_from_jwk(_holder_jwk(js)),
        "signed": now - timedelta(hours=1),
        "valid_from": now - timedelta(hours=1),
        "valid_until": now + timedelta(days=90),
    }
    return b64u_encode(encode(pki.issue(**(arguments | overrides))))


_CHECK = """async ({ raw, doctype }) => {
  const mdoc = await import("/static/js/mdoc.js");
  try {
    return { ok: await mdoc.checkIssuerSigned(raw, { doctype, holderJwk: window.holder.publicJwk }) };
  } catch (e) { return { code: e.code, message: e.message }; }
}"""

_TRANSCRIPT = """async ({ request, jwk }) => {
  const mdoc = await import("/static/js/mdoc.js");
  const { encode } = await import("/vendor/cborg/cborg.js");
  return Array.from(encode(await mdoc.sessionTranscript({ ...request, encryptionJwk: jwk })));
}"""

_PRESENT = """async ({ request, raw, doctype, paths, jwk }) => {
  const mdoc = await import("/static/js/mdoc.js");
  const transcript = await mdoc.sessionTranscript({ ...request, encryptionJwk: jwk });
  return mdoc.deviceResponse({ raw, doctype }, paths, window.holder.privateKey, transcript);
}"""
#: The request's values the transcript covers (the verifier's client_id, nonce and response_uri).
REQUEST = {"clientId": CLIENT_ID, "nonce": NONCE, "responseUri": RESPONSE_URI}


def _transcript(jwk: dict[str, Any] | None, nonce: str = NONCE) -> bytes:
    thumbprint = b64u_decode(jwk_thumbprint(jwk)) if jwk else None
    return openid4vp_session_transcript(
        client_id=CLIENT_ID, nonce=nonce, response_uri=RESPONSE_URI, jwk_thumbprint=thumbprint
    )


def test_session_transcript_matches_idcore(js: Any) -> None:
    enc_jwk = public_jwk(generate_private_key("ES256").public_key())
    for jwk in (enc_jwk, None):
        assert bytes(js.evaluate(_TRANSCRIPT, {"request": REQUEST, "jwk": jwk})) == _transcript(jwk)
    # the twin: the thumbprint is part of it, and so is the nonce
    assert bytes(js.evaluate(_TRANSCRIPT, {"request": REQUEST, "jwk": enc_jwk})) != _transcript(None)
    assert bytes(js.evaluate(_TRANSCRIPT, {"request": REQUEST, "jwk": None})) != _transcript(None, nonce="another")


_DC_API_TRANSCRIPT = """async ({ origin, nonce, jwk }) => {
  const mdoc = await import("/static/js/mdoc.js");
  const { encode } = await import("/vendor/cborg/cborg.js");
  try {
    return Array.from(encode(await mdoc.dcApiSessionTranscript({ origin, nonce, encryptionJwk: jwk })));
  } catch (e) { return e.code; }
}"""


def test_dc_api_session_transcript_matches_idcore(js: Any) -> None:
    enc_jwk = public_jwk(generate_private_key("ES256").public_key())
    origin = "https://sewa.example.my"
    for jwk in (enc_jwk, None):
        thumbprint = b64u_decode(jwk_thumbprint(jwk)) if jwk else None
        expected = dc_api_session_transcript(origin=origin, nonce=NONCE, jwk_thumbprint=thumbprint)
        assert bytes(js.evaluate(_DC_API_TRANSCRIPT, {"origin": origin, "nonce": NONCE, "jwk": jwk})) == expected
    # the twins: another origin gives another transcript; an "origin:" prefix is refused
    other = js.evaluate(_DC_API_TRANSCRIPT, {"origin": "https://sewa.example.com", "nonce": NONCE, "jwk": None})
    assert bytes(other) != dc_api_session_transcript(origin=origin, nonce=NONCE, jwk_thumbprint=None)
    assert js.evaluate(_DC_API_TRANSCRIPT, {"origin": f"origin:{origin}", "nonce": NONCE, "jwk": None}) == "bad_request"


def test_receive_checks_accept_a_good_mdl(js: Any) -> None:
    now = datetime.now(UTC)
    answer = js.evaluate(_CHECK, {"raw": _issued(js, MdocPki(at=now), now), "doctype": MDL})
    assert "ok" in answer, answer
    claims = answer["ok"]["claims"][MDL_NS]
    assert claims["given_name"] == "Somchai"
    assert claims["age_over_18"] is True
    assert claims["birth_date"] == "1990-04-02"  # tag 1004 full-date as text
    assert claims["driving_privileges"] == [{"vehicle_category_code": "B", "issue_date": "2015-01-05"}]
    assert answer["ok"]["doctype"] == MDL
    assert len(answer["ok"]["x5c"]) == 1


def _broken_signature(raw: str) -> str:
    signed = decode(b64u_decode(raw), "IssuerSigned", max_bytes=1 << 20)
    auth = signed["issuerAuth"]
    auth[3] = bytes([auth[3][0] ^ 1]) + auth[3][1:]
    return b64u_encode(encode(signed))


def test_receive_checks_refuse_each_twin(js: Any) -> None:
    now = datetime.now(UTC)
    pki = MdocPki(at=now)
    good = _issued(js, pki, now)
    altered = js.evaluate(_CHECK, {"raw": alter_mdoc_element(good, MDL_NS, "age_over_18", False), "doctype": MDL})
    assert altered["code"] == "digest_mismatch"
    assert "age_over_18 does not match its digest" in altered["message"]
    assert js.evaluate(_CHECK, {"raw": good, "doctype": "org.asean.lintas.pid.1"})["code"] == "bad_credential"
    other_device = _issued(js, pki, now, device_key=generate_private_key("ES256").public_key())
    assert "not bound to this wallet's key" in js.evaluate(_CHECK, {"raw": other_device, "doctype": MDL})["message"]
    old = _issued(
        js,
        pki,
        now,
        valid_until=now - timedelta(days=1),
        signed=now - timedelta(days=9),
        valid_from=now - timedelta(days=9),
    )
    assert "expired" in js.evaluate(_CHECK, {"raw": old, "doctype": MDL})["message"]
    forged = js.evaluate(_CHECK, {"raw": _broken_signature(good), "doctype": MDL})
    assert "does not verify" in forged["message"]


def test_device_response_verifies_in_idcore(js: Any) -> None:
    now = datetime.now(UTC)
    pki = MdocPki(at=now)
    raw = _issued(js, pki, now)
    enc_jwk = public_jwk(generate_private_key("ES256").public_key())
    paths = [[MDL_NS, "age_over_18"], [MDL_NS, "driving_privileges"]]
    response = js.evaluate(_PRESENT, {"request": REQUEST, "raw": raw, "doctype": MDL, "paths": paths, "jwk": enc_jwk})
    options = MdocVerifyOptions(
        trust_anchors=pki.anchors, clock=FixedClock(int(now.timestamp())), session_transcript=_transcript(enc_jwk)
    )
    verified = verify_device_response(b64u_decode(response), options)
    (document,) = verified.documents
    assert document.device_authenticated
    assert json_ready(document.claims) == {
        MDL_NS: {
            "age_over_18": True,
            "driving_privileges": [{"vehicle_category_code": "B", "issue_date": "2015-01-05"}],
        }
    }
    # the twin: another transaction's transcript (the nonce differs)
    other = MdocVerifyOptions(
        trust_anchors=pki.anchors, clock=options.clock, session_transcript=_transcript(enc_jwk, nonce="replayed")
    )
    with pytest.raises(MdocError) as refused:
        verify_device_response(b64u_decode(response), other)
    assert refused.value.reason == Reason.DEVICE_AUTH_INVALID


_MATCH = """async ({ query, credential }) => {
  const dcql = await import("/static/js/dcql.js");
  return dcql.matchCredential(query, credential);
}"""


def test_dcql_matches_mdocs_by_doctype_and_element_paths(js: Any) -> None:
    stored = {"format": "mso_mdoc", "doctype": MDL, "claims": {MDL_NS: {"age_over_18": True, "given_name": "Somchai"}}}
    query = {
        "id": "mdl",
        "format": "mso_mdoc",
        "meta": {"doctype_value": MDL},
        "claims": [{"path": [MDL_NS, "age_over_18"], "intent_to_retain": True}, {"path": [MDL_NS, "given_name"]}],
    }
    match = js.evaluate(_MATCH, {"query": query, "credential": stored})
    assert [(c["path"], c["retain"]) for c in match["required"]] == [
        ([MDL_NS, "age_over_18"], True),
        ([MDL_NS, "given_name"], False),
    ]
    # the twins: another doctype, no doctype_value, a path that is not [namespace, element], a
    # missing element, an SD-JWT query, and an SD-JWT credential for the mdoc query
    twins = [
        query | {"meta": {"doctype_value": "org.asean.lintas.pid.1"}},
        query | {"meta": {}},
        query | {"claims": [{"path": [MDL_NS, "driving_privileges", 0]}]},
        query | {"claims": [{"path": [MDL_NS, "portrait"]}]},
        query | {"format": "dc+sd-jwt"},
    ]
    for twin in twins:
        assert js.evaluate(_MATCH, {"query": twin, "credential": stored}) is None, twin
    sd_jwt = stored | {"format": "dc+sd-jwt"}
    assert js.evaluate(_MATCH, {"query": query, "credential": sd_jwt}) is None
