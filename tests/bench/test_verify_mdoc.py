"""The mdoc benchmark measures a genuine verification, and its floor is real signature work.

No test here asserts a time.
"""

from __future__ import annotations

import cbor2
import pytest
from cryptography.exceptions import InvalidSignature

from benchmarks.verify_mdoc import ECDSA, NS, build_mdoc
from idcore.errors import IdcoreError
from idcore.mdoc import verify_device_response


def test_the_benchmarked_device_response_verifies_and_its_tampered_twin_does_not() -> None:
    response, options, _ = build_mdoc()
    document = verify_device_response(response, options).documents[0]
    assert document.device_authenticated
    assert document.claims[NS]["issuing_country"] == "TH"
    decoded = cbor2.loads(response)
    decoded["documents"][0]["docType"] = "org.iso.18013.5.1.mDL.tampered"
    with pytest.raises(IdcoreError):
        verify_device_response(cbor2.dumps(decoded), options)


def test_the_floor_verifies_three_real_signatures_and_fails_on_a_changed_input() -> None:
    _, _, floor = build_mdoc()
    assert len(floor) == 3
    for key, signature, message in floor:
        key.verify(signature, message, ECDSA)
    key, signature, message = floor[1]
    with pytest.raises(InvalidSignature):
        key.verify(signature, message[:-1] + bytes([message[-1] ^ 1]), ECDSA)
