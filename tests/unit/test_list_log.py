"""idcore.trust.list_log.verify_list_logged: a pinned list is accepted only as a leaf of the checkpoint.

Each refusal has its honest twin in the first test; records are compact JWS whose payload is
what the registry's ledger writes (the signature is not what binds them: the tree head is).
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from idcore.errors import Reason, TrustError
from idcore.trust.checkpoint import Checkpoint
from idcore.trust.list_log import verify_list_logged
from idcore.trust.merkle import inclusion_proof, leaf_hash, root_hash


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def record(sequence: object, token: str, **extra: object) -> str:
    payload = {"sequence": sequence, "list_sha256": hashlib.sha256(token.encode()).hexdigest(), **extra}
    return ".".join((_b64(b'{"alg":"ES256"}'), _b64(json.dumps(payload).encode()), _b64(b"sig")))


TOKENS = [f"list-{n}.payload.signature" for n in range(1, 6)]
RECORDS = [record(n, TOKENS[n - 1]) for n in range(1, 6)]
LEAVES = [leaf_hash(r.encode()) for r in RECORDS]
HEAD = Checkpoint("registry.example/audit-log", len(LEAVES), root_hash(LEAVES))


def test_every_logged_list_is_accepted() -> None:
    for n in range(1, 6):
        verify_list_logged(TOKENS[n - 1], n, RECORDS[n - 1], inclusion_proof(n - 1, LEAVES), HEAD)


@pytest.mark.parametrize(
    "case",
    ["other_list", "other_sequence", "record_of_another_leaf", "bad_proof", "beyond_head", "zero", "not_jws"],
)
def test_each_mismatch_is_log_inconsistent(case: str) -> None:
    n, token, rec, path = 3, TOKENS[2], RECORDS[2], inclusion_proof(2, LEAVES)
    if case == "other_list":
        token = "a-forged-list.payload.signature"
    elif case == "other_sequence":
        n = 4  # record 3 presented for list 4
        token = TOKENS[3]
    elif case == "record_of_another_leaf":
        rec = RECORDS[1]
    elif case == "bad_proof":
        path = [bytes(32), *path[1:]]
    elif case == "beyond_head":
        n = 6
    elif case == "zero":
        n = 0
    else:
        rec = "not a jws"
    with pytest.raises(TrustError) as info:
        verify_list_logged(token, n, rec, path, HEAD)
    assert info.value.reason is Reason.LOG_INCONSISTENT


def test_a_leaf_whose_record_names_another_sequence_is_refused() -> None:
    """A log that recorded list 3's hash under sequence 2's leaf cannot pass it off as list 3."""
    lying = record(2, TOKENS[2])
    leaves = [*LEAVES[:2], leaf_hash(lying.encode()), *LEAVES[3:]]
    head = Checkpoint(HEAD.origin, len(leaves), root_hash(leaves))
    with pytest.raises(TrustError) as info:
        verify_list_logged(TOKENS[2], 3, lying, inclusion_proof(2, leaves), head)
    assert info.value.reason is Reason.LOG_INCONSISTENT
