"""Every SD-JWT / SD-JWT VC spec vector verifies to its expected payload; every tampered twin is rejected."""

from __future__ import annotations

import pytest

from idcore.errors import IdcoreError
from idcore.sdjwt import verify_sd_jwt
from tests.vectors.sdjwt_loader import SdJwtCase, load_case, tampered_twins, vector_files

POSITIVE = [load_case(p)[0] for p in vector_files()]
NEGATIVE = [twin for case in POSITIVE for twin in tampered_twins(case)]


def test_all_vector_files_are_loaded() -> None:
    assert len(POSITIVE) == 17
    assert len(NEGATIVE) > 5 * len(POSITIVE)


@pytest.mark.parametrize("case", POSITIVE, ids=lambda c: c.name)
def test_vector_verifies_to_expected_payload(case: SdJwtCase) -> None:
    verified = verify_sd_jwt(case.presentation, case.issuer_key, case.options)
    assert verified.payload == case.expected_payload
    assert (verified.kb_payload is not None) == (case.options.key_binding is not None)


def test_general_json_with_two_signatures_is_refused_before_any_work() -> None:
    """The Section 8.3 vector as printed has two signatures: refused (one issuer, one signature)."""
    [path] = [p for p in vector_files() if p.name == "rfc9901_s8_3_json_general_presentation_kb.json"]
    case, raw = load_case(path)
    assert len(raw["sd_jwt_presentation"]["signatures"]) == 2
    with pytest.raises(IdcoreError) as info:
        verify_sd_jwt(raw["sd_jwt_presentation"], case.issuer_key, case.options)
    assert info.value.reason.value == "too_many"
    assert verify_sd_jwt(case.presentation, case.issuer_key, case.options).payload == case.expected_payload


@pytest.mark.parametrize("case", NEGATIVE, ids=lambda c: c.name)
def test_tampered_twin_is_rejected_with_its_reason(case: SdJwtCase) -> None:
    with pytest.raises(IdcoreError) as info:
        verify_sd_jwt(case.presentation, case.issuer_key, case.options)
    assert info.value.reason.value == case.expected_reason
