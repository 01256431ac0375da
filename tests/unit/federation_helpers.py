"""A small OpenID Federation built in memory for the tests: keys generated per test, never stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from idcore.jose import KeySigner
from idcore.jwk import jwk_thumbprint
from idcore.trust.federation import WELL_KNOWN_PATH, TrustAnchor, sign_entity_statement

NOW = 1_800_000_000
TA = "https://registry.example"
TH = "https://registry.th.example"
LEAF = "https://issuers.example/th"
VCT = "https://lintas.asean.example/vct/pid/v1"


@dataclass
class Entity:
    entity_id: str
    signer: KeySigner = field(default_factory=lambda: KeySigner(ec.generate_private_key(ec.SECP256R1())))

    @property
    def jwk(self) -> dict[str, Any]:
        jwk = dict(self.signer.public_jwk)
        return {**jwk, "kid": jwk_thumbprint(jwk)}

    @property
    def kid(self) -> str:
        return str(self.jwk["kid"])

    def sign(self, claims: dict[str, Any]) -> str:
        return sign_entity_statement(claims, self.signer, self.kid)


def statement(iss: Entity, sub: Entity, **extra: Any) -> dict[str, Any]:
    return {
        "iss": iss.entity_id,
        "sub": sub.entity_id,
        "iat": NOW - 10,
        "exp": NOW + 600,
        "jwks": {"keys": [sub.jwk]},
        **extra,
    }


MARK = "https://lintas.asean.example/trust-marks/recognised-pid-issuer"


def authority(entity: Entity, hints: list[str] | None = None) -> dict[str, Any]:
    meta = {"federation_entity": {"federation_fetch_endpoint": f"{entity.entity_id}/fetch"}}
    claims = statement(entity, entity, metadata=meta)
    if hints:
        claims["authority_hints"] = hints
    else:  # the anchor: it issues the scheme's trust marks itself
        claims["trust_mark_issuers"] = {MARK: [entity.entity_id]}
    return claims


@dataclass
class Federation:
    """TA -> TH registry (intermediate) -> TH PID issuer (leaf); the documents each one serves."""

    ta: Entity = field(default_factory=lambda: Entity(TA))
    th: Entity = field(default_factory=lambda: Entity(TH))
    leaf: Entity = field(default_factory=lambda: Entity(LEAF))
    credential_key: Entity = field(default_factory=lambda: Entity("credential-key"))
    served: dict[str, str] = field(default_factory=dict)
    marks: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.publish()

    def leaf_configuration(self, **changes: Any) -> dict[str, Any]:
        metadata = {
            "openid_credential_issuer": {
                "credential_issuer": LEAF,
                "jwks": {"keys": [self.credential_key.jwk]},
                "lintas_vcts": [VCT, "https://other.example/vct"],
            }
        }
        claims = statement(self.leaf, self.leaf, metadata=metadata, authority_hints=[TH])
        if self.marks:
            claims["trust_marks"] = self.marks
        return {**claims, **changes}

    def ta_about_th(self, **changes: Any) -> dict[str, Any]:
        policy = {
            "openid_credential_issuer": {
                "lintas_country": {"value": "TH"},
                "lintas_vcts": {"subset_of": [VCT], "essential": True},
            }
        }
        return {**statement(self.ta, self.th, metadata_policy=policy), **changes}

    def th_about_leaf(self, **changes: Any) -> dict[str, Any]:
        policy = {"openid_credential_issuer": {"lintas_assurance_level": {"value": "high"}}}
        return {**statement(self.th, self.leaf, metadata_policy=policy), **changes}

    def publish(self) -> None:
        self.served = {
            LEAF + WELL_KNOWN_PATH: self.leaf.sign(self.leaf_configuration()),
            TH + WELL_KNOWN_PATH: self.th.sign(authority(self.th, [TA])),
            TA + WELL_KNOWN_PATH: self.ta.sign(authority(self.ta)),
            f"{TH}/fetch?sub=https%3A%2F%2Fissuers.example%2Fth": self.th.sign(self.th_about_leaf()),
            f"{TA}/fetch?sub=https%3A%2F%2Fregistry.th.example": self.ta.sign(self.ta_about_th()),
        }

    def fetch(self, url: str) -> bytes | None:
        token = self.served.get(url)
        return token.encode() if token is not None else None

    @property
    def anchor(self) -> TrustAnchor:
        return TrustAnchor(TA, (self.ta.jwk,))

    def chain(self) -> list[str]:
        """The chain in order: leaf configuration, TH about leaf, TA about TH, TA configuration."""
        s = self.served
        return [
            s[LEAF + WELL_KNOWN_PATH],
            s[f"{TH}/fetch?sub=https%3A%2F%2Fissuers.example%2Fth"],
            s[f"{TA}/fetch?sub=https%3A%2F%2Fregistry.th.example"],
            s[TA + WELL_KNOWN_PATH],
        ]
