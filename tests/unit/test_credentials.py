"""idcore.credentials: the SD-JWT VC verifier behind the format-neutral interface, with any trust framework.

The framework here is test-local (one pinned key per issuer, a fixed authorisation answer): the
interface is what a federation or an ETSI list will implement, and the verifier must report the
framework's refusals at the right stage. Keys are generated here; nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from idcore.credentials import CredentialError, SdJwtVcVerifier, Stage, VerificationContext, VerifiedCredential
from idcore.errors import Reason
from idcore.jose import KeySigner
from idcore.jwk import public_jwk
from idcore.sdjwt import SD, HolderCredential, issue_sd_jwt
from idcore.sdjwt_vc import issue_sd_jwt_vc
from idcore.trust import IssuerEvidence, TrustedIssuer, TrustFramework, TrustJudgement
from tests.unit.sdjwt_helpers import AUD, NONCE, NOW, Keys, random

ISS = "https://pid.example.la"
VCT = "https://lintas.asean.example/vct/pid/v1"
KEYS = Keys.generate()


@dataclass
class PinnedKeys:
    """A trust framework of pinned issuer keys: a stand-in for a federation, not a mock of crypto."""

    keys: dict[str, KeySigner]
    authorised: bool = True
    seen: list[IssuerEvidence] = field(default_factory=list)

    def judge(self, evidence: IssuerEvidence) -> TrustJudgement:
        self.seen.append(evidence)
        signer = self.keys.get(evidence.issuer_id or "")
        if signer is None:
            return TrustJudgement.refuse(Reason.UNTRUSTED_ISSUER, "not pinned", framework="pinned")
        key = signer.private_key.public_key()  # type: ignore[attr-defined]
        issuer = TrustedIssuer(ISS, "LA", "substantial", {"en": "LA PID office"})
        if not self.authorised:
            return TrustJudgement(False, Reason.NOT_AUTHORISED, "not for this type", key, issuer, "pinned")
        return TrustJudgement(True, None, "pinned", key, issuer, "pinned")


def credential(
    *, sd_paths: Iterable[Sequence[str]] = (["given_name"], ["iat"]), signer: KeySigner = KEYS.issuer, **kw: Any
) -> str:
    fields: dict[str, Any] = {"iss": ISS, "iat": NOW - 100, "exp": NOW + 1000}
    fields |= kw
    issued = issue_sd_jwt_vc(
        {"given_name": "Souksavanh"},
        signer,
        vct=VCT,
        random=random(),
        holder_jwk=dict(KEYS.holder.public_jwk),
        sd_paths=sd_paths,
        status={"status_list": {"idx": 3, "uri": "https://pid.example.la/status/1"}},
        **fields,
    )
    return issued.serialize()


def present(sd_jwt: str, *, bind: bool = True, nonce: str = NONCE) -> str:
    holder = HolderCredential.parse(sd_jwt)
    if not bind:
        return holder.present(holder.disclosures)
    return holder.present(holder.disclosures, signer=KEYS.holder, aud=AUD, nonce=nonce, iat=NOW)


def context(framework: TrustFramework, **changes: Any) -> VerificationContext:
    return VerificationContext(**({"trust": framework, "now": NOW, "nonce": NONCE, "audience": AUD} | changes))


def verify(raw: str, framework: TrustFramework, **changes: Any) -> VerifiedCredential:
    return SdJwtVcVerifier().verify(raw, context(framework, **changes))


def refused(raw: str, framework: TrustFramework, **changes: Any) -> tuple[Stage, Reason]:
    with pytest.raises(CredentialError) as info:
        verify(raw, framework, **changes)
    return info.value.stage, info.value.reason


def test_a_pinned_framework_plugs_in_and_the_result_is_format_neutral() -> None:
    framework = PinnedKeys({ISS: KEYS.issuer})
    cred = verify(present(credential()), framework)
    assert (cred.format, cred.credential_type, cred.country, cred.issued_at) == ("dc+sd-jwt", VCT, "LA", NOW - 100)
    assert (cred.valid_from, cred.valid_until, cred.holder_bound) == (None, NOW + 1000, True)
    assert cred.claims["given_name"] == "Souksavanh"
    assert not {"cnf", "status", "_sd_alg"} & set(cred.claims)
    assert cred.status == {"status_list": {"idx": 3, "uri": "https://pid.example.la/status/1"}}
    assert cred.holder_key is not None
    assert public_jwk(cred.holder_key) == dict(KEYS.holder.public_jwk)
    # iat was a Disclosure (SD-JWT VC allows it): the framework was still asked about the real issuance time.
    (evidence,) = framework.seen
    assert (evidence.issuer_id, evidence.credential_type, evidence.issued_at, evidence.x5c) == (
        ISS,
        VCT,
        NOW - 100,
        None,
    )
    assert cred.trust.trusted
    assert cred.evidence == evidence


def test_the_framework_refusals_land_at_their_stage() -> None:
    raw = present(credential())
    assert refused(raw, PinnedKeys({})) == (Stage.ISSUER_SIGNATURE, Reason.UNTRUSTED_ISSUER)
    assert refused(raw, PinnedKeys({ISS: KEYS.issuer}, authorised=False)) == (Stage.REGISTRY, Reason.NOT_AUTHORISED)
    # A forgery is a forgery, whatever the authorisation says: the signature is checked first.
    forged = present(credential(signer=KEYS.holder))
    assert refused(forged, PinnedKeys({ISS: KEYS.issuer}, authorised=False)) == (
        Stage.ISSUER_SIGNATURE,
        Reason.BAD_SIGNATURE,
    )


@pytest.mark.parametrize(
    ("build", "changes", "expected"),
    [
        (lambda: present(credential(iat=None)), {}, (Stage.PARSING, Reason.MISSING_CLAIM)),
        (lambda: present(credential(exp=NOW - 1000)), {}, (Stage.VALIDITY, Reason.EXPIRED)),
        (lambda: present(credential(nbf=NOW + 1000)), {}, (Stage.VALIDITY, Reason.NOT_YET_VALID)),
        (lambda: present(credential(), nonce="other"), {}, (Stage.HOLDER_BINDING, Reason.NONCE_MISMATCH)),
        (lambda: present(credential(), bind=False), {}, (Stage.HOLDER_BINDING, Reason.KB_MISSING)),
        (lambda: present(credential()), {"nonce": None}, (Stage.PARSING, Reason.KB_INVALID)),
        (lambda: "not an sd-jwt", {}, (Stage.PARSING, Reason.MALFORMED)),
    ],
)
def test_each_stage_refuses_with_the_existing_reason(build: Any, changes: dict[str, Any], expected: Any) -> None:
    framework = PinnedKeys({ISS: KEYS.issuer})
    assert verify(present(credential()), framework).holder_bound  # the twin
    assert refused(build(), framework, **changes) == expected


def test_binding_follows_the_context_not_the_wallet() -> None:
    framework = PinnedKeys({ISS: KEYS.issuer})
    plain = present(credential(), bind=False)
    assert not verify(plain, framework, require_holder_binding=False).holder_bound
    # A KB-JWT the wallet sent must verify even when binding is not required.
    wrong = present(credential(), nonce="other")
    assert refused(wrong, framework, require_holder_binding=False) == (Stage.HOLDER_BINDING, Reason.NONCE_MISMATCH)


def test_a_never_disclosable_claim_sent_as_a_disclosure_is_refused() -> None:
    payload = {"iss": ISS, "vct": VCT, "iat": NOW - 100, "exp": SD(NOW + 1000), "given_name": "Souksavanh"}
    issued = issue_sd_jwt(payload, KEYS.issuer, random=random(), header={"typ": "dc+sd-jwt"})
    raw = issued.serialize()
    framework = PinnedKeys({ISS: KEYS.issuer})
    assert refused(raw, framework, require_holder_binding=False) == (Stage.PARSING, Reason.NEVER_DISCLOSABLE)
    twin = issue_sd_jwt({**payload, "exp": NOW + 1000}, KEYS.issuer, random=random(), header={"typ": "dc+sd-jwt"})
    assert verify(twin.serialize(), framework, require_holder_binding=False).valid_until == NOW + 1000
