"""The wallet's JS modules (on `jose` and pkijs) against spec vectors and against idcore, in Chromium.

* ``sdjwt.js`` decodes the RFC 9901 / SD-JWT VC vectors to their expected processed payloads;
  a tampered disclosure or signature changes the outcome.
* ``dcql.js`` reproduces the OpenID4VP 1.0 DCQL matching vectors.
* ``jwe.js`` output decrypts with :func:`idcore.oid4vp.jwe.decrypt_compact` (both ``enc`` values);
  a flipped ciphertext byte does not.
* ``x509.js`` (pkijs) reads the verifier's real access certificate as ``cryptography`` does
  and accept it only under its own CA.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.jwk import public_jwk
from idcore.keys import generate_private_key
from idcore.oid4vp.jwe import JweError, decrypt_compact
from tests.e2e.stack import Stack

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SD_JWT = sorted(
    p
    for d in ("sd_jwt_rfc9901", "sd_jwt_vc")
    for p in (VECTORS / d).glob("*.json")
    if isinstance(json.loads(p.read_text())["sd_jwt_presentation"], str)
)
DCQL = sorted((VECTORS / "dcql").glob("dcql_*.json"))


@pytest.fixture(scope="module")
def js(browser: Any, stack: Stack) -> Iterator[Any]:
    """A page on the wallet's origin, where the modules can be imported."""
    ctx = browser.new_context()
    tab = ctx.new_page()
    tab.goto(f"{stack.wallet}/history")
    yield tab
    ctx.close()


_DECODE = """async ({ token, jwk }) => {
  const sd = await import("/static/js/sdjwt.js");
  const jose = await import("/static/js/jose.js");
  let decoded;
  try { decoded = await sd.decodeSdJwt(token); } catch (e) { return { error: e.code }; }
  let signature = "valid";
  try { await jose.verifyJws(decoded.jwt, await jose.importVerifyJwk(jwk)); } catch (e) { signature = e.code; }
  return { claims: decoded.claims, signature };
}"""


def _tamper_disclosure(token: str) -> str:
    parts = token.split("~")
    first = parts[1]
    parts[1] = first[:-2] + ("A" if first[-2] != "A" else "B") + first[-1]
    return "~".join(parts)


@pytest.mark.parametrize("path", SD_JWT, ids=lambda p: p.stem)
def test_sdjwt_vectors_decode(js: Any, path: Path) -> None:
    vector = json.loads(path.read_text())
    got = js.evaluate(_DECODE, {"token": vector["sd_jwt_presentation"], "jwk": vector["issuer_public_jwk"]})
    assert got == {"claims": vector["expected_verified_payload"], "signature": "valid"}


@pytest.mark.parametrize("path", SD_JWT[:4], ids=lambda p: p.stem)
def test_sdjwt_vectors_tampered(js: Any, path: Path) -> None:
    vector = json.loads(path.read_text())
    token = vector["sd_jwt_presentation"]
    if token.count("~") < 2:
        pytest.skip("no disclosure to tamper with")
    got = js.evaluate(_DECODE, {"token": _tamper_disclosure(token), "jwk": vector["issuer_public_jwk"]})
    # The altered disclosure is refused outright or matches no digest: never the original claims.
    assert got.get("error") == "bad_credential" or got["claims"] != vector["expected_verified_payload"]
    jwt, rest = token.split(".", 2)[:2], token.split(".", 2)[2]
    flipped = ".".join(jwt) + "." + ("A" if rest[0] != "A" else "B") + rest[1:]
    assert js.evaluate(_DECODE, {"token": flipped, "jwk": vector["issuer_public_jwk"]})["signature"] == "bad_signature"


_DCQL = """async ({ vector }) => {
  const dcql = await import("/static/js/dcql.js");
  const creds = vector.credentials.map((c) => ({
    format: c.format, claims: { ...(c.claims || {}), vct: c.vct ?? c.claims?.vct },
  }));
  const out = {};
  for (const cq of vector.query.credentials) {
    const indices = [];
    let first = null;
    creds.forEach((c, i) => { const m = dcql.matchCredential(cq, c); if (m) { indices.push(i); first = first || m; } });
    out[cq.id] = { matching_credential_indices: indices };
    if (first && (cq.claims || []).length) {
      const byId = new Map(cq.claims.map((c, i) => [c.id ?? `#${i}`, c.path]));
      if (cq.claim_sets) out[cq.id].selected_claim_set = first.options[0];
      out[cq.id].selected_claim_paths = first.options[0].map((id) => byId.get(id));
    }
  }
  let satisfiable;
  try { satisfiable = dcql.planPresentation(vector.query, creds).satisfiable; } catch (e) { satisfiable = e.code; }
  return { can_be_satisfied: satisfiable, credential_queries: out };
}"""


@pytest.mark.parametrize("path", DCQL, ids=lambda p: p.stem)
def test_dcql_vectors(js: Any, path: Path) -> None:
    vector = json.loads(path.read_text())
    got = js.evaluate(_DCQL, {"vector": vector})
    expected = vector["expected_match"]
    assert got["can_be_satisfied"] == expected["can_be_satisfied"]
    for query_id, want in expected["credential_queries"].items():
        # Some vectors state only the matching credentials; compare what each one states.
        assert {k: got["credential_queries"][query_id].get(k) for k in want} == want, query_id


_ENCRYPT = """async ({ jwk, enc }) => {
  const jwe = await import("/static/js/jwe.js");
  return jwe.encryptJwe({ vp_token: { pid: ["x~y~"] }, state: "s-1" }, jwk, enc);
}"""


@pytest.mark.parametrize("enc", ["A128GCM", "A256GCM"])
def test_jwe_decrypts_with_idcore(js: Any, enc: str) -> None:
    key = generate_private_key("ES256")
    jwk = {**public_jwk(key.public_key()), "kid": "k1"}  # type: ignore[union-attr]
    token = js.evaluate(_ENCRYPT, {"jwk": jwk, "enc": enc})
    header, plaintext = decrypt_compact(token, key, expected_kid="k1")  # type: ignore[arg-type]
    assert header["enc"] == enc
    assert json.loads(plaintext) == {"vp_token": {"pid": ["x~y~"]}, "state": "s-1"}
    parts = token.split(".")
    parts[3] = ("A" if parts[3][0] != "A" else "B") + parts[3][1:]
    with pytest.raises(JweError):
        decrypt_compact(".".join(parts), key)  # type: ignore[arg-type]


_CERT = """async ({ leaf, anchors, clientId }) => {
  const x = await import("/static/js/x509.js");
  const util = await import("/static/js/util.js");
  const c = x.parseCertificate(util.b64Decode(leaf));
  let chain = "valid";
  try { await x.validateChain([leaf], anchors, Date.now() / 1000); } catch (e) { chain = e.code; }
  let binding = "valid";
  try { await x.checkClientId(clientId, c, "http://localhost/wallet/response"); } catch (e) { binding = e.code; }
  return { cn: c.subject.commonName, o: c.subject.organization, country: c.subject.country, dns: c.dnsNames,
           uris: c.uris, ca: c.isCA, notAfter: c.notAfter, chain, binding };
}"""


def test_x509_reader_agrees_with_cryptography(js: Any, stack: Stack) -> None:
    leaf = x509.load_pem_x509_certificate((stack.data / "verifier" / "access-cert.pem").read_bytes())
    rp_ca = x509.load_pem_x509_certificate((stack.data / "verifier" / "rp-ca.pem").read_bytes())
    other_ca = x509.load_pem_x509_certificate((stack.data / "registry" / "registry-ca.pem").read_bytes())

    def b64(cert: x509.Certificate) -> str:
        return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()

    digest = base64.urlsafe_b64encode(leaf.fingerprint(hashes.SHA256())).rstrip(b"=").decode()
    got = js.evaluate(_CERT, {"leaf": b64(leaf), "anchors": [b64(rp_ca)], "clientId": f"x509_hash:{digest}"})
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    name = leaf.subject.get_attributes_for_oid
    assert got == {
        "cn": name(x509.NameOID.COMMON_NAME)[0].value,
        "o": name(x509.NameOID.ORGANIZATION_NAME)[0].value,
        "country": name(x509.NameOID.COUNTRY_NAME)[0].value,
        "dns": san.get_values_for_type(x509.DNSName),
        "uris": san.get_values_for_type(x509.UniformResourceIdentifier),
        "ca": False,
        "notAfter": int(leaf.not_valid_after_utc.timestamp()),
        "chain": "valid",
        "binding": "valid",
    }
    refused = js.evaluate(_CERT, {"leaf": b64(leaf), "anchors": [b64(other_ca)], "clientId": "x509_hash:AAAA"})
    assert (refused["chain"], refused["binding"]) == ("bad_certificate", "bad_client_id")
