"""The demo governance file and the first list built from it.

``trust_registry/seed/asean.json`` (format ``lintas-governance-seed/1``) names the scheme
operator, every member state with its national root (subject names only) and its issuers:
a seed ``slug`` (the directory of its key material), an identifier template using
``{issuer_base}`` (see :meth:`RegistrySettings.issuer_id`), names in English and the local
language, service types, ``vct`` values and assurance level. It holds no key: keys and
certificates are generated on first start by :mod:`trust_registry.pki`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from idcore.errors import TrustError
from idcore.trust.assurance import AssuranceDeclaration
from idcore.trust.limits import check_issuer_binding
from idcore.trust.model import CountryEntry, IssuerEntry, SchemeOperator, TrustList, check_identifier
from trust_registry.pki import ensure_country_root, ensure_issuer
from trust_registry.settings import RegistrySettings

__all__ = ["SEED_FORMAT", "build_initial_list", "load_seed", "seed_declarations"]

SEED_FORMAT = "lintas-governance-seed/1"


def load_seed(path: Path) -> dict[str, Any]:
    """Read a governance seed file; ``ValueError`` if it is not one."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("format") != SEED_FORMAT or not isinstance(doc.get("countries"), list):
        raise ValueError(f"{path} is not a {SEED_FORMAT} file")
    return doc


def _issuer(settings: RegistrySettings, spec: dict[str, Any], code: str, now: int) -> tuple[str, dict[str, Any]]:
    issuer_id = settings.issuer_id(spec["slug"], spec["id"], code)
    try:
        check_identifier(issuer_id, allow_loopback_http=settings.development)
    except TrustError as exc:
        raise ValueError(f"seed issuer {spec['slug']}: {exc.detail}") from None
    problem = check_issuer_binding(issuer_id, code)  # the seed obeys the rules governance enforces
    if problem is not None:
        raise ValueError(f"seed issuer {spec['slug']}: {problem}")
    body = {k: spec[k] for k in ("names", "service_types", "vcts", "assurance_level")}
    return spec["slug"], {"id": issuer_id, **body, "status_history": [{"status": "granted", "since": now}]}


def _country(settings: RegistrySettings, spec: dict[str, Any], now: int) -> CountryEntry:
    code, days, data = spec["code"], settings.certificate_days, settings.data_dir
    root = ensure_country_root(data, code, now=now, days=days, **spec["root"])
    issuers = []
    for issuer_spec in spec.get("issuers", []):
        slug, body = _issuer(settings, issuer_spec, code, now)
        entry = IssuerEntry.from_json(body, code, allow_loopback_http=settings.development)
        material = {"id": entry.issuer_id, "country": code, "vcts": list(entry.vcts), "names": dict(entry.names)}
        ensure_issuer(data, slug, issuer=material, root=root, now=now, days=days)
        issuers.append(entry)
    anchor = base64.b64encode(root[1].public_bytes(Encoding.DER)).decode("ascii")
    return CountryEntry.from_json(
        {"code": code, "names": spec["names"], "anchors": [anchor], "issuers": [i.to_json() for i in issuers]},
        allow_loopback_http=settings.development,
    )


def build_initial_list(settings: RegistrySettings, seed: dict[str, Any], *, now: int) -> TrustList:
    """The list before its first publication (sequence 0), generating key material as needed."""
    operator = SchemeOperator(dict(seed["scheme_operator"]["names"]), settings.public_url.rstrip("/"))
    countries = tuple(_country(settings, spec, now) for spec in seed["countries"])
    return TrustList(0, now, now + settings.list_validity, operator, countries)


def seed_declarations(settings: RegistrySettings, seed: dict[str, Any]) -> tuple[AssuranceDeclaration, ...]:
    """Each seeded issuer's national assurance declaration (issue #16 item 5).

    ``national_assurance: {framework, level}`` in the seed names a documented framework of
    :mod:`idcore.trust.assurance`; without it, the issuer declares its level in its country's
    ``<cc>-declared`` placeholder framework (an assumption, shown as such in the published list).
    """
    declarations = []
    for country in seed["countries"]:
        code = country["code"]
        for spec in country.get("issuers", []):
            issuer_id = settings.issuer_id(spec["slug"], spec["id"], code)
            declared = spec.get("national_assurance") or {
                "framework": f"{code.lower()}-declared",
                "level": spec["assurance_level"],
            }
            raw = {"issuer": issuer_id, "framework": declared["framework"], "national_level": declared["level"]}
            try:
                declaration = AssuranceDeclaration.from_json(raw, code)
            except TrustError as exc:
                raise ValueError(f"seed issuer {spec['slug']}: {exc.detail}") from None
            if declaration.common != spec["assurance_level"]:
                raise ValueError(f"seed issuer {spec['slug']}: its national level maps to {declaration.common}")
            declarations.append(declaration)
    return tuple(declarations)
