"""A JSON Schema (draft 2020-12) for the ETSI TS 119 602 LoTE JSON binding, written for these tests.

ETSI's own schema file (``1960201_json_schema.json``, on ETSI's forge) was not obtainable from
this workplace. This one is written from the binding's published structure: the member names,
which members are required, ``minItems: 1`` arrays, multilingual strings ``{lang, value}``,
multilingual URIs ``{lang, uriValue}``, ``pkiOb`` ``{encoding?, specRef?, val}`` and postal
addresses ``{lang, StreetAddress, Locality?, StateOrProvince?, PostalCode?, Country}``, as
implementations generated from ETSI's schema declare them. Swap in the official file when it is
at hand: the tests load the schema through :data:`LOTE_SCHEMA` only.
"""

from __future__ import annotations

from typing import Any


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "items": items}


def _obj(required: list[str], properties: dict[str, Any], *, closed: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "required": required, "properties": properties}
    if closed:
        out["additionalProperties"] = False
    return out


_STR = {"type": "string", "minLength": 1}
_DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"}
_MULTILANG = _array(_obj(["lang", "value"], {"lang": _STR, "value": _STR}))
_URIS = _array(_obj(["lang", "uriValue"], {"lang": _STR, "uriValue": _STR}))
_POSTAL = _array(
    _obj(
        ["lang", "StreetAddress", "Country"],
        {
            "lang": _STR,
            "StreetAddress": _STR,
            "Locality": _STR,
            "StateOrProvince": _STR,
            "PostalCode": _STR,
            "Country": _STR,
        },
    )
)
_ADDRESS = {"TEPostalAddress": _POSTAL, "TEElectronicAddress": _URIS}
_PKI_OB = _obj(["val"], {"encoding": _STR, "specRef": _STR, "val": _STR})
_IDENTITY = {
    "type": "object",
    "minProperties": 1,
    "properties": {
        "X509Certificates": _array(_PKI_OB),
        "X509SubjectNames": _array(_STR),
        "PublicKeyValues": _array({"type": "object", "required": ["kty"]}),
        "X509SKIs": _array(_STR),
        "OtherIds": _array(_STR),
    },
    "additionalProperties": False,
}
_EXTENSIONS = _array({"type": "object"})
_SERVICE_INFORMATION = _obj(
    ["ServiceName", "ServiceDigitalIdentity"],
    {
        "ServiceName": _MULTILANG,
        "ServiceDigitalIdentity": _IDENTITY,
        "ServiceTypeIdentifier": _STR,
        "ServiceStatus": _STR,
        "StatusStartingTime": _DATETIME,
        "SchemeServiceDefinitionURI": _URIS,
        "ServiceSupplyPoints": _array(_obj(["uriValue"], {"ServiceType": _STR, "uriValue": _STR})),
        "ServiceDefinitionURI": _URIS,
        "ServiceInformationExtensions": _EXTENSIONS,
    },
)
_HISTORY_INSTANCE = _obj(
    ["ServiceName", "ServiceDigitalIdentity", "ServiceStatus", "StatusStartingTime"],
    {
        "ServiceName": _MULTILANG,
        "ServiceDigitalIdentity": _IDENTITY,
        "ServiceStatus": _STR,
        "StatusStartingTime": _DATETIME,
        "ServiceTypeIdentifier": _STR,
        "ServiceInformationExtensions": _EXTENSIONS,
    },
)
_ENTITY = _obj(
    ["TrustedEntityInformation", "TrustedEntityServices"],
    {
        "TrustedEntityInformation": _obj(
            ["TEName", "TEAddress", "TEInformationURI"],
            {
                "TEName": _MULTILANG,
                "TETradeName": _MULTILANG,
                "TEAddress": _obj(["TEPostalAddress", "TEElectronicAddress"], _ADDRESS),
                "TEInformationURI": _URIS,
                "TEInformationExtensions": _EXTENSIONS,
            },
        ),
        "TrustedEntityServices": _array(
            _obj(
                ["ServiceInformation"],
                {"ServiceInformation": _SERVICE_INFORMATION, "ServiceHistory": _array(_HISTORY_INSTANCE)},
            )
        ),
    },
)
_SCHEME = _obj(
    ["LoTEVersionIdentifier", "LoTESequenceNumber", "SchemeOperatorName", "ListIssueDateTime", "NextUpdate"],
    {
        "LoTEVersionIdentifier": {"type": "integer"},
        "LoTESequenceNumber": {"type": "integer", "minimum": 1},
        "LoTEType": _STR,
        "SchemeOperatorName": _MULTILANG,
        "SchemeOperatorAddress": _obj(
            ["SchemeOperatorPostalAddress", "SchemeOperatorElectronicAddress"],
            {"SchemeOperatorPostalAddress": _POSTAL, "SchemeOperatorElectronicAddress": _URIS},
        ),
        "SchemeName": _MULTILANG,
        "SchemeInformationURI": _URIS,
        "StatusDeterminationApproach": _STR,
        "SchemeTypeCommunityRules": _URIS,
        "SchemeTerritory": _STR,
        "PolicyOrLegalNotice": _array({"type": "object"}),
        "HistoricalInformationPeriod": {"type": "integer"},
        "PointersToOtherLoTE": _array({"type": "object"}),
        "ListIssueDateTime": _DATETIME,
        "NextUpdate": _DATETIME,
        "DistributionPoints": _array(_STR),
        "SchemeExtensions": _EXTENSIONS,
    },
)

LOTE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **_obj(
        ["LoTE"],
        {
            "LoTE": _obj(
                ["ListAndSchemeInformation"],
                {"ListAndSchemeInformation": _SCHEME, "TrustedEntitiesList": _array(_ENTITY)},
            ),
            "$schema": {"type": "string"},
        },
    ),
}
