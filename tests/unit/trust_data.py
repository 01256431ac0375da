"""A small valid trust list shared by the trust unit tests (data, not a test module)."""

from __future__ import annotations

from typing import Any

from idcore.trust import SERVICE_PID_ISSUANCE, VCT_PID

ISSUER = "https://pid.sg.example"


def list_json(history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A small valid list: SG with one PID issuer whose history is ``history``."""
    history = history or [{"status": "granted", "since": 100}]
    return {
        "format": "lintas-trust-list/1",
        "iss": "https://registry.example",
        "iat": 1000,
        "sequence_number": 7,
        "next_update": 2000,
        "audit_prev_hash": "ab" * 32,
        "scheme_operator": {"names": {"en": "Operator", "ms": "Pengendali"}, "uri": "https://registry.example"},
        "countries": [
            {
                "code": "SG",
                "names": {"en": "Singapore", "ms": "Singapura"},
                "anchors": [],
                "issuers": [
                    {
                        "id": ISSUER,
                        "names": {"en": "ICA", "ms": "ICA"},
                        "service_types": [SERVICE_PID_ISSUANCE],
                        "vcts": [VCT_PID],
                        "assurance_level": "high",
                        "status_history": history,
                    }
                ],
            }
        ],
    }
