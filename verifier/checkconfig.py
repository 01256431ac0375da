"""``lintas verifier check-config``: the effective configuration, and whether it can work.

Each check answers ok, warn or FAIL with what to fix. FAIL means the verifier would refuse to
start (access certificate, policies) or could not verify anything (Redis, registry, pins, clock).
The same certificate and policy checks run at start-up (:func:`verifier.app.create_app`); this
command adds the ones that need the network, so a deployer runs it before every roll-out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from idcore.errors import IdcoreError
from idcore.jwk import jwk_thumbprint
from idcore.keystore.file import FileKeyStore
from idcore.trust import verify_trust_list
from idcore.x509 import certificate_from_pem, validate_chain
from lintas.kv import StoreUnavailable, open_store
from lintas.pins import pin_set
from verifier.federation import check_anchor
from verifier.keys import FEDERATION_KEY, certificate_problems
from verifier.leaf import trust_mark_keeper
from verifier.parties import read_registrations
from verifier.policy import ConfigError, load_config
from verifier.settings import VerifierSettings

__all__ = ["Finding", "effective_config", "run_checks"]

#: The certificate is flagged this many days before it expires.
_RENEW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's outcome: ``level`` is ``ok``, ``warn`` or ``FAIL``; ``message`` says what to fix."""

    level: str
    check: str
    message: str


def _mask_url(url: str) -> str:
    """A URL with its password replaced by ``***`` (Redis ACL credentials live in the URL)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))  # the query may carry credentials too


def effective_config(settings: VerifierSettings) -> dict[str, Any]:
    """Every setting as the verifier would use it, JSON-ready, secrets masked."""
    values = settings.model_dump(mode="json")  # SecretStr settings (tokens, PINs) dump as '**********'
    if isinstance(values.get("redis_url"), str):
        values["redis_url"] = _mask_url(values["redis_url"])  # the ACL password travels in the URL
    return values


def _certificate(settings: VerifierSettings, now: int) -> list[Finding]:
    cert_path, ca_path = settings.data_dir / "access-cert.pem", settings.data_dir / "rp-ca.pem"
    if not cert_path.is_file() or not ca_path.is_file():
        level = "warn" if settings.generate_certificates else "FAIL"
        return [
            Finding(level, "certificate", f"no access-cert.pem or rp-ca.pem in {settings.data_dir}: provision them")
        ]
    try:
        cert = certificate_from_pem(cert_path.read_bytes())
        ca = certificate_from_pem(ca_path.read_bytes())
        signer = FileKeyStore(settings.data_dir / "keys").signer("access")
    except (OSError, ValueError, IdcoreError) as exc:
        return [Finding("FAIL", "certificate", f"cannot read the access certificate, CA or key: {exc}")]
    when = datetime.fromtimestamp(now, UTC)
    findings = [Finding("FAIL", "certificate", p) for p in certificate_problems(cert, signer, settings.dns_name, now)]
    try:
        validate_chain([cert], [ca], when)
    except IdcoreError:
        findings.append(
            Finding("FAIL", "certificate", "access-cert.pem is not issued by rp-ca.pem: import the right CA")
        )
    left = (cert.not_valid_after_utc - when).days
    if not findings and left < _RENEW_DAYS:
        findings.append(Finding("warn", "certificate", f"access-cert.pem expires in {left} days: renew it now"))
    return findings or [Finding("ok", "certificate", f"names {settings.dns_name}, certifies the signing key")]


def _policies(settings: VerifierSettings) -> list[Finding]:
    try:
        config = load_config(
            settings.config_file,
            allow_unbound=settings.allow_unbound_presentations,
            extra_relying_parties=read_registrations(settings.data_dir),
        )
    except ConfigError as exc:
        return [Finding("FAIL", "policies", f"{exc}")]
    summary = f"{len(config.policies)} policies, {len(config.relying_parties)} relying parties"
    return [Finding("ok", "policies", summary)]


def _redis(settings: VerifierSettings) -> list[Finding]:
    if not settings.redis_url:
        return [Finding("warn", "redis", "no Redis URL: the embedded store (one process only, no replicas)")]
    try:
        store = open_store(settings.redis_url, settings.data_dir, "verifier")
    except (ValueError, StoreUnavailable) as exc:
        return [Finding("FAIL", "redis", f"invalid Redis URL: {exc}")]
    try:
        store.ping()
    except StoreUnavailable:
        return [
            Finding("FAIL", "redis", f"{_mask_url(settings.redis_url)} unreachable: check host, TLS CA and ACL user")
        ]
    finally:
        store.close()
    return [Finding("ok", "redis", "reachable")]


def _registry(settings: VerifierSettings, http: httpx.Client, now: int) -> list[Finding]:
    if settings.registry_url is None:
        return [Finding("FAIL", "registry", "no registry: every issuer is untrusted (set REGISTRY_URL and the pins)")]
    url = f"{settings.registry_url.rstrip('/')}/v1/trust-list"
    try:
        response = http.get(url, headers={"Accept": "application/jwt"})
    except httpx.HTTPError as exc:
        return [Finding("FAIL", "registry", f"{url} unreachable ({type(exc).__name__}): check the URL and egress")]
    if response.status_code != 200:
        return [Finding("FAIL", "registry", f"{url} answered {response.status_code}")]
    findings = [_clock(response, now, settings.max_skew)]
    try:
        verified = verify_trust_list(response.content, pin_set(settings.registry_pin_sha256))
    except IdcoreError as exc:
        findings.append(
            Finding("FAIL", "pins", f"the trust list does not verify against the pins ({exc.detail}): check them")
        )
        return findings
    listed = verified.trust_list
    if listed.next_update + settings.trust_max_staleness < now:
        findings.append(Finding("FAIL", "registry", "the registry's trust list is stale past trust_max_staleness"))
    else:
        findings.append(Finding("ok", "registry", f"trust list #{listed.sequence_number} verifies against a pin"))
    return findings


def _trust(settings: VerifierSettings, http: httpx.Client, now: int) -> list[Finding]:
    """The trust mode, and (federation, both) whether the pinned anchor resolves."""
    mode = Finding("ok", "trust", f"trust_mode={settings.trust_mode}")
    if settings.trust_mode == "list":
        return [mode]
    try:
        anchor = Finding("ok", "federation", check_anchor(settings, http, now))
    except ValueError as exc:
        anchor = Finding("FAIL", "federation", f"{exc}: check FEDERATION_TRUST_ANCHOR and its JWK Set")
    return [mode, anchor, *_required_marks(settings)]


def _required_marks(settings: VerifierSettings) -> list[Finding]:
    """The trust marks issuers must carry (none: no finding); in ``both`` they bind the federation path only."""
    marks = settings.federation_required_trust_marks
    if not marks:
        return []
    required = f"issuers must carry the trust marks {', '.join(marks)}"
    if settings.trust_mode == "both":
        return [Finding("warn", "trust-marks", f"{required} through the federation; the list path accepts without")]
    return [Finding("ok", "trust-marks", required)]


class _Clock:
    """The checks' ``now`` as a :class:`idcore.ports.Clock`."""

    def __init__(self, now: Callable[[], int]) -> None:
        self._now = now

    def now(self) -> int:
        """The checks' current time."""
        return self._now()


def _leaf(settings: VerifierSettings, http: httpx.Client, now: Callable[[], int]) -> list[Finding]:
    """As a federation leaf entity: its superiors, its key (file store) and whether the registry gives it its mark."""
    if not settings.federation_authority_hints:
        return []
    hints = ", ".join(settings.federation_authority_hints)
    store = FileKeyStore(settings.data_dir / "keys")
    if settings.key_backend == "file" and not store.exists(FEDERATION_KEY):
        key = "no federation key yet: `lintas verifier federation-key` makes and prints it for registration"
        findings = [Finding("warn", "federation-leaf", f"below {hints}; {key}")]
    else:
        kid = jwk_thumbprint(store.signer(FEDERATION_KEY).public_jwk) if settings.key_backend == "file" else "PKCS#11"
        findings = [Finding("ok", "federation-leaf", f"below {hints}; federation key {kid}")]
    keeper = trust_mark_keeper(settings, http, _Clock(now))
    if keeper is None:
        return [*findings, Finding("warn", "trust-mark", "no FEDERATION_TRUST_MARK_ENDPOINT: no trust mark carried")]
    keeper.refresh()  # one fetch, judged as the service judges it (failures are logged with their reason)
    if keeper.current(now()):
        return [
            *findings,
            Finding("ok", "trust-mark", "the registry gives this verifier its registered-relying-party mark"),
        ]
    return [
        *findings,
        Finding(
            "warn",
            "trust-mark",
            "no valid registered-relying-party mark: has the member state registered this entity id and key?",
        ),
    ]


def _clock(response: httpx.Response, now: int, max_skew: int) -> Finding:
    """Compare our clock with the registry's ``Date`` header (RFC 9110 Section 6.6.1; one-second resolution)."""
    try:
        theirs = int(parsedate_to_datetime(response.headers["date"]).timestamp())
    except (KeyError, TypeError, ValueError):
        return Finding("warn", "clock", "the registry sent no Date header: check NTP yourself")
    skew = abs(theirs - now)
    if skew > max_skew:
        return Finding("FAIL", "clock", f"this clock is {skew}s off the registry's (> {max_skew}s): fix NTP")
    return Finding("ok", "clock", f"within {skew}s of the registry's")


def run_checks(settings: VerifierSettings, http: httpx.Client, now: Callable[[], int]) -> list[Finding]:
    """Every check, in the order a deployer fixes them."""
    if settings.registry_url is not None and len(settings.registry_pin_sha256) > 1:
        pins = [Finding("ok", "pins", f"{len(settings.registry_pin_sha256)} pins (rollover)")]
    else:
        pins = []
    return [
        *_certificate(settings, now()),
        *_policies(settings),
        *_redis(settings),
        *_trust(settings, http, now()),
        *_leaf(settings, http, now),
        *(_registry(settings, http, now()) if settings.trust_mode != "federation" or settings.registry_url else []),
        *pins,
    ]
