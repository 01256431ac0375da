"""One development mode for every Lintas service: ``LINTAS_MODE=development|production``.

Demo conveniences (the demo national login, unsigned ``redirect_uri`` requests, certificates a
service generates for itself, CORS for plain-http origins, public ``/docs`` and
``/openapi.json``, plain-http loopback URLs, the wallet's demo issuance desk) are tied to this
one setting, read by every service's settings class (:data:`DevelopmentFlag`):

* **production** (the default) refuses to start when any convenience is switched on, with a
  message naming the setting to change (:func:`refuse_in_production`);
* **development** accepts loopback addresses and URLs only (:func:`require_loopback_url`,
  :func:`require_loopback_bind`) and prints a banner at start-up (:func:`announce`).

Each convenience has its own setting whose default follows the mode (:func:`resolve`), so
``LINTAS_MODE=development`` is all a local demo needs and any one convenience can still be
switched off there. ``lintas demo`` runs in development mode explicitly.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TextIO
from urllib.parse import urlsplit

from pydantic import AliasChoices, BeforeValidator, Field

__all__ = [
    "MODE_ENV",
    "Convenience",
    "DevelopmentFlag",
    "announce",
    "api_docs",
    "is_loopback_host",
    "mode_field",
    "parse_mode",
    "refuse_in_production",
    "refuse_stale_variables",
    "require_loopback_bind",
    "require_loopback_url",
    "resolve",
]

#: The one environment variable that selects the mode of every service.
MODE_ENV = "LINTAS_MODE"
log = logging.getLogger("lintas.devmode")


def parse_mode(value: object) -> bool:
    """``"development"`` -> ``True``, ``"production"`` -> ``False``; booleans pass (``development=True`` in code).

    Anything else is refused rather than guessed: a typo must not select a mode.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("development", "production"):
        return value.strip().lower() == "development"
    raise ValueError(f"{MODE_ENV} must be 'development' or 'production'")


#: The type of every service's ``development`` setting: a bool read from ``LINTAS_MODE``.
DevelopmentFlag = Annotated[bool, BeforeValidator(parse_mode)]


def mode_field() -> Any:
    """The field of the ``development`` setting: ``LINTAS_MODE`` (no service prefix), default production.

    The only environment name is ``LINTAS_MODE``: an alias such as ``development`` would also be read
    from a generic ``DEVELOPMENT`` variable. Code passes ``development=`` (settings use ``populate_by_name``).
    """
    return Field(default=False, validation_alias=AliasChoices(MODE_ENV))


@dataclass(frozen=True, slots=True)
class Convenience:
    """One demo convenience: what it is, the setting that turns it on, and whether it is on."""

    what: str
    setting: str
    enabled: bool


def resolve(value: bool | None, development: bool) -> bool:
    """A convenience's effective value: as configured, else on in development and off in production."""
    return development if value is None else value


def refuse_in_production(development: bool, conveniences: Sequence[Convenience]) -> None:
    """Raise ``ValueError`` naming every enabled convenience and its setting, outside development."""
    enabled = [c for c in conveniences if c.enabled]
    if development or not enabled:
        return
    names = "; ".join(f"{c.what} ({c.setting})" for c in enabled)
    raise ValueError(
        f"production mode refuses demo conveniences: {names}. Turn each setting off, "
        f"or run a local demo with {MODE_ENV}=development on loopback"
    )


def refuse_stale_variables(prefix: str) -> None:
    """Refuse ``<prefix>DEVELOPMENT`` (the per-service switch ``LINTAS_MODE`` replaced) rather than ignore it.

    An ignored ``LINTAS_ISSUER_DEVELOPMENT=true`` would leave an operator guessing why http is refused.
    """
    stale = f"{prefix}DEVELOPMENT"
    if stale in os.environ:
        raise ValueError(f"{stale} is no longer read: set {MODE_ENV}=development or {MODE_ENV}=production")


def is_loopback_host(host: str | None) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback IP address (IPv4 127/8, IPv6 ::1)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_loopback_url(url: str, setting: str) -> None:
    """In development every URL a service publishes or calls is on loopback; raise ``ValueError`` if not."""
    if not is_loopback_host(urlsplit(url).hostname):
        raise ValueError(f"development mode serves loopback only: {setting}={url!r} is not a loopback URL")


def require_loopback_bind(host: str, development: bool) -> None:
    """Refuse a non-loopback listen address in development mode (``ValueError``)."""
    if development and not is_loopback_host(host):
        raise ValueError(f"development mode listens on loopback only, not {host!r} ({MODE_ENV}=development)")


def banner(service: str, conveniences: Sequence[Convenience]) -> str:
    """The start-up banner of a service in development mode, listing the conveniences that are on."""
    lines = [
        "=" * 72,
        f"  {service}: DEVELOPMENT MODE ({MODE_ENV}=development): not for real users or data",
        "  loopback addresses only; demo conveniences on:",
    ]
    on = [c for c in conveniences if c.enabled]
    lines += [f"    - {c.what} ({c.setting})" for c in on] or ["    (none)"]
    lines.append("=" * 72)
    return "\n".join(lines)


def announce(
    service: str, development: bool, conveniences: Sequence[Convenience], stream: TextIO | None = None
) -> None:
    """Print the development banner to ``stream`` (stderr) and log it; nothing in production."""
    if not development:
        return
    text = banner(service, conveniences)
    print(text, file=stream or sys.stderr, flush=True)
    log.warning(
        "development mode", extra={"service": service, "conveniences": [c.setting for c in conveniences if c.enabled]}
    )


def api_docs(enabled: bool) -> dict[str, Any]:
    """FastAPI keyword arguments: ``/docs``, ``/redoc`` and ``/openapi.json`` served only when ``enabled``."""
    if enabled:
        return {}
    return {"docs_url": None, "redoc_url": None, "openapi_url": None}
