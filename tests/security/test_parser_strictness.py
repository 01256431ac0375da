"""Issue 12 class 10 (strictness): every verification path applies the full SD-JWT VC rules.

draft-ietf-oauth-sd-jwt-vc Section 3.2.1 (``typ`` is ``dc+sd-jwt``), 3.2.2.1 (``vct`` is
required) and 3.2.2.3 (registered claims are never selectively disclosable). ``lintas sdjwt
verify`` and :func:`idcore.sdjwt_vc.verify_sd_jwt_vc` refuse a credential that breaks them;
only an explicit ``--generic`` (plain RFC 9901) accepts the same bytes. Each tampered twin is
validly signed, so only the profile rule can refuse it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import IdcoreError
from idcore.jose import KeySigner
from idcore.ports import FixedClock, SystemRandom
from idcore.sdjwt import SD, VerifyOptions, issue_sd_jwt, verify_sd_jwt
from idcore.sdjwt_vc import issue_sd_jwt_vc, verify_sd_jwt_vc
from lintas_cli.main import main

NOW = 1_800_000_000
VCT = "https://credentials.example.org/pid"
CLAIMS = {"given_name": SD("Siti"), "age_over_18": SD(True)}


@pytest.fixture(scope="module")
def signer() -> KeySigner:
    return KeySigner(ec.generate_private_key(ec.SECP256R1()))


def _genuine(signer: KeySigner) -> str:
    return issue_sd_jwt_vc(
        CLAIMS, signer, vct=VCT, random=SystemRandom(), iss="https://issuer.example", iat=NOW - 60, exp=NOW + 3600
    ).serialize()


def _raw(signer: KeySigner, typ: str, claims: dict[str, Any]) -> str:
    """A validly signed SD-JWT built without the profile's guard rails."""
    body = {"iss": "https://issuer.example", "iat": NOW - 60, "exp": NOW + 3600, **claims}
    return issue_sd_jwt(body, signer, random=SystemRandom(), header={"typ": typ}).serialize()


TWINS = {
    # name: (builder, reason under the SD-JWT VC rules)
    "typ JWT": (lambda s: _raw(s, "JWT", {"vct": VCT, **CLAIMS}), "typ_mismatch"),
    "no typ rule: example+sd-jwt": (lambda s: _raw(s, "example+sd-jwt", {"vct": VCT, **CLAIMS}), "typ_mismatch"),
    "vct missing": (lambda s: _raw(s, "dc+sd-jwt", dict(CLAIMS)), "missing_claim"),
    "vct empty": (lambda s: _raw(s, "dc+sd-jwt", {"vct": "", **CLAIMS}), "missing_claim"),
    "vct selectively disclosed": (lambda s: _raw(s, "dc+sd-jwt", {"vct": SD(VCT), **CLAIMS}), "never_disclosable"),
}


def _cli(tmp_path: Path, signer: KeySigner, presentation: str, *extra: str) -> list[str]:
    (tmp_path / "p.txt").write_text(presentation)
    (tmp_path / "k.jwk").write_text(json.dumps(dict(signer.public_jwk)))
    return [
        "sdjwt",
        "verify",
        str(tmp_path / "p.txt"),
        "--issuer-jwk",
        str(tmp_path / "k.jwk"),
        "--now",
        str(NOW),
        *extra,
    ]


def test_genuine_sd_jwt_vc_verifies_by_default(
    tmp_path: Path, signer: KeySigner, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_cli(tmp_path, signer, _genuine(signer))) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["vct"] == VCT
    assert payload["given_name"] == "Siti"


@pytest.mark.parametrize("name", TWINS)
def test_cli_refuses_profile_breaking_twin_by_default(
    name: str, tmp_path: Path, signer: KeySigner, capsys: pytest.CaptureFixture[str]
) -> None:
    build, reason = TWINS[name]
    assert main(_cli(tmp_path, signer, build(signer))) == 1
    assert capsys.readouterr().out.strip() == f"rejected: {reason}"


@pytest.mark.parametrize("name", TWINS)
def test_cli_accepts_the_same_bytes_only_with_generic(
    name: str, tmp_path: Path, signer: KeySigner, capsys: pytest.CaptureFixture[str]
) -> None:
    build, _ = TWINS[name]
    assert main(_cli(tmp_path, signer, build(signer), "--generic")) == 0
    assert json.loads(capsys.readouterr().out)["given_name"] == "Siti"


@pytest.mark.parametrize("name", TWINS)
def test_library_profile_refuses_and_generic_function_accepts(name: str, signer: KeySigner) -> None:
    build, reason = TWINS[name]
    presentation = build(signer)
    options = VerifyOptions(clock=FixedClock(NOW), typ=None)  # typ=None: the explicit "any typ" of generic
    with pytest.raises(IdcoreError) as info:
        verify_sd_jwt_vc(presentation, signer.private_key.public_key(), options)
    assert info.value.reason.value == reason
    assert verify_sd_jwt(presentation, signer.private_key.public_key(), options).payload["given_name"] == "Siti"


def test_vct_filter_and_usage_errors(tmp_path: Path, signer: KeySigner, capsys: pytest.CaptureFixture[str]) -> None:
    genuine = _genuine(signer)
    assert main(_cli(tmp_path, signer, genuine, "--vct", VCT)) == 0
    capsys.readouterr()
    assert main(_cli(tmp_path, signer, genuine, "--vct", "https://other.example/type")) == 1
    assert capsys.readouterr().out.strip() == "rejected: vct_mismatch"
    # --typ would loosen the profile's typ rule; it is only meaningful together with --generic.
    assert main(_cli(tmp_path, signer, genuine, "--typ", "JWT")) == 2
    assert main(_cli(tmp_path, signer, genuine, "--generic", "--vct", VCT)) == 2
    assert main(_cli(tmp_path, signer, TWINS["typ JWT"][0](signer), "--generic", "--typ", "dc+sd-jwt")) == 1
    assert capsys.readouterr().out.strip() == "rejected: typ_mismatch"
