"""The trust-framework interface: one question, asked the same way whatever answers it.

"Is this issuer key (or certificate chain) trusted for this credential type, from this country,
for a credential issued at this time, judged now, and why?"

draft-ietf-oauth-sd-jwt-vc Section 3.5 ("Issuer Verification Key Discovery and Validation")
and ISO/IEC 18013-5:2021 Section 9.3.3 leave the trust anchoring of an issuer's key to the
ecosystem; HAIP 1.0 Section 6.1.1 ("Issuer identification and key resolution") asks that the
key come from an ``x5c`` chain validated to an anchor the ecosystem names. A
:class:`TrustFramework` is that ecosystem rule, behind one method, :meth:`TrustFramework.judge`:

* the **format verifier** (SD-JWT VC, mdoc) collects the :class:`IssuerEvidence` from the
  credential: who claims to have issued it, the key material it presents, its type, the
  claimed country, its issuance time, and the verification time;
* the **framework** (the signed ASEAN trust list today, :class:`idcore.trust.asean_list.AseanTrustList`;
  OpenID Federation, ETSI trusted lists or mutual recognition later) answers with a
  :class:`TrustJudgement`: trusted or not, a stable :class:`~idcore.errors.Reason`, the matched
  issuer record, the key the credential's signature must verify with, and a "why" for logs.

The judgement comes in two grades, so that a refusal says where it happened (the verifier's
``issuer_signature`` and ``registry_authorisation`` checks):

* ``key is None``: the issuer's key could not be established (issuer unknown, chain invalid or
  not reaching the issuer's anchors, leaf not naming the issuer). Nothing is known about who
  signed; the format verifier refuses before looking at the signature.
* ``key`` set but ``trusted`` False: the key is the listed issuer's, but the issuer is not
  authorised for this type at this time (not listed for the type, suspended or withdrawn at
  issuance, key compromised, withdrawn for cause, country mismatch). The format verifier first
  checks the signature with ``key`` (a forgery is a forgery, whatever the list says), then refuses.

A framework never raises for a negative answer; it raises :class:`~idcore.errors.TrustError`
only when it cannot answer at all (e.g. a stale list), and every caller fails closed then.
A framework with no entries trusts nobody.

Implementing a new framework: write a class with ``judge(evidence) -> TrustJudgement``; put the
reasons it can give in its docstring (existing :class:`~idcore.errors.Reason` codes where they
fit, new ones added to that enum); give the key only once the key material is tied to
``evidence.issuer_id`` by the framework's own rule; judge ``evidence.issued_at`` for
authorisation at issuance and ``evidence.at`` for withdrawals and compromises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from idcore.errors import Reason, TrustError
from idcore.jwk import PublicKey

__all__ = [
    "FORMAT_MDOC",
    "FORMAT_SD_JWT_VC",
    "IssuerEvidence",
    "TrustFramework",
    "TrustJudgement",
    "TrustedIssuer",
]

#: Credential format identifiers (OpenID4VP 1.0 Appendix B: ``dc+sd-jwt`` B.3, ``mso_mdoc`` B.2).
FORMAT_SD_JWT_VC = "dc+sd-jwt"
FORMAT_MDOC = "mso_mdoc"


@dataclass(frozen=True, slots=True)
class IssuerEvidence:
    """What a credential says about its issuer; nothing here is trusted until a framework judges it.

    * ``format``: :data:`FORMAT_SD_JWT_VC` or :data:`FORMAT_MDOC` (selects the certificate profile);
    * ``issuer_id``: the issuer identifier (SD-JWT VC ``iss``; for mdoc the Document Signer
      certificate's URI subject alternative name), or ``None`` when the credential names none;
    * ``credential_type``: the ``vct`` or the mdoc ``docType``;
    * ``x5c``: the presented chain, leaf first, each certificate standard base64 DER
      (RFC 7515 Section 4.1.6; an mdoc ``x5chain`` is given in the same form), or ``None``;
    * ``key_id``: the JOSE ``kid``, for key discovery without a chain (issuer metadata);
    * ``country``: the issuing country the credential claims (ISO 3166-1 alpha-2), if any;
    * ``issued_at``: when the issuer says it issued (``iat``, MSO ``validityInfo.signed``);
    * ``at``: the verification time. All times are seconds since the epoch.
    """

    format: str
    issuer_id: str | None
    credential_type: str
    issued_at: int
    at: int
    x5c: tuple[str, ...] | None = None
    key_id: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """The issuer record a framework matched: identifier, country, assurance level and names."""

    issuer_id: str
    country: str
    assurance_level: str
    #: Display names by language tag (BCP 47), e.g. ``{"en": ..., "ms": ...}``.
    names: Mapping[str, str] = field(default_factory=dict)

    def name(self, language: str = "en") -> str:
        """The name in ``language``, else any name, else the identifier."""
        return self.names.get(language) or next(iter(self.names.values()), self.issuer_id)


@dataclass(frozen=True, slots=True)
class TrustJudgement:
    """A framework's answer; see the module docstring for the two grades of refusal.

    ``trusted`` implies ``reason is None`` and that ``key`` and ``issuer`` are set.
    """

    trusted: bool
    reason: Reason | None
    why: str
    key: PublicKey | None = None
    issuer: TrustedIssuer | None = None
    framework: str = ""

    def __post_init__(self) -> None:
        # A judgement that says "trusted" without the facts behind it would be a check that cannot fail.
        if self.trusted and (self.reason is not None or self.key is None or self.issuer is None):
            raise ValueError("a trusted judgement needs a key and an issuer, and no reason")
        if not self.trusted and self.reason is None:
            raise ValueError("a refusal needs a reason")

    @property
    def key_established(self) -> bool:
        """Whether the key material was tied to the issuer (refusals with a key are authorisation refusals)."""
        return self.key is not None

    def error(self) -> TrustError:
        """The refusal as an exception, for callers that raise (``trusted`` must be False)."""
        if self.trusted or self.reason is None:
            raise ValueError("only a refusal becomes an error")
        return TrustError(self.reason, self.why)

    @classmethod
    def refuse(cls, reason: Reason, why: str, *, framework: str = "") -> TrustJudgement:
        """A refusal before any key was established (unknown issuer, invalid chain, ...)."""
        return cls(False, reason, why, framework=framework)


@runtime_checkable
class TrustFramework(Protocol):
    """Answers the trust question for one verification (a snapshot: the same answers throughout)."""

    def judge(self, evidence: IssuerEvidence) -> TrustJudgement:
        """Judge ``evidence``; return a judgement for every answer, raise TrustError only when unable to answer."""
        ...
