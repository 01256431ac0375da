"""The ISO mdoc credentials the issuers offer: the mDL and the ASEAN PID as an mdoc.

* mDL: ISO/IEC 18013-5:2021 Section 7.2.1 (doctype ``org.iso.18013.5.1.mDL``, namespace
  ``org.iso.18013.5.1``, data elements of Table 5 with ``birth_date``/``issue_date``/``expiry_date``
  as ``full-date`` and ``driving_privileges`` per Section 7.2.4). The source is a person's
  ``driving_licence`` register entry (:mod:`issuer.subjects`), names in the Latin script as the
  licence prints them; names in another script go to the ``*_national_character`` elements.
  ``portrait`` is listed (optional) but never issued: the demo registers hold no photographs.
* PID as mdoc: ``org.asean.lintas.pid.1``, namespace of the same name. This is our own doctype
  (no ASEAN-wide mdoc PID doctype exists; it is shaped like the EU's ``eu.europa.ec.eudi.pid.1``)
  carrying the claims of the ASEAN PID SD-JWT (:mod:`issuer.types_pid`), top-level elements only;
  a partial birth date is issued as ``age_birth_year`` rather than a made-up ``birth_date``.

Every element of both namespaces is labelled in all 12 locales of the SD-JWT VC type metadata
(:func:`issuer.types_pid.mdoc_element_labels`), shown by wallets from the issuer metadata's
``credential_metadata.claims[].display`` (OpenID4VCI 1.0 Appendix A.2.2 and B.2).

Each :class:`MdocConfiguration` is one OpenID4VCI ``mso_mdoc`` credential configuration
(Appendix A.2) with its own scope; its :meth:`~MdocConfiguration.elements` returns ``None`` for a
subject the register has nothing for (no licence, an expired licence, no full birth date).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from idcore.asean.pid import derived_claims
from idcore.mdoc.cbor import full_date
from idcore.oid4vci.metadata import ClaimDefinition, MdocType
from issuer.subjects import Subject
from issuer.types_pid import mdoc_element_labels, type_names

__all__ = [
    "MDL_CONFIG",
    "MDL_COUNTRIES",
    "MDL_DOCTYPE",
    "MDL_NAMESPACE",
    "PID_MDOC_CONFIG",
    "PID_MDOC_DOCTYPE",
    "MdocConfiguration",
    "mdoc_configurations",
]

MDL_DOCTYPE = "org.iso.18013.5.1.mDL"
MDL_NAMESPACE = "org.iso.18013.5.1"
#: Our own doctype (see the module docstring); its one namespace has the same name.
PID_MDOC_DOCTYPE = "org.asean.lintas.pid.1"
#: Member states whose PID issuer also offers the mDL (the demo's licence registers).
MDL_COUNTRIES = frozenset({"TH", "MY"})
#: UN distinguishing signs (1968 Vienna Convention) of the countries above, Table 5 element.
_UN_SIGNS = {"TH": "T", "MY": "MAL", "SG": "SGP"}


def _definitions(namespace: str, elements: tuple[str, ...], mandatory: frozenset[str]) -> tuple[ClaimDefinition, ...]:
    return tuple(ClaimDefinition((namespace, e), mdoc_element_labels(e), mandatory=e in mandatory) for e in elements)


@dataclass(frozen=True)
class MdocConfiguration:
    """One ``mso_mdoc`` credential configuration: id, scope, type and how a subject's elements are built."""

    configuration_id: str
    scope: str
    mtype: MdocType
    namespace: str
    validity_days: int
    build: Callable[[Subject, date], dict[str, Any] | None]

    @property
    def doctype(self) -> str:
        """The ``docType`` of the MSO and of the configuration."""
        return self.mtype.doctype

    def elements(self, subject: Subject, today: date) -> dict[str, dict[str, Any]] | None:
        """namespace -> element -> CBOR-ready value for ``subject`` on ``today``, or ``None``."""
        built = self.build(subject, today)
        return None if built is None else {self.namespace: built}


def _full_birth(claims: Mapping[str, Any]) -> date | None:
    value = str(claims.get("birthdate", ""))
    return date.fromisoformat(value) if len(value) == 10 else None


def _national(claims: Mapping[str, Any], elements: dict[str, Any]) -> None:
    if claims.get("name_script") not in (None, "Latn"):
        for name in ("family_name", "given_name"):
            if isinstance(claims.get(name), str):
                elements[f"{name}_national_character"] = claims[name]


def _privileges(licence: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "vehicle_category_code": p["vehicle_category_code"],
            **{k: full_date(date.fromisoformat(p[k])) for k in ("issue_date", "expiry_date") if k in p},
        }
        for p in licence["driving_privileges"]
    ]


def _mdl_elements(subject: Subject, today: date) -> dict[str, Any] | None:
    licence, birth = subject.driving_licence, _full_birth(subject.claims)
    if licence is None or birth is None or date.fromisoformat(licence["expiry_date"]) <= today:
        return None
    derived = derived_claims(subject.claims, today)
    elements: dict[str, Any] = {
        "family_name": licence["family_name"],
        "given_name": licence["given_name"],
        "birth_date": full_date(birth),
        "issue_date": full_date(date.fromisoformat(licence["issue_date"])),
        "expiry_date": full_date(date.fromisoformat(licence["expiry_date"])),
        "issuing_country": subject.country,
        "issuing_authority": licence["issuing_authority"],
        "document_number": licence["document_number"],
        "driving_privileges": _privileges(licence),
        "age_over_18": derived["age_over_18"],
        "age_over_21": derived["age_over_21"],
    }
    if subject.country in _UN_SIGNS:
        elements["un_distinguishing_sign"] = _UN_SIGNS[subject.country]
    _national(subject.claims, elements)
    return elements


_PID_COPIED = (
    "full_name",
    "full_name_latin",
    "name_script",
    "name_order",
    "given_name",
    "family_name",
    "patronymic",
    "place_of_birth",
    "nationality",
    "sex",
    "address",
    "national_id",
    "national_id_type",
    "national_id_masked",
    "document_number",
    "issuing_country",
    "issuing_authority",
    "age_over_18",
    "age_over_21",
    "age_in_years",
)


def _pid_elements(subject: Subject, today: date) -> dict[str, Any] | None:
    claims = {**subject.claims, **derived_claims(subject.claims, today)}
    elements = {name: claims[name] for name in _PID_COPIED if name in claims}
    birth = _full_birth(subject.claims)
    if birth is not None:
        elements["birth_date"] = full_date(birth)
    else:  # a partial date: only the year is certain
        elements["age_birth_year"] = int(str(subject.claims["birthdate"])[:4])
    return elements


_MDL_ELEMENTS = (
    "family_name",
    "given_name",
    "birth_date",
    "issue_date",
    "expiry_date",
    "issuing_country",
    "issuing_authority",
    "document_number",
    "driving_privileges",
    "un_distinguishing_sign",
    "age_over_18",
    "age_over_21",
    "portrait",
    "family_name_national_character",
    "given_name_national_character",
)
_MDL_MANDATORY = frozenset(_MDL_ELEMENTS[:9]) | {"age_over_18", "age_over_21"}

MDL_CONFIG = MdocConfiguration(
    configuration_id="org.iso.18013.5.1.mDL",
    scope="mdl",
    namespace=MDL_NAMESPACE,
    validity_days=90,
    mtype=MdocType(
        MDL_DOCTYPE,
        type_names("mdl"),
        {"en": "ISO/IEC 18013-5 mobile driving licence."},
        _definitions(MDL_NAMESPACE, _MDL_ELEMENTS, _MDL_MANDATORY),
        background_color="#1d5c3a",
    ),
    build=_mdl_elements,
)

_PID_ELEMENTS = (*_PID_COPIED[:7], "birth_date", "age_birth_year", *_PID_COPIED[7:])
_PID_MANDATORY = frozenset(
    {
        "full_name",
        "full_name_latin",
        "name_script",
        "name_order",
        "nationality",
        "issuing_country",
        "issuing_authority",
        "age_over_18",
        "age_over_21",
    }
)

PID_MDOC_CONFIG = MdocConfiguration(
    configuration_id="asean_pid_mdoc",
    scope="asean_pid_mdoc",
    namespace=PID_MDOC_DOCTYPE,
    validity_days=365,
    mtype=MdocType(
        PID_MDOC_DOCTYPE,
        type_names("pid"),
        {"en": "ASEAN person identification data as an ISO mdoc."},
        _definitions(PID_MDOC_DOCTYPE, _PID_ELEMENTS, _PID_MANDATORY),
    ),
    build=_pid_elements,
)


def mdoc_configurations(kind: str, country: str) -> tuple[MdocConfiguration, ...]:
    """The ``mso_mdoc`` configurations a tenant of ``kind`` in ``country`` offers (PID tenants only)."""
    if kind != "pid":
        return ()
    return (PID_MDOC_CONFIG, MDL_CONFIG) if country in MDL_COUNTRIES else (PID_MDOC_CONFIG,)
