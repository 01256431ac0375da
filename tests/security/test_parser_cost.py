"""Issue 12 class 1: every parser refuses a worst-case hostile input at (or just over) a body cap cheaply.

For each parser one input shaped to cost the most work per byte, as large as the verifier's
2 MiB body cap (or just over a limit). Each must be refused with its reason code, and the
parser's own peak allocation (tracemalloc) must stay within 4x the input — the work is refused
before it is done, not after. The within-limit twins are in ``test_parser_limits.py``.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from idcore.b64 import MAX_JSON_DEPTH, MAX_JSON_VALUES, b64u_encode, json_dumps, json_loads
from idcore.dcql import parse_query, parse_query_json
from idcore.jose import parse_compact, sign_compact
from idcore.oid4vp.jwe import MAX_JWE_BYTES, decrypt_compact, protected_header
from idcore.ports import FixedClock
from idcore.sdjwt import parse_presentation, verify_sd_jwt
from idcore.sdjwt.verification import MAX_DIGESTS
from idcore.status_list import DEFAULT_MAX_DECOMPRESSED_BYTES, StatusList, verify_status_list_token
from idcore.x509 import parse_x5c
from tests.security.parser_helpers import (
    VERIFIER_BODY_CAP,
    assert_refused_cheaply,
    digests_of,
    disclosure,
    new_signer,
    options,
    sd_jwt,
)

CAP = VERIFIER_BODY_CAP
#: Lets the hostile input past the overall size check, so the specific limit under test is reached.
ROOMY = 4 * CAP


def _fill(unit: str, prefix: str = "[", suffix: str = "]") -> str:
    """``prefix + unit,unit,... + suffix`` as close to CAP characters as fits."""
    count = (CAP - len(prefix) - len(suffix)) // (len(unit) + 1)
    return prefix + ",".join([unit] * count) + suffix


# --- nested JSON (idcore.b64.json_loads) ------------------------------------------------------


def test_json_of_empty_containers_is_too_many() -> None:
    text = _fill("{}").encode()
    assert_refused_cheaply(lambda: json_loads(text), "too_many", len(text))


def test_json_of_short_strings_is_too_many() -> None:
    text = _fill('"ab"')  # a new 51-byte str per 5 input bytes, had it been parsed
    assert_refused_cheaply(lambda: json_loads(text), "too_many", len(text))


def test_json_nested_to_the_cap_is_too_deep() -> None:
    text = "[" * (CAP // 2) + "]" * (CAP // 2)
    assert_refused_cheaply(lambda: json_loads(text), "too_deep", len(text))


def test_json_with_a_megabyte_string_of_escapes_costs_no_regex_backtracking() -> None:
    text = '["' + '\\"' * (CAP // 2) + '"' + ",0" * MAX_JSON_VALUES + "]"  # walked, not backtracked
    outcome = assert_refused_cheaply(lambda: json_loads(text), "too_many", len(text), factor=1)
    assert outcome.peak < 64 * 1024


def test_json_deep_past_the_limit_inside_a_large_document_is_too_deep() -> None:
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    text = '{"padding":"' + "x" * (CAP - 100) + '","deep":' + deep + "}"
    assert_refused_cheaply(lambda: json_loads(text), "too_deep", len(text))


# --- JWS compact (idcore.jose) -----------------------------------------------------------------


def test_jws_over_the_size_limit_is_refused_before_splitting() -> None:
    token = "e" * CAP + ".e.e"
    assert_refused_cheaply(lambda: parse_compact(token), "too_large", len(token))


def test_jws_of_separators_is_refused_before_splitting() -> None:
    token = "." * CAP  # split() would build a list of 2M pointers (8x the input)
    assert_refused_cheaply(lambda: parse_compact(token, max_bytes=ROOMY), "malformed", len(token))


def test_jws_with_a_huge_protected_header_is_refused_before_decoding() -> None:
    header = b64u_encode(json_dumps({"alg": "ES256", "x5c": ["A" * (CAP - 100)]}))
    token = f"{header}.e30.AA"
    assert_refused_cheaply(lambda: parse_compact(token, max_bytes=ROOMY), "too_large", len(token))


# --- SD-JWT compact and its Disclosures (idcore.sdjwt) -----------------------------------------


def test_sd_jwt_of_empty_disclosures_is_too_many() -> None:
    presentation = "e.e.e" + "~" * CAP
    call = lambda: verify_sd_jwt(presentation, new_signer().private_key.public_key(), options(ROOMY))  # noqa: E731
    assert_refused_cheaply(call, "too_many", len(presentation))


def test_sd_jwt_of_tiny_disclosures_is_too_many() -> None:
    presentation = "e.e.e~" + "ab~" * (CAP // 3)  # one 51-byte str per 3 input bytes, had it been split
    call = lambda: parse_presentation(presentation, max_bytes=ROOMY)  # noqa: E731
    assert_refused_cheaply(call, "too_many", len(presentation))


def test_sd_jwt_with_one_huge_disclosure_is_too_large() -> None:
    presentation = "e.e.e~" + "A" * CAP + "~"
    call = lambda: parse_presentation(presentation, max_bytes=ROOMY)  # noqa: E731
    assert_refused_cheaply(call, "too_large", len(presentation))


def test_sd_jwt_over_the_presentation_limit_is_too_large() -> None:
    presentation = "e.e.e~" + "A" * CAP + "~"
    assert_refused_cheaply(lambda: parse_presentation(presentation), "too_large", len(presentation))


def test_signed_payload_full_of_decoy_digests_is_too_many() -> None:
    """A (compromised or careless) issuer's payload with more digests than any credential needs.

    This one gets through the signature check, so the verifier has legitimately held the
    signing input, the decoded payload and its JSON objects (one 92-byte str per 46-byte
    digest) before the digest limit refuses it: measured ~5x, hence a budget of 6x.
    """
    signer = new_signer()
    decoys = [b64u_encode(i.to_bytes(32, "big")) for i in range(MAX_DIGESTS + 1)]
    presentation = sd_jwt(signer, {"_sd": decoys})
    key = signer.private_key.public_key()
    call = lambda: verify_sd_jwt(presentation, key, options())  # noqa: E731
    assert_refused_cheaply(call, "too_many", len(presentation), factor=6)


def test_disclosures_nested_inside_each_other_are_too_deep() -> None:
    """Each Disclosure's value holds the next one's digest: the depth grows past any JSON limit."""
    signer = new_signer()
    chain: list[str] = [disclosure("s0", "leaf", 1)]
    for level in range(1, 40):
        chain.append(disclosure(f"s{level}", f"l{level}", {"_sd": digests_of(chain[-1:])}))
    presentation = sd_jwt(signer, {"_sd": digests_of(chain[-1:])}, chain)
    key = signer.private_key.public_key()
    assert_refused_cheaply(
        lambda: verify_sd_jwt(presentation, key, options()), "too_deep", len(presentation), extra=64 * 1024
    )  # a 10 kB input: allow the fixed cost of a verification


# --- SD-JWT in JWS JSON serialisation (RFC 9901 Section 8) -------------------------------------


def _many_signatures(payload_size: int, count: int) -> dict[str, Any]:
    entry = {"protected": "eyJhbGciOiJFUzI1NiJ9", "signature": "A" * 86}
    return {"payload": "e" * payload_size, "signatures": [{**entry, "header": {}} for _ in range(count)]}


def test_jws_json_with_thousands_of_signatures_is_too_many_before_any_copy() -> None:
    """The attack of issue 12: ~2 MiB, each signature entry used to cost one copy of the payload."""
    hostile = _many_signatures(100_000, (CAP - 100_000) // 160)
    size = len(json.dumps(hostile))
    assert size <= CAP
    assert_refused_cheaply(lambda: parse_presentation(hostile), "too_many", size)
    text = json.dumps(hostile)  # the same as a string: the JSON value limit or the signature limit
    assert_refused_cheaply(lambda: parse_presentation(text, max_bytes=ROOMY), "too_many", len(text))


def test_jws_json_with_two_signatures_over_a_large_payload_is_refused_without_copying() -> None:
    hostile = _many_signatures(CAP - 1000, 2)
    assert_refused_cheaply(lambda: parse_presentation(hostile), "too_many", CAP // 64)


def test_jws_json_over_the_size_limit_is_too_large_before_copying() -> None:
    hostile = _many_signatures(CAP, 1)
    assert_refused_cheaply(lambda: parse_presentation(hostile), "too_large", CAP // 64)


# --- JWE (idcore.oid4vp.jwe) -------------------------------------------------------------------


def test_jwe_over_the_size_limit_is_too_large() -> None:
    token = "e" * (MAX_JWE_BYTES + 1) + "...."
    key = ec.generate_private_key(ec.SECP256R1())
    assert_refused_cheaply(lambda: decrypt_compact(token, key), "too_large", len(token))


def test_jwe_header_at_the_cap_is_refused_after_reading_4_kib() -> None:
    token = b64u_encode(json_dumps({"kid": "k" * CAP})) + "....."
    assert_refused_cheaply(lambda: protected_header(token), "too_large", 16 * 1024)


def test_jwe_of_separators_is_malformed_before_splitting() -> None:
    token = "." * (MAX_JWE_BYTES - 1)
    key = ec.generate_private_key(ec.SECP256R1())
    assert_refused_cheaply(lambda: decrypt_compact(token, key), "malformed", len(token))


# --- DCQL (idcore.dcql) ------------------------------------------------------------------------


def test_dcql_with_thousands_of_credential_queries_is_invalid_before_reading_them() -> None:
    query = {
        "credentials": [{"id": f"c{i}", "format": "dc+sd-jwt", "meta": {"vct_values": ["x"]}} for i in range(CAP // 64)]
    }
    assert_refused_cheaply(lambda: parse_query(query), "invalid_query", 64 * 1024)
    text = json.dumps(query)
    assert_refused_cheaply(lambda: parse_query_json(text), "invalid_query", len(text))


def test_dcql_with_a_huge_claims_array_is_invalid_before_reading_it() -> None:
    claims = [{"path": ["a", i]} for i in range(CAP // 16)]
    query = {"credentials": [{"id": "c", "format": "dc+sd-jwt", "meta": {"vct_values": ["x"]}, "claims": claims}]}
    assert_refused_cheaply(lambda: parse_query(query), "invalid_query", 64 * 1024)


# --- x5c (idcore.x509) -------------------------------------------------------------------------


def test_x5c_with_thousands_of_entries_is_too_many() -> None:
    x5c = ["MIIB"] * (CAP // 8)
    assert_refused_cheaply(lambda: parse_x5c(x5c), "too_many", 64 * 1024)


def test_x5c_with_one_huge_entry_is_too_large_before_decoding() -> None:
    x5c = [base64.b64encode(b"\x30" * (CAP * 3 // 4)).decode()]
    assert_refused_cheaply(lambda: parse_x5c(x5c), "too_large", 64 * 1024)


# --- Token Status List and its decompression (idcore.status_list) ------------------------------


def _bomb(inflated: int) -> bytes:
    """A ZLIB stream of ``inflated`` zero bytes, built in chunks (never held inflated here)."""
    compressor, chunk, out = zlib.compressobj(9), bytes(1 << 20), []
    for _ in range(inflated >> 20):
        out.append(compressor.compress(chunk))
    out.append(compressor.flush())
    return b"".join(out)


def test_status_list_zlib_bomb_inflates_no_further_than_the_cap() -> None:
    bomb = _bomb(1 << 30)  # 1 GiB of zeros in ~1 MB of ZLIB
    obj = {"bits": 1, "lst": b64u_encode(bomb)}
    cap = min(DEFAULT_MAX_DECOMPRESSED_BYTES, (1 << 24) // 8)  # 2^24 one-bit entries: 2 MiB
    assert_refused_cheaply(lambda: StatusList.decode(obj), "too_large", len(obj["lst"]), extra=cap)


def test_status_list_token_over_the_size_limit_is_too_large_before_decoding() -> None:
    signer = new_signer()
    token = sign_compact({"typ": "statuslist+jwt"}, {"sub": "https://s.example/1", "pad": "x" * CAP}, signer)
    key = signer.private_key.public_key()

    def call() -> object:
        return verify_status_list_token(
            token, key, algorithms=("ES256",), expected_sub="https://s.example/1", clock=FixedClock(0)
        )

    assert_refused_cheaply(call, "too_large", len(token))
