"""Issue 12 class 1: each parser limit is exact: at the limit the input still verifies, one past it is refused.

The positive twins of ``test_parser_cost.py``: every named limit (idcore.b64, idcore.jose,
idcore.sdjwt, idcore.oid4vp.jwe, idcore.dcql, idcore.x509, idcore.status_list) is met by a
genuine, validly signed input that still verifies, and exceeded by one step with its reason code.
"""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from idcore.b64 import MAX_JSON_DEPTH, MAX_JSON_VALUES, b64u_encode, json_dumps, json_loads
from idcore.dcql import query as dcql
from idcore.dcql.claims_path import MAX_PATH_LENGTH
from idcore.errors import IdcoreError
from idcore.jose import MAX_HEADER_BYTES, sign_compact, verify_compact
from idcore.jwk import public_jwk
from idcore.oid4vp.jwe import MAX_JWE_HEADER_BYTES, decrypt_compact, encrypt_compact
from idcore.oid4vp.response import MAX_FORM_FIELDS, parse_form
from idcore.ports import FixedClock
from idcore.sdjwt import verify_sd_jwt
from idcore.sdjwt.serialization import MAX_DISCLOSURE_BYTES, MAX_DISCLOSURES
from idcore.sdjwt.verification import MAX_DEPTH, MAX_DIGESTS
from idcore.status_list import StatusList, sign_status_list_token, verify_status_list_token
from idcore.x509 import MAX_CERTIFICATE_B64, MAX_CHAIN_LENGTH, create_root_ca, parse_x5c, x5c_from_certificates
from tests.security.parser_helpers import NOW, digests_of, disclosure, new_signer, options, sd_jwt


def _reason(call: Any) -> str | None:
    try:
        call()
    except IdcoreError as exc:
        return exc.reason.value
    return None


# --- JSON --------------------------------------------------------------------------------------


@pytest.mark.parametrize("padding", [0, 100_000], ids=["short", "long (exact walk)"])
def test_json_depth_limit_is_exact(padding: int) -> None:
    def doc(depth: int) -> str:
        return '{"pad":"' + "x" * padding + '","v":' + "[" * (depth - 1) + "]" * (depth - 1) + "}"

    assert json_loads(doc(MAX_JSON_DEPTH))["pad"] == "x" * padding
    assert _reason(lambda: json_loads(doc(MAX_JSON_DEPTH + 1))) == "too_deep"


def test_json_value_limit_counts_values_not_bytes() -> None:
    # "[" + N elements: the array plus N elements is N + 1 values.
    at_limit = "[" + ",".join(["1234"] * (MAX_JSON_VALUES - 1)) + "]"
    assert len(json_loads(at_limit)) == MAX_JSON_VALUES - 1
    assert _reason(lambda: json_loads(at_limit.replace("[", "[1234,", 1))) == "too_many"


def test_json_brackets_and_commas_inside_strings_do_not_count() -> None:
    text = json_dumps({"note": '[{,\\"' * 50_000, "ok": [[1]]})
    assert json_loads(text)["ok"] == [[1]]


# --- JWS ---------------------------------------------------------------------------------------


def _token_with_header_length(signer: Any, length: int) -> str:
    """A signed JWS whose encoded protected header is exactly ``length`` characters (length % 4 == 0)."""
    base = len(json_dumps({"alg": signer.alg, "typ": "x", "pad": ""}))
    header = {"typ": "x", "pad": "p" * (length // 4 * 3 - base)}
    token = sign_compact(header, {"sub": "s"}, signer)
    assert len(token.split(".")[0]) == length
    return token


def test_jws_header_limit_is_exact() -> None:
    signer = new_signer()
    key = signer.private_key.public_key()
    at_limit = _token_with_header_length(signer, MAX_HEADER_BYTES)
    assert verify_compact(at_limit, key, algorithms=("ES256",), typ="x")[1] == {"sub": "s"}
    over = _token_with_header_length(signer, MAX_HEADER_BYTES + 4)
    assert _reason(lambda: verify_compact(over, key, algorithms=("ES256",), typ="x")) == "too_large"


# --- SD-JWT ------------------------------------------------------------------------------------


def test_disclosure_count_limit_is_exact() -> None:
    signer = new_signer()
    key = signer.private_key.public_key()
    items = [disclosure(f"s{i}", f"c{i}", i) for i in range(MAX_DISCLOSURES + 1)]
    ok = sd_jwt(signer, {"_sd": digests_of(items[:MAX_DISCLOSURES])}, items[:MAX_DISCLOSURES])
    assert verify_sd_jwt(ok, key, options()).payload[f"c{MAX_DISCLOSURES - 1}"] == MAX_DISCLOSURES - 1
    over = sd_jwt(signer, {"_sd": digests_of(items)}, items)
    assert _reason(lambda: verify_sd_jwt(over, key, options())) == "too_many"


def test_disclosure_size_limit_is_exact() -> None:
    signer = new_signer()
    key = signer.private_key.public_key()

    def portrait(size: int) -> str:  # a Disclosure of exactly ``size`` characters
        base = len(json_dumps(["salt", "portrait", ""]))
        encoded = disclosure("salt", "portrait", "x" * (size // 4 * 3 - base))
        assert len(encoded) == size
        return encoded

    ok = portrait(MAX_DISCLOSURE_BYTES)
    assert verify_sd_jwt(sd_jwt(signer, {"_sd": digests_of([ok])}, [ok]), key, options()).payload["portrait"]
    over = portrait(MAX_DISCLOSURE_BYTES + 4)
    assert _reason(lambda: verify_sd_jwt(sd_jwt(signer, {"_sd": digests_of([over])}, [over]), key, options())) == (
        "too_large"
    )


def test_digest_limit_is_exact_and_counts_decoys() -> None:
    signer = new_signer()
    key = signer.private_key.public_key()
    real = disclosure("salt", "given_name", "Siti")
    decoys = [b64u_encode(i.to_bytes(32, "big")) for i in range(MAX_DIGESTS)]
    ok = sd_jwt(signer, {"_sd": [*digests_of([real]), *decoys[: MAX_DIGESTS - 1]]}, [real])
    assert verify_sd_jwt(ok, key, options()).payload["given_name"] == "Siti"
    over = sd_jwt(signer, {"_sd": [*digests_of([real]), *decoys]}, [real])
    assert _reason(lambda: verify_sd_jwt(over, key, options())) == "too_many"


def _nested(signer: Any, levels: int) -> str:
    """Disclosures nested ``levels`` deep: each one's value references the next."""
    chain = [disclosure("s0", "leaf", 1)]
    for level in range(1, levels):
        chain.append(disclosure(f"s{level}", f"l{level}", {"_sd": digests_of(chain[-1:])}))
    return sd_jwt(signer, {"_sd": digests_of(chain[-1:])}, chain)


def test_claims_depth_limit_is_exact_across_nested_disclosures() -> None:
    signer = new_signer()
    key = signer.private_key.public_key()
    payload = verify_sd_jwt(_nested(signer, MAX_DEPTH + 1), key, options()).payload
    for level in range(MAX_DEPTH, 0, -1):
        payload = payload[f"l{level}"]
    assert payload == {"leaf": 1}
    assert _reason(lambda: verify_sd_jwt(_nested(signer, MAX_DEPTH + 2), key, options())) == "too_deep"


def test_jws_json_flattened_and_one_signature_general_verify_two_signatures_refused() -> None:
    signer = new_signer()
    key = signer.private_key.public_key()
    item = disclosure("salt", "given_name", "Siti")
    protected, payload, signature = sd_jwt(signer, {"_sd": digests_of([item])}).rstrip("~").split(".")
    entry = {"protected": protected, "signature": signature, "header": {"disclosures": [item]}}
    flattened = {"payload": payload, **entry}
    general = {"payload": payload, "signatures": [entry]}
    for presentation in (flattened, general):
        assert verify_sd_jwt(presentation, key, options()).payload["given_name"] == "Siti"
    second = {"protected": protected, "signature": signature}
    twice = {"payload": payload, "signatures": [entry, second]}
    assert _reason(lambda: verify_sd_jwt(twice, key, options())) == "too_many"
    mixed = {**general, "protected": protected}
    assert _reason(lambda: verify_sd_jwt(mixed, key, options())) == "malformed"


# --- JWE ---------------------------------------------------------------------------------------


def _jwe_with_header_length(recipient: dict[str, Any], length: int) -> str:
    """A genuine JWE whose protected header is ``length`` characters (apu grows until it is)."""
    for size in range(0, 3 * length):
        token = encrypt_compact(
            b'{"ok":1}',
            recipient,
            enc="A128GCM",
            kid="k",
            extra_header={"apu": b64u_encode(b"u" * size)},
        )
        got = len(token.split(".")[0])
        if got >= length:
            return token
    raise AssertionError("unreachable")


def test_jwe_header_limit_is_exact() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    recipient = dict(public_jwk(private.public_key()))
    ok = _jwe_with_header_length(recipient, MAX_JWE_HEADER_BYTES - 8)
    assert len(ok.split(".")[0]) <= MAX_JWE_HEADER_BYTES
    assert decrypt_compact(ok, private, expected_kid="k")[1] == b'{"ok":1}'
    over = _jwe_with_header_length(recipient, MAX_JWE_HEADER_BYTES + 1)
    assert _reason(lambda: decrypt_compact(over, private, expected_kid="k")) == "too_large"


# --- DCQL --------------------------------------------------------------------------------------


def _credential(i: int = 0, **extra: Any) -> dict[str, Any]:
    return {"id": f"c{i}", "format": "dc+sd-jwt", "meta": {"vct_values": ["https://vct.example/pid"]}, **extra}


def _claims(count: int) -> list[dict[str, Any]]:
    return [{"id": f"k{i}", "path": ["c", i]} for i in range(count)]


DCQL_LIMITS: dict[str, tuple[int, Any]] = {
    # name: (limit, builder of a query with ``n`` entries of that kind)
    "credentials": (dcql.MAX_CREDENTIALS, lambda n: {"credentials": [_credential(i) for i in range(n)]}),
    "claims": (dcql.MAX_CLAIMS, lambda n: {"credentials": [_credential(claims=_claims(n))]}),
    "claim_sets": (
        dcql.MAX_CLAIM_SETS,
        lambda n: {"credentials": [_credential(claims=_claims(2), claim_sets=[["k0"]] * n)]},
    ),
    "credential_sets": (
        dcql.MAX_CREDENTIAL_SETS,
        lambda n: {"credentials": [_credential()], "credential_sets": [{"options": [["c0"]]}] * n},
    ),
    "options": (
        dcql.MAX_OPTIONS,
        lambda n: {"credentials": [_credential()], "credential_sets": [{"options": [["c0"]] * n}]},
    ),
    "values": (
        dcql.MAX_VALUES,
        lambda n: {"credentials": [_credential(claims=[{"path": ["a"], "values": list(range(n))}])]},
    ),
    "vct_values": (
        dcql.MAX_VALUES,
        lambda n: {
            "credentials": [{"id": "c", "format": "dc+sd-jwt", "meta": {"vct_values": [f"v{i}" for i in range(n)]}}]
        },
    ),
    "path": (MAX_PATH_LENGTH, lambda n: {"credentials": [_credential(claims=[{"path": ["a"] * n}])]}),
    "id length": (dcql.MAX_ID_LENGTH, lambda n: {"credentials": [{**_credential(), "id": "c" * n}]}),
}


@pytest.mark.parametrize("kind", DCQL_LIMITS)
def test_dcql_limits_are_exact(kind: str) -> None:
    limit, build = DCQL_LIMITS[kind]
    assert dcql.parse_query(build(limit)).credentials
    assert _reason(lambda: dcql.parse_query(build(limit + 1))) == "invalid_query"


def test_dcql_json_size_limit_is_exact() -> None:
    query = json_dumps({"credentials": [_credential()]}).decode()
    ok = query[:-1] + " " * (dcql.MAX_QUERY_BYTES - len(query)) + "}"
    assert dcql.parse_query_json(ok).credential_ids == ("c0",)
    assert _reason(lambda: dcql.parse_query_json(ok + " ")) == "invalid_query"


# --- x5c ---------------------------------------------------------------------------------------


def test_x5c_limits_are_exact() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.fromtimestamp(NOW, UTC)
    cert = create_root_ca(
        key,
        common_name="Root",
        country="SG",
        organization="Lintas test",
        not_before=start,
        not_after=start + timedelta(days=1),
    )
    x5c = x5c_from_certificates([cert])
    assert len(parse_x5c(x5c * MAX_CHAIN_LENGTH)) == MAX_CHAIN_LENGTH
    assert _reason(lambda: parse_x5c(x5c * (MAX_CHAIN_LENGTH + 1))) == "too_many"
    assert len(x5c[0]) < MAX_CERTIFICATE_B64
    padded = base64.b64encode(b"\x00" * (MAX_CERTIFICATE_B64 // 4 * 3)).decode()
    assert _reason(lambda: parse_x5c([padded])) == "malformed"  # at the limit: decoded (and not a certificate)
    assert _reason(lambda: parse_x5c([padded + "AAAA"])) == "too_large"


# --- Token Status List -------------------------------------------------------------------------


def test_status_list_entry_limit_is_exact_for_the_declared_bits() -> None:
    max_entries = 1 << 20  # a deployment maximum: 128 KiB at 1 bit, 1 MiB at 8 bits
    for bits in (1, 8):
        ok = StatusList(bits, max_entries)
        ok.set(max_entries - 1, 1)
        decoded = StatusList.decode(ok.encode(), max_entries=max_entries)
        assert decoded.get(max_entries - 1) == 1
        over = StatusList(bits, max_entries + 8).encode()
        assert _reason(lambda o=over: StatusList.decode(o, max_entries=max_entries)) == "too_large"


def test_status_list_token_passes_the_entry_limit_through() -> None:
    signer = new_signer()
    key = signer.private_key.public_key()
    token = sign_status_list_token(StatusList(1, 1 << 16), sub="https://s.example/1", iat=NOW, signer=signer)

    def verify(max_entries: int) -> Any:
        return verify_status_list_token(
            token,
            key,
            algorithms=("ES256",),
            expected_sub="https://s.example/1",
            clock=FixedClock(NOW),
            max_entries=max_entries,
        )

    assert verify(1 << 16).status_list.size == 1 << 16
    assert _reason(lambda: verify((1 << 16) - 8)) == "too_large"


def test_limits_do_not_mutate_inputs() -> None:
    query = {"credentials": [_credential(i) for i in range(dcql.MAX_CREDENTIALS + 1)]}
    before = copy.deepcopy(query)
    assert _reason(lambda: dcql.parse_query(query)) == "invalid_query"
    assert query == before


# --- form bodies (idcore.oid4vp.response) ------------------------------------------------------


@settings(max_examples=200, derandomize=True, database=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=40), max_size=MAX_FORM_FIELDS))
def test_form_decoding_agrees_with_the_standard_library(fields: dict[str, str]) -> None:
    body = urlencode(fields).encode()
    assert parse_form(body) == dict(parse_qsl(body.decode(), keep_blank_values=True))


def test_form_field_limit_is_exact() -> None:
    fields = {f"f{i}": "v" for i in range(MAX_FORM_FIELDS)}
    assert len(parse_form(urlencode(fields).encode())) == MAX_FORM_FIELDS
    assert _reason(lambda: parse_form(urlencode({**fields, "one": "more"}).encode())) == "too_many"
