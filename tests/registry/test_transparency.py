"""Issue #16 item 3: the registry's transparency log, checked from outside.

* Every inclusion and consistency proof a live registry serves verifies with the RFC 9162
  algorithms written out below from the RFC's text (Sections 2.1.3.2 and 2.1.4.2), independently of
  ``idcore.trust.merkle``; every tampered proof fails.
* A verifier set with ``audit_checkpoint_key`` uses a list only when the log proves it was logged:
  a list signed with the registry's own key but never appended (a split view, a stolen key) is
  refused and the last good list kept; without the key the same forgery is accepted (the twin that
  shows what the check adds).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.responses import Response, StreamingResponse

from idcore.errors import Reason, TrustError
from idcore.ports import FixedClock
from idcore.trust import TrustList, sign_trust_list
from idcore.trust.cache import TrustListCache
from idcore.trust.checkpoint import MAX_NOTE_BYTES, CheckpointSigner, CheckpointVerifier
from lintas.audit_log import AuditLogWatcher
from lintas.testing import UvicornServer
from lintas.trust_fetch import FetchError
from trust_registry.pki import ensure_registry_keys
from verifier.app import trust_source
from verifier.settings import VerifierSettings

from .helpers import SG_PID, Registry

# --- RFC 9162, written from the RFC's text for this test only ------------------------------------


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def rfc_leaf(entry: bytes) -> bytes:
    """Section 2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return _h(b"\x00" + entry)


def _node(left: bytes, right: bytes) -> bytes:
    return _h(b"\x01" + left + right)


def _shift_until_lsb_or_zero(fn: int, sn: int) -> tuple[int, int]:
    while fn & 1 == 0 and fn != 0:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def rfc_verify_inclusion(leaf_index: int, tree_size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """Section 2.1.3.2, steps 1 to 5."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                fn, sn = _shift_until_lsb_or_zero(fn, sn)
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def rfc_verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]) -> bool:
    """Section 2.1.4.2, steps 1 to 7 (``first`` of 0 or equal to ``second`` needs no proof)."""
    if not path:
        return False
    if first & (first - 1) == 0:  # an exact power of two
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            if not fn & 1:
                fn, sn = _shift_until_lsb_or_zero(fn, sn)
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_hash and sr == second_hash and sn == 0


# --- helpers -------------------------------------------------------------------------------------


def tree_head(registry: Registry) -> tuple[int, bytes]:
    """Size and root of the registry's current checkpoint (C2SP tlog-checkpoint note body)."""
    lines = registry.http.get("/v1/audit-log/checkpoint").text.split("\n")
    return int(lines[1]), base64.b64decode(lines[2])


def change(registry: Registry, action: str) -> None:
    registry.clock.advance(1)
    response = registry.post(f"/v1/governance/issuers/{action}", "operator-sg", {"issuer_id": SG_PID})
    assert response.status_code == 200, response.text


def inclusion(registry: Registry, sequence: int, size: int) -> tuple[bytes, list[bytes]]:
    response = registry.http.get("/v1/audit-log/inclusion", params={"sequence": sequence, "size": size})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["sequence"], body["tree_size"], body["leaf_index"]) == (sequence, size, sequence - 1)
    return body["record"].encode("ascii"), [base64.b64decode(h) for h in body["audit_path"]]


def _bad_paths(path: list[bytes]) -> list[list[bytes]]:
    flipped = [[*path[:i], bytes([path[i][0] ^ 1]) + path[i][1:], *path[i + 1 :]] for i in range(len(path))]
    return [*flipped, path[:-1], [*path, bytes(32)]] if path else [[bytes(32)]]


def test_served_proofs_verify_with_the_rfc_algorithms_and_tampered_ones_do_not(registry: Registry) -> None:
    heads = [tree_head(registry)]
    for action in ("suspend", "reinstate", "suspend", "reinstate", "suspend", "reinstate"):
        change(registry, action)
        heads.append(tree_head(registry))
    size, root = heads[-1]
    assert size == 7
    for sequence in range(1, size + 1):
        record, path = inclusion(registry, sequence, size)
        leaf = rfc_leaf(record)
        assert rfc_verify_inclusion(sequence - 1, size, leaf, path, root)
        assert not rfc_verify_inclusion(sequence - 1, size, rfc_leaf(record + b" "), path, root)
        assert not any(rfc_verify_inclusion(sequence - 1, size, leaf, bad, root) for bad in _bad_paths(path))
        # The record is the one /v1/audit-log lists, and names the list served under its sequence.
        payload = json.loads(base64.urlsafe_b64decode(record.split(b".")[1] + b"=="))
        served = registry.http.get(f"/v1/trust-list/{sequence}").content.strip()
        assert payload["sequence"] == sequence
        assert payload["list_sha256"] == hashlib.sha256(served).hexdigest()
    for first_size, first_root in heads[:-1]:
        body = registry.http.get("/v1/audit-log/consistency", params={"first": first_size, "second": size}).json()
        proof = [base64.b64decode(h) for h in body["proof"]]
        assert rfc_verify_consistency(first_size, size, first_root, root, proof), first_size
        assert not rfc_verify_consistency(first_size, size, _h(b"fork"), root, proof)
        assert not any(rfc_verify_consistency(first_size, size, first_root, root, bad) for bad in _bad_paths(proof))


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"sequence": 0, "size": 1}, 400),
        ({"sequence": 2, "size": 1}, 400),  # a leaf beyond the tree
        ({"sequence": 1, "size": 99}, 400),  # a tree larger than the log
        ({"sequence": 10**13, "size": 1}, 400),
        ({"sequence": "x", "size": 1}, 400),
        ({"sequence": 1, "size": 1}, 200),
    ],
)
def test_inclusion_endpoint_bounds(registry: Registry, params: dict[str, object], status: int) -> None:
    response = registry.http.get("/v1/audit-log/inclusion", params=params)
    assert response.status_code in ((400, 422) if status == 400 else (200,)), response.text
    if status == 400:
        assert response.headers["content-type"].startswith("application/problem+json")


# --- the verifier side ---------------------------------------------------------------------------


def _verifier_cache(
    registry: Registry, tmp_path: Path, clock: FixedClock, http: httpx.Client, *, key: bool
) -> TrustListCache:
    pin = registry.http.get("/v1/registry-certificate").json()["sha256"]
    vkey = registry.http.get("/v1/audit-log/checkpoint-key").text.strip() if key else None
    settings = VerifierSettings(
        public_url="http://127.0.0.1:9",
        data_dir=tmp_path / f"verifier-{key}",
        development=True,
        registry_url=str(registry.server.base_url),
        registry_pin_sha256=[pin],
        audit_checkpoint_key=vkey,
    )
    source = trust_source(settings, None, http, clock)
    assert isinstance(source, TrustListCache)
    return source


def _forged_next_list(registry: Registry) -> str:
    """The next list, signed with the registry's own key and certificate, but never appended to the log."""
    keys = ensure_registry_keys(
        registry.settings.data_dir, now=registry.clock.now(), days=365, public_url=registry.settings.public_url
    )
    current = registry.trust_list()
    forged: TrustList = replace(current, sequence_number=current.sequence_number + 1)
    return sign_trust_list(forged, keys.list_signer, [keys.signing_cert])


@pytest.mark.parametrize("key", [True, False])
def test_a_list_the_log_never_recorded_is_refused_only_with_the_checkpoint_key(
    registry: Registry, tmp_path: Path, clock: FixedClock, key: bool
) -> None:
    with httpx.Client(timeout=5) as http:
        cache = _verifier_cache(registry, tmp_path, clock, http, key=key)
        assert cache.refresh(force=True)  # the honest, logged list
        change(registry, "suspend")
        assert cache.refresh(force=True)  # the log grew consistently and holds the new list
        logged = cache.snapshot().trust_list
        assert logged is not None
        forged = _forged_next_list(registry)
        if key:
            with pytest.raises(TrustError) as refused:
                cache.accept(forged)
            assert refused.value.reason is Reason.LOG_INCONSISTENT
            assert cache.snapshot().trust_list == logged  # the last good list stays
        else:
            assert cache.accept(forged).trust_list is not None  # what the check adds: this is accepted
            assert cache.snapshot().trust_list != logged


def test_settings_refuse_a_malformed_key_and_the_etsi_format(registry: Registry, tmp_path: Path) -> None:
    base = {
        "public_url": "http://127.0.0.1:9",
        "data_dir": tmp_path,
        "development": True,
        "registry_url": str(registry.server.base_url),
        "registry_pin_sha256": ["0" * 64],
    }
    vkey = registry.http.get("/v1/audit-log/checkpoint-key").text.strip()
    assert VerifierSettings(**base, audit_checkpoint_key=vkey).audit_checkpoint_key == vkey
    with pytest.raises(ValueError, match="signed-note verifier key"):
        VerifierSettings(**base, audit_checkpoint_key=vkey[:-4] + "AAAA")
    with pytest.raises(ValueError, match="trust_list_format=lintas"):
        VerifierSettings(**base, audit_checkpoint_key=vkey, trust_list_format="etsi")


def test_the_watcher_reads_audit_log_answers_only_up_to_their_bound() -> None:
    """A registry answering with an endless body (no Content-Length) is refused once past the bound;
    the twin: a declared oversized body is refused before any of it is read."""
    app = FastAPI()

    @app.get("/v1/audit-log/checkpoint")
    def endless() -> StreamingResponse:
        return StreamingResponse(iter([b"x" * 4096] * (MAX_NOTE_BYTES // 4096 + 8)), media_type="text/plain")

    @app.get("/v1/audit-log/consistency")
    def declared() -> Response:
        return Response(b"{}" + b" " * (MAX_NOTE_BYTES + 1), media_type="application/json")

    vkey = CheckpointSigner("registry.example/audit-log", Ed25519PrivateKey.generate()).vkey
    with UvicornServer(app) as server:
        watcher = AuditLogWatcher(str(server.base_url), CheckpointVerifier(vkey))
        try:
            with pytest.raises(FetchError, match="larger than the size limit"):
                watcher.check()
            with pytest.raises(FetchError, match="larger than the size limit"):
                watcher._proof(1, 2)
        finally:
            watcher.close()
