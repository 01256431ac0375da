"""Which relying-party access CAs the browser wallet trusts: those the registry's signed list names.

Issue #14 item 3. The wallet demo server fetches the trust registry's signed list with the one
fetcher (:class:`lintas.trust_fetch.TrustListFetcher`: timeout, size cap, no redirects, ETag)
and judges it with :class:`idcore.trust.TrustListCache` against the pinned registry
certificates (``LINTAS_WALLET_REGISTRY_PIN_SHA256``, current and next during a rollover,
:func:`lintas.pins.pin_set`), as the verifier does. From the current list it serves the browser
every relying-party access CA that some member state lists and vouches for *now*
(:meth:`idcore.trust.rp_ca.RelyingPartyCA.trusted_at`), each with the countries that list it.
``x509.js`` then accepts a Request Object only if its chain ends at one of them, and ``rpinfo.js``
only if the relying party's declared country is one of those countries.

Freshness: the cache refetches every ``trust_refresh_seconds`` (and at the list's
``next_update``), so a withdrawal reaches the wallet within that time; the browser reads the
set with each page load (``/config.json``). Failure is closed: no list yet, a stale list or a
list that does not verify gives the empty set, and the wallet trusts no relying party.

Without a registry pin the set is the development fallback only: the one PEM file
``LINTAS_WALLET_RP_CA_FILE`` (default the demo verifier's ``rp-ca.pem``), without countries, in
development mode; in production nothing.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.errors import IdcoreError
from idcore.ports import Clock
from idcore.trust import TrustListCache
from idcore.trust.model import TrustList
from idcore.trust.rp_ca import MAX_RP_CAS_PER_COUNTRY, der_sha256
from lintas.pins import pin_set
from lintas.trust_fetch import TrustListFetcher

__all__ = ["RelyingPartyCAs"]

_log = logging.getLogger("lintas.wallet")
#: 11 member states times their quota: what the browser may ever be handed.
MAX_ENTRIES = 11 * MAX_RP_CAS_PER_COUNTRY


def listed_cas(trust_list: TrustList, at: int) -> list[dict[str, Any]]:
    """``[{certificate, sha256, countries}]``: the CAs some country vouches for at ``at``, by certificate."""
    by_cert: dict[str, list[str]] = {}
    for country in trust_list.countries:
        for ca in country.relying_party_cas:
            if ca.trusted_at(at):
                by_cert.setdefault(ca.certificate, []).append(country.code)
    entries = [{"certificate": c, "sha256": der_sha256(c), "countries": sorted(cc)} for c, cc in by_cert.items()]
    return entries[:MAX_ENTRIES]


def pinned_file_cas(path: Path) -> list[dict[str, Any]]:
    """The development fallback: the CA certificates of one PEM file, vouched for by no country."""
    if not path.is_file():
        return []
    certs = x509.load_pem_x509_certificates(path.read_bytes())[:MAX_ENTRIES]
    ders = [base64.b64encode(c.public_bytes(Encoding.DER)).decode("ascii") for c in certs]
    return [{"certificate": d, "sha256": der_sha256(d), "countries": []} for d in ders]


class RelyingPartyCAs:
    """The relying-party CAs to hand the browser; see the module docstring. Thread-safe."""

    def __init__(
        self,
        *,
        clock: Clock,
        registry_url: str | None = None,
        pins: Sequence[str] = (),
        refresh_interval: int = 300,
        fallback_file: Path | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        """A pinned registry cache when ``registry_url`` and ``pins`` are given, else the fallback file."""
        self._clock = clock
        self._fallback = fallback_file
        self._fetcher: TrustListFetcher | None = None
        self._cache: TrustListCache | None = None
        if registry_url is not None and pins:
            self._fetcher = TrustListFetcher(registry_url, client=http)
            self._cache = TrustListCache(
                fetch=self._fetcher,
                pin=pin_set(pins),
                clock=clock,
                refresh_interval=refresh_interval,
                retry_interval=min(30, refresh_interval),
            )

    @property
    def source(self) -> str:
        """``registry``, ``pinned-file`` (development) or ``none``."""
        if self._cache is not None:
            return "registry"
        return "pinned-file" if self._fallback is not None else "none"

    def current(self) -> dict[str, Any]:
        """``{source, sequence_number, relying_party_cas}``; the empty set on any registry failure."""
        if self._cache is None:
            entries = pinned_file_cas(self._fallback) if self._fallback is not None else []
            return {"source": self.source, "sequence_number": None, "relying_party_cas": entries}
        try:
            snapshot = self._cache.snapshot()
        except IdcoreError as exc:  # stale: fail closed, say why in the log (no secrets in it)
            _log.warning("relying-party CAs unavailable: %s", exc.reason.value)
            snapshot = None
        trust_list = snapshot.trust_list if snapshot is not None else None
        entries = listed_cas(trust_list, self._clock.now()) if trust_list is not None else []
        seq = trust_list.sequence_number if trust_list is not None else None
        return {"source": "registry", "sequence_number": seq, "relying_party_cas": entries}

    def close(self) -> None:
        """Close the fetcher's own HTTP client (one passed in stays the caller's)."""
        if self._fetcher is not None:
            self._fetcher.close()
