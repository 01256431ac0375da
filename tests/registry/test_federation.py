"""The registry as OpenID Federation trust anchor (issue #16 item 2): a verifier that knows only the
anchor (entity id and key) resolves the TH PID issuer's chain (leaf -> TH intermediate -> ASEAN) and
trusts its document-signer key; a suspended issuer's statement is removed and the chain fails with a
reason code. Twins: a leaf naming another member state as superior, a forged intermediate statement."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.b64 import b64u_encode, json_dumps
from idcore.credentials.model import CredentialError, VerificationContext
from idcore.credentials.sd_jwt_vc import SdJwtVcVerifier
from idcore.errors import Reason
from idcore.jose import KeySigner, sign_compact
from idcore.keystore.file import FileKeyStore
from idcore.sdjwt.disclosure import digest
from idcore.trust import SERVICE_PID_ISSUANCE, VCT_BUSINESS_REGISTRATION, VCT_PID
from idcore.trust.federation import (
    WELL_KNOWN_PATH,
    FederationTrust,
    TrustAnchor,
    parse_statement,
    sign_entity_statement,
)
from idcore.trust.federation_marks import RECOGNISED_PID_ISSUER
from idcore.trust.framework import FORMAT_SD_JWT_VC, IssuerEvidence
from idcore.x509 import certificate_from_pem
from trust_registry.federation import keyed_jwk
from trust_registry.pki import issuer_material_dir

from .helpers import Registry

TH_PID = "https://issuers.lintas.asean.example/th"
TH_FETCH = "/federation/TH/fetch"


class Network:
    """Routes the federation's URLs: the registry's public URL to the live server, issuers to their ECs."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.public = registry.settings.public_url.rstrip("/")
        self.configurations: dict[str, str] = {}
        #: Answers that replace the registry's for one exact URL (forgeries).
        self.overrides: dict[str, str] = {}
        self.fetched: list[str] = []

    def member(self, code: str) -> str:
        return f"{self.public}/federation/{code}"

    def __call__(self, url: str) -> bytes | None:
        self.fetched.append(url)
        if url in self.overrides:
            return self.overrides[url].encode()
        if url.startswith(self.public + "/"):
            response = self.registry.http.get(url.removeprefix(self.public))
            if response.status_code == 404:
                return None
            response.raise_for_status()
            return response.content
        token = self.configurations.get(url)
        return token.encode() if token is not None else None


def issuer_key(registry: Registry, issuer_id: str) -> tuple[KeySigner, str]:
    """The issuer's demo key (generated into the data directory at start) and its certificate, base64 DER."""
    directory = issuer_material_dir(registry.settings.data_dir, issuer_id)
    assert directory is not None
    signer = FileKeyStore(directory).signer("document-signer")
    cert = certificate_from_pem((directory / "certificate.pem").read_bytes())
    assert isinstance(signer, KeySigner)
    return signer, base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii")


def leaf_configuration(
    registry: Registry, signer: KeySigner, credential_jwk: dict[str, Any], now: int, superior: str = "TH"
) -> str:
    jwk = keyed_jwk(dict(signer.public_jwk))
    claims = {
        "iss": TH_PID,
        "sub": TH_PID,
        "iat": now,
        "exp": now + 3600,
        "jwks": {"keys": [jwk]},
        "authority_hints": [registry.settings.public_url.rstrip("/") + "/federation/" + superior],
        "metadata": {
            "openid_credential_issuer": {
                "credential_issuer": TH_PID,
                "jwks": {"keys": [credential_jwk]},
                "lintas_vcts": [VCT_PID, VCT_BUSINESS_REGISTRATION],  # claims more than the list authorises
            }
        },
    }
    return sign_entity_statement(claims, signer, jwk["kid"])


def setup(registry: Registry) -> tuple[FederationTrust, Network, IssuerEvidence]:
    now = registry.clock.now()
    network = Network(registry)
    signer, cert = issuer_key(registry, TH_PID)
    leaf_jwk = keyed_jwk(dict(signer.public_jwk))
    network.configurations[TH_PID + WELL_KNOWN_PATH] = leaf_configuration(registry, signer, leaf_jwk, now)
    # The anchor's key, configured out of band (here: read from the registry's data directory).
    anchor_key = FileKeyStore(Path(registry.settings.data_dir) / "registry" / "keys").signer("list-signing")
    anchor_jwk = keyed_jwk(dict(anchor_key.public_jwk))
    anchor = TrustAnchor(network.public, (anchor_jwk,))
    evidence = IssuerEvidence(FORMAT_SD_JWT_VC, TH_PID, VCT_PID, now - 60, now, x5c=(cert,), country="TH")
    return FederationTrust(anchor, network), network, evidence


def test_anchor_resolves_a_th_issuer_and_trusts_its_key(registry: Registry) -> None:
    trust, _, evidence = setup(registry)
    judgement = trust.judge(evidence)
    assert judgement.trusted, judgement.why
    assert judgement.issuer is not None
    assert (judgement.issuer.country, judgement.issuer.assurance_level) == ("TH", "high")
    chain = trust.chain(TH_PID, evidence.at)
    # The anchor narrowed what the issuer claims to what the list authorises.
    assert chain.metadata["openid_credential_issuer"]["lintas_vcts"] == [VCT_PID]
    # leaf -> TH intermediate -> ASEAN: the TH statement is signed by TH's key, bound by the anchor.
    th = registry.settings.public_url.rstrip("/") + "/federation/TH"
    assert [(s.iss, s.sub) for s in chain.statements] == [
        (TH_PID, TH_PID),
        (th, TH_PID),
        (chain.anchor, th),
        (chain.anchor, chain.anchor),
    ]
    business = IssuerEvidence(FORMAT_SD_JWT_VC, TH_PID, VCT_BUSINESS_REGISTRATION, evidence.issued_at, evidence.at)
    assert trust.judge(business).reason is Reason.NOT_AUTHORISED
    assert trust.judge(IssuerEvidence(FORMAT_SD_JWT_VC, TH_PID, VCT_PID, 0, evidence.at, country="VN")).reason is (
        Reason.NOT_AUTHORISED
    )


def test_suspended_issuer_loses_its_statement_and_its_chain(registry: Registry) -> None:
    trust, _, evidence = setup(registry)
    assert trust.judge(evidence).trusted
    registry.clock.advance(5)
    suspended = registry.post("/v1/governance/issuers/suspend", "operator-th", {"issuer_id": TH_PID})
    assert suspended.status_code == 200
    fetched = registry.http.get(TH_FETCH, params={"sub": TH_PID})
    assert fetched.status_code == 404
    assert fetched.json()["error"] == "not_found"
    fresh, _, _ = setup(registry)
    evidence = IssuerEvidence(FORMAT_SD_JWT_VC, TH_PID, VCT_PID, evidence.issued_at, registry.clock.now(), evidence.x5c)
    refused = fresh.judge(evidence)
    assert refused.reason is Reason.UNTRUSTED_ISSUER
    assert "no statement" in refused.why
    # A verifier that cached the chain keeps it at most until the statement's exp, then refuses too.
    registry.clock.advance(601)
    later = IssuerEvidence(FORMAT_SD_JWT_VC, TH_PID, VCT_PID, evidence.issued_at, registry.clock.now(), evidence.x5c)
    assert trust.judge(later).reason is Reason.UNTRUSTED_ISSUER


def test_impostor_leaf_and_other_keys_are_refused(registry: Registry) -> None:
    trust, network, evidence = setup(registry)
    impostor = KeySigner(ec.generate_private_key(ec.SECP256R1()))
    impostor_jwk = keyed_jwk(dict(impostor.public_jwk))
    network.configurations[TH_PID + WELL_KNOWN_PATH] = leaf_configuration(
        registry, impostor, impostor_jwk, registry.clock.now()
    )
    judgement = trust.judge(evidence)
    assert judgement.reason is Reason.FEDERATION_CHAIN_INVALID, judgement.why
    # An anchor configured with another key trusts nothing the registry signs.
    _, network2, _ = setup(registry)
    other = TrustAnchor(network2.public, (impostor_jwk,))
    assert FederationTrust(other, network2).judge(evidence).reason is Reason.FEDERATION_CHAIN_INVALID


def test_leaf_naming_another_member_state_is_refused(registry: Registry) -> None:
    """Twin of the resolution: the TH issuer's configuration names MY's intermediate as superior; MY
    issues no statement about a TH issuer, so there is no chain (and no other path is tried)."""
    trust, network, evidence = setup(registry)
    signer, _ = issuer_key(registry, TH_PID)
    leaf_jwk = keyed_jwk(dict(signer.public_jwk))
    network.configurations[TH_PID + WELL_KNOWN_PATH] = leaf_configuration(
        registry, signer, leaf_jwk, registry.clock.now(), superior="MY"
    )
    judgement = trust.judge(evidence)
    assert judgement.reason is Reason.UNTRUSTED_ISSUER, judgement.why
    assert "no statement" in judgement.why
    assert not any("/federation/TH" in url for url in network.fetched)


def test_forged_intermediate_statement_is_refused(registry: Registry) -> None:
    """Twin: the TH intermediate's statement about the issuer replaced by one with the same claims and
    ``kid``, signed by another key (an attacker on the path, or a leaked demo key of another state)."""
    trust, network, evidence = setup(registry)
    genuine = parse_statement(registry.http.get(TH_FETCH, params={"sub": TH_PID}).content)
    forger = KeySigner(ec.generate_private_key(ec.SECP256R1()))
    forged = sign_entity_statement(dict(genuine.claims), forger, str(genuine.jws.header["kid"]))
    network.overrides[f"{network.member('TH')}/fetch?sub={quote(TH_PID, safe='')}"] = forged
    judgement = trust.judge(evidence)
    assert judgement.reason is Reason.FEDERATION_CHAIN_INVALID, judgement.why
    assert "statement by" in judgement.why
    # The same forgery signed with the anchor's key is refused too: the anchor bound TH's key, not its own.
    anchor_key = FileKeyStore(Path(registry.settings.data_dir) / "registry" / "keys").signer("list-signing")
    by_anchor = sign_entity_statement(dict(genuine.claims), anchor_key, keyed_jwk(dict(anchor_key.public_jwk))["kid"])
    network.overrides[f"{network.member('TH')}/fetch?sub={quote(TH_PID, safe='')}"] = by_anchor
    assert FederationTrust(trust.anchor, network).judge(evidence).reason is Reason.FEDERATION_CHAIN_INVALID
    network.overrides.clear()
    assert FederationTrust(trust.anchor, network).judge(evidence).trusted  # the genuine chain still resolves


def test_federation_endpoints(shared: Registry) -> None:
    configuration = shared.http.get("/.well-known/openid-federation")
    assert configuration.status_code == 200
    assert configuration.headers["content-type"] == "application/entity-statement+jwt"
    statement = parse_statement(configuration.content)
    anchor = shared.settings.public_url.rstrip("/")
    assert statement.iss == statement.sub == anchor
    assert statement.fetch_endpoint() == statement.iss + "/federation/fetch"
    listed = shared.http.get("/federation/list").json()
    codes = ["BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN"]
    assert sorted(listed) == sorted(f"{anchor}/federation/{code}" for code in codes)
    assert shared.http.get("/federation/fetch").status_code == 400
    assert shared.http.get("/federation/fetch", params={"sub": "x" * 2049}).status_code == 400
    for sub in ("https://unknown.example", TH_PID, anchor + "/federation/XX", anchor + "/federation/th"):
        unknown = shared.http.get("/federation/fetch", params={"sub": sub})
        assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found"), sub  # issuers only below a state
    about = parse_statement(shared.http.get("/federation/fetch", params={"sub": anchor + "/federation/TH"}).content)
    assert (about.iss, about.sub) == (anchor, anchor + "/federation/TH")
    assert about.exp - about.iat == 600
    assert about.claims["metadata_policy"]["openid_credential_issuer"]["lintas_country"] == {"value": "TH"}

    member = parse_statement(shared.http.get("/federation/TH/.well-known/openid-federation").content)
    assert member.iss == member.sub == anchor + "/federation/TH"
    assert member.authority_hints == (anchor,)
    assert member.fetch_endpoint() == member.iss + "/fetch"
    # Its own key, the one the anchor's statement binds; not the anchor's.
    assert [k["kid"] for k in member.jwks] == [k["kid"] for k in about.jwks] != [k["kid"] for k in statement.jwks]
    assert TH_PID in shared.http.get("/federation/TH/list").json()
    assert TH_PID not in shared.http.get("/federation/MY/list").json()
    leaf = parse_statement(shared.http.get(TH_FETCH, params={"sub": TH_PID}).content)
    assert (leaf.iss, leaf.sub, leaf.exp - leaf.iat) == (member.iss, TH_PID, 600)
    assert shared.http.get("/federation/MY/fetch", params={"sub": TH_PID}).status_code == 404  # not MY's issuer
    assert shared.http.get(TH_FETCH).status_code == 400
    for code in ("XX", "th", "THA", "x"):
        for path in (f"/federation/{code}/.well-known/openid-federation", f"/federation/{code}/list"):
            missing = shared.http.get(path)
            assert (missing.status_code, missing.json()["error"]) == (404, "not_found"), path


def test_recognised_pid_issuer_trust_mark(registry: Registry) -> None:
    """The anchor issues a "recognised PID issuer" mark; a verifier that requires it trusts the TH PID
    issuer carrying it, and refuses the same issuer without it."""
    mark_url = "/federation/trust-mark"
    fetched = registry.http.get(mark_url, params={"trust_mark_type": RECOGNISED_PID_ISSUER, "sub": TH_PID})
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "application/trust-mark+jwt"
    not_pid = {"trust_mark_type": RECOGNISED_PID_ISSUER, "sub": TH_PID + "/business"}
    assert registry.http.get(mark_url, params=not_pid).status_code == 404
    assert registry.http.get(mark_url, params={"sub": TH_PID}).status_code == 400

    trust, network, evidence = setup(registry)
    required = FederationTrust(trust.anchor, network, required_marks=frozenset({RECOGNISED_PID_ISSUER}))
    assert required.judge(evidence).reason is Reason.TRUST_MARK_MISSING  # the twin: no mark carried
    signer, _ = issuer_key(registry, TH_PID)
    configuration = parse_statement(network.configurations[TH_PID + WELL_KNOWN_PATH]).claims
    marks = [{"trust_mark_type": RECOGNISED_PID_ISSUER, "trust_mark": fetched.text}]
    network.configurations[TH_PID + WELL_KNOWN_PATH] = sign_entity_statement(
        {**configuration, "trust_marks": marks}, signer, keyed_jwk(dict(signer.public_jwk))["kid"]
    )
    carrying = FederationTrust(trust.anchor, network, required_marks=frozenset({RECOGNISED_PID_ISSUER}))
    assert carrying.judge(evidence).trusted
    registry.clock.advance(5)
    assert registry.post("/v1/governance/issuers/suspend", "operator-th", {"issuer_id": TH_PID}).status_code == 200
    assert (
        registry.http.get(mark_url, params={"trust_mark_type": RECOGNISED_PID_ISSUER, "sub": TH_PID}).status_code == 404
    )


def test_registered_federation_keys_let_a_new_issuer_join(registry: Registry) -> None:
    """An issuer created through governance has no key the registry generated: the anchor vouches for it
    once its operator registers its federation key, with that key only."""
    new_id = "https://pid2.th.example"
    created = registry.post(
        "/v1/governance/countries/TH/issuers",
        "operator-th",
        {
            "id": new_id,
            "names": {"en": "Second TH issuer", "th": "ผู้ออกบัตรรายที่สอง"},
            "service_types": [SERVICE_PID_ISSUANCE],
            "vcts": [VCT_PID],
            "assurance_level": "substantial",
        },
    )
    assert created.status_code == 201, created.text
    assert registry.http.get(TH_FETCH, params={"sub": new_id}).status_code == 404  # no key yet

    entity_key = KeySigner(ec.generate_private_key(ec.SECP256R1()))
    public = keyed_jwk(dict(entity_key.public_jwk))
    path = "/v1/governance/issuers/federation-keys"
    private = {**public, "d": "AAAA"}
    before = registry.state()
    assert registry.post(path, "operator-th", {"issuer_id": new_id, "keys": [private]}).status_code == 400
    assert registry.post(path, "operator-th", {"issuer_id": new_id, "keys": [public] * 3}).status_code == 400
    assert registry.post(path, "operator-my", {"issuer_id": new_id, "keys": [public]}).status_code == 403
    assert registry.state() == before
    registered = registry.post(path, "operator-th", {"issuer_id": new_id, "keys": [public]})
    assert registered.status_code == 200, registered.text

    statement = parse_statement(registry.http.get(TH_FETCH, params={"sub": new_id}).content)
    assert [k["kid"] for k in statement.jwks] == [public["kid"]]
    now = registry.clock.now()
    network = Network(registry)
    leaf = {
        "iss": new_id,
        "sub": new_id,
        "iat": now,
        "exp": now + 3600,
        "jwks": {"keys": [public]},
        "authority_hints": [network.member("TH")],
        "metadata": {"openid_credential_issuer": {"jwks": {"keys": [public]}, "lintas_vcts": [VCT_PID]}},
    }
    network.configurations[new_id + WELL_KNOWN_PATH] = sign_entity_statement(leaf, entity_key, public["kid"])
    trust, _, _ = setup(registry)
    federation = FederationTrust(trust.anchor, network)
    judgement = federation.judge(IssuerEvidence(FORMAT_SD_JWT_VC, new_id, VCT_PID, now, now, key_id=public["kid"]))
    assert judgement.trusted, judgement.why
    assert judgement.issuer is not None
    assert judgement.issuer.assurance_level == "substantial"


def pid_credential(registry: Registry, *, given_name: str = "Somchai", issuer_id: str = TH_PID) -> str:
    """A PID SD-JWT VC signed with a seeded issuer's document-signer key (TH by default), its certificate in x5c."""
    signer, cert = issuer_key(registry, issuer_id)
    now = registry.clock.now()
    given = b64u_encode(json_dumps([secrets.token_urlsafe(16), "given_name", given_name]))
    payload = {
        "iss": issuer_id,
        "vct": VCT_PID,
        "iat": now - 60,
        "exp": now + 3600,
        "_sd_alg": "sha-256",
        "_sd": [digest(given)],
    }
    return sign_compact({"typ": "dc+sd-jwt", "x5c": [cert]}, payload, signer) + "~" + given + "~"


def test_a_verifier_knowing_only_the_anchor_verifies_a_th_pid(registry: Registry) -> None:
    """Issue #16 acceptance: the credential verifier, given only the federation as trust framework,
    verifies a real TH PID; after the TH issuer's suspension the same credential fails with a reason."""
    trust, _, _ = setup(registry)
    credential = pid_credential(registry)
    context = VerificationContext(trust=trust, now=registry.clock.now(), require_holder_binding=False)
    verified = SdJwtVcVerifier().verify(credential, context)
    assert verified.claims["given_name"] == "Somchai"
    assert (verified.country, verified.trust.framework) == ("TH", "openid-federation")
    # The tampered twin: a claim changed after signing.
    forged = credential.replace(credential.split("~")[1], b64u_encode(json_dumps(["x", "given_name", "Mallory"])))
    with pytest.raises(CredentialError) as tampered:
        SdJwtVcVerifier().verify(forged, context)
    assert tampered.value.reason is Reason.UNREFERENCED_DISCLOSURE
    registry.clock.advance(5)
    assert registry.post("/v1/governance/issuers/suspend", "operator-th", {"issuer_id": TH_PID}).status_code == 200
    fresh, _, _ = setup(registry)
    later = VerificationContext(trust=fresh, now=registry.clock.now(), require_holder_binding=False)
    with pytest.raises(CredentialError) as refused:
        SdJwtVcVerifier().verify(credential, later)
    assert refused.value.reason is Reason.UNTRUSTED_ISSUER
