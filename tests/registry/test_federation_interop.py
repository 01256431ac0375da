"""Our federation chain checked by an independent OpenID Federation implementation (issue #16 item 2).

pygrindvakt (Python bindings of grindvakt, a Rust OAuth/OIDC/OpenID Federation library; a dev
dependency only) verifies, link by link, the chain our registry serves for the TH PID issuer
(leaf -> TH intermediate -> ASEAN anchor, Section 10.2): each statement's ``typ``, signature and
``exp`` with the superior's keys, the anchor's with the pinned keys; and it applies the
statements' metadata policies (Section 6.1) to the leaf's metadata, which must give what our
:func:`idcore.trust.federation.validate_chain` resolved. Its resolver (``resolve_via_trust_anchors``)
needs a resolve endpoint, which the registry does not serve, so the walk up the chain is this
test's. Twins: a forged intermediate statement and an expired one are refused by it too.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pygrindvakt import AuthnError, GrindvaktError
from pygrindvakt import federation as grindvakt

from idcore.jose import KeySigner
from idcore.keystore.file import FileKeyStore
from idcore.trust import VCT_PID
from idcore.trust.federation import WELL_KNOWN_PATH, parse_statement, sign_entity_statement, validate_chain
from trust_registry.federation import keyed_jwk

from .helpers import Registry
from .test_federation import TH_FETCH, TH_PID, issuer_key, setup


def _jwks(token: str) -> dict[str, Any]:
    return {"keys": [dict(k) for k in parse_statement(token).jwks]}


def _chain(registry: Registry, *, claims_only_authorised: bool = True) -> tuple[list[str], dict[str, Any]]:
    """The TH PID issuer's chain; its leaf claims only the listed PID type unless told otherwise."""
    _, network, _ = setup(registry)
    anchor = network.public
    leaf = network.configurations[TH_PID + WELL_KNOWN_PATH]  # claims PID and business registration
    if claims_only_authorised:
        signer, _ = issuer_key(registry, TH_PID)
        claims = dict(parse_statement(leaf).claims)
        claims["metadata"]["openid_credential_issuer"]["lintas_vcts"] = [VCT_PID]
        leaf = sign_entity_statement(claims, signer, keyed_jwk(dict(signer.public_jwk))["kid"])
    about_leaf = registry.http.get(TH_FETCH, params={"sub": TH_PID}).text
    about_th = registry.http.get("/federation/fetch", params={"sub": anchor + "/federation/TH"}).text
    anchor_configuration = registry.http.get(WELL_KNOWN_PATH).text
    pinned = _jwks(anchor_configuration)
    return [leaf, about_leaf, about_th, anchor_configuration], pinned


def test_grindvakt_verifies_every_link_and_resolves_the_same_metadata(registry: Registry) -> None:
    chain, pinned = _chain(registry)
    leaf, about_leaf, about_th, anchor_configuration = chain
    assert grindvakt.verify_self_signed(leaf).sub() == TH_PID
    assert grindvakt.verify(leaf, _jwks(about_leaf)).sub() == TH_PID  # the leaf's keys as TH binds them
    assert grindvakt.verify(about_leaf, _jwks(about_th)).iss() == registry.settings.public_url + "/federation/TH"
    assert grindvakt.verify(about_th, pinned).sub() == registry.settings.public_url + "/federation/TH"
    assert grindvakt.verify(anchor_configuration, pinned).sub() == registry.settings.public_url

    ours = validate_chain(chain, setup(registry)[0].anchor, registry.clock.now())
    theirs = grindvakt.decode_unverified(leaf).metadata("openid_credential_issuer")
    assert theirs is not None
    for statement in (about_th, about_leaf):  # the anchor's policy first (Section 6.1.4.2)
        policy = grindvakt.decode_unverified(statement).claims["metadata_policy"]["openid_credential_issuer"]
        theirs = grindvakt.apply_policy(theirs, policy)
    assert theirs == dict(ours.metadata["openid_credential_issuer"])
    assert (theirs["lintas_country"], theirs["lintas_vcts"]) == ("TH", [VCT_PID])


def test_subset_of_narrows_here_and_is_refused_by_grindvakt(registry: Registry) -> None:
    """A divergence, kept visible: a leaf claiming more types than the list authorises. OpenID
    Federation 1.0 Section 6.1.3.1.5 says ``subset_of`` assigns the intersection (a value modifier);
    we narrow to the PID type. grindvakt 0.2.0 treats it as a check only and refuses the metadata.
    A verifier built on it would refuse such an issuer (fail closed), not accept more than listed."""
    chain, _ = _chain(registry, claims_only_authorised=False)
    ours = validate_chain(chain, setup(registry)[0].anchor, registry.clock.now())
    assert ours.metadata["openid_credential_issuer"]["lintas_vcts"] == [VCT_PID]
    metadata = grindvakt.decode_unverified(chain[0]).metadata("openid_credential_issuer")
    assert metadata is not None
    policy = grindvakt.decode_unverified(chain[1]).claims["metadata_policy"]["openid_credential_issuer"]
    with pytest.raises(AuthnError, match="subset_of"):
        grindvakt.apply_policy(metadata, policy)


def test_grindvakt_refuses_a_forged_or_expired_intermediate_statement(registry: Registry) -> None:
    chain, _ = _chain(registry)
    _, about_leaf, about_th, _ = chain
    genuine = parse_statement(about_leaf)
    forger = KeySigner(ec.generate_private_key(ec.SECP256R1()))
    forged = sign_entity_statement(dict(genuine.claims), forger, str(genuine.jws.header["kid"]))
    with pytest.raises(GrindvaktError, match="signature verification failed"):
        grindvakt.verify(forged, _jwks(about_th))
    th_signer = FileKeyStore(registry.settings.data_dir / "registry" / "keys").signer("federation-th")
    expired = {**genuine.claims, "iat": genuine.iat - 7200, "exp": genuine.iat - 3600}
    stale = sign_entity_statement(expired, th_signer, str(genuine.jws.header["kid"]))
    assert grindvakt.verify(about_leaf, _jwks(about_th)).sub() == TH_PID  # the genuine one, as a control
    with pytest.raises(GrindvaktError, match="token expired"):
        grindvakt.verify(stale, _jwks(about_th))
