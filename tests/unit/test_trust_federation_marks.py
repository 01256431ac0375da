"""Trust marks (idcore.trust.federation_marks): the anchor's "recognised PID issuer" mark is recognised
and can be required; every broken mark is ignored (and then missing), never trusted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from idcore.errors import Reason
from idcore.jose import sign_compact
from idcore.trust.federation import FederationTrust, resolve_chain
from idcore.trust.federation_marks import sign_trust_mark

from .federation_helpers import LEAF, MARK, NOW, TA, Entity, Federation
from .test_trust_federation import evidence


def with_mark(make: Callable[[Federation], str], mark_type: str = MARK) -> Federation:
    fed = Federation()
    fed.marks = [{"trust_mark_type": mark_type, "trust_mark": make(fed)}]
    fed.publish()
    return fed


def by_anchor(fed: Federation, **changes: Any) -> str:
    claims = {"iss": TA, "sub": LEAF, "mark_type": MARK, "iat": NOW - 5, "exp": NOW + 600, **changes}
    return sign_trust_mark(
        claims["iss"], claims["sub"], claims["mark_type"], claims["iat"], claims["exp"], fed.ta.signer, fed.ta.kid
    )


def test_an_anchor_issued_mark_is_recognised_and_can_be_required() -> None:
    fed = with_mark(by_anchor)
    assert resolve_chain(LEAF, fed.anchor, fed.fetch, NOW).trust_marks == {MARK}
    required = FederationTrust(fed.anchor, fed.fetch, required_marks=frozenset({MARK}))
    assert required.judge(evidence(fed)).trusted


def test_without_the_mark_a_requiring_verifier_refuses() -> None:
    fed = Federation()
    assert FederationTrust(fed.anchor, fed.fetch).judge(evidence(fed)).trusted  # not required: trusted
    judgement = FederationTrust(fed.anchor, fed.fetch, required_marks=frozenset({MARK})).judge(evidence(fed))
    assert judgement.reason is Reason.TRUST_MARK_MISSING
    assert judgement.key_established


BROKEN: dict[str, Callable[[Federation], str]] = {
    "another key": lambda f: sign_trust_mark(TA, LEAF, MARK, NOW - 5, NOW + 600, Entity(TA).signer, f.ta.kid),
    "about another entity": lambda f: by_anchor(f, sub="https://issuers.example/vn"),
    "expired": lambda f: by_anchor(f, exp=NOW),
    "issued in the future": lambda f: by_anchor(f, iat=NOW + 60),
    "by another issuer": lambda f: by_anchor(f, iss="https://registry.th.example"),
    "type the anchor does not list": lambda f: by_anchor(f, mark_type="https://other.example/mark"),
    "wrong typ": lambda f: sign_compact(
        {"typ": "JWT", "kid": f.ta.kid},
        {"iss": TA, "sub": LEAF, "trust_mark_type": MARK, "iat": NOW - 5, "exp": NOW + 600},
        f.ta.signer,
    ),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_broken_marks_are_ignored(broken: str) -> None:
    fed = with_mark(BROKEN[broken])
    assert resolve_chain(LEAF, fed.anchor, fed.fetch, NOW).trust_marks == frozenset()  # the chain itself is valid
    judgement = FederationTrust(fed.anchor, fed.fetch, required_marks=frozenset({MARK})).judge(evidence(fed))
    assert judgement.reason is Reason.TRUST_MARK_MISSING


def test_a_mark_a_few_seconds_ahead_is_clock_skew() -> None:
    fed = with_mark(lambda f: by_anchor(f, iat=NOW + 5))  # signed per request by an anchor whose clock is 5 s ahead
    assert resolve_chain(LEAF, fed.anchor, fed.fetch, NOW).trust_marks == {MARK}
    beyond = with_mark(lambda f: by_anchor(f, iat=NOW + 31))  # twin: beyond the bounded skew
    assert resolve_chain(LEAF, beyond.anchor, beyond.fetch, NOW).trust_marks == frozenset()


def test_entry_type_must_match_the_mark() -> None:
    fed = with_mark(by_anchor, mark_type="https://other.example/mark")
    assert resolve_chain(LEAF, fed.anchor, fed.fetch, NOW).trust_marks == frozenset()
