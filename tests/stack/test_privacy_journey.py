"""The whole journey with every log at DEBUG, and who may read a relying-party result (issue #12).

One stack (registry, SG issuer, verifier, wallet demo; real sockets, uvicorn threads in this
process) runs with the services' own logging configuration (:func:`lintas.server.configure_logging`)
at DEBUG into a buffer. The journey: the wallet demo's issuance desk makes an offer, a scripted
wallet redeems it with the PIN (batch of two), notifies the issuer, then presents one credential
to the demo bank started from a "browser" through the wallet demo's relying-party proxy. The
logs are then scanned for every claim value and every secret the journey handled.

Class 6: the relying-party proxy's status and QR endpoints answer only the browser that started
the transaction (its HttpOnly, SameSite=Strict cookie); the transaction id alone reads nothing.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography import x509

from idcore.keys import private_jwk
from idcore.ports import SystemClock
from idcore.sdjwt import HolderCredential
from lintas.server import configure_logging
from tests.e2e.stack import Stack, start_stack
from tests.issuer.wallet_client import ScriptedWallet as IssuanceWallet
from tests.verifier.wallet_client import ScriptedWallet as PresentationWallet
from wallet_demo.binding import TransactionBinding

PERSONA = "sg-tan-wei-ling"
# Registered claims and key material describe the credential, not the person (and are public).
_TECHNICAL = {"iss", "vct", "vct#integrity", "status", "cnf", "_sd_alg", "iat", "exp", "nbf"}


@dataclass
class Logged:
    """The running stack and the buffer every log record is written to."""

    stack: Stack
    buffer: io.StringIO


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    """The stack, started after DEBUG logging to a buffer is configured (so start-up is captured too)."""
    root = logging.getLogger()
    level = root.level
    # Other suites may have quietened the service loggers (the fuzz harness sets 'lintas' to CRITICAL):
    # this scan must see everything the services would log at DEBUG.
    quietened = {name: logging.getLogger(name).level for name in ("lintas", "trust_registry", "issuer")}
    for name in quietened:
        logging.getLogger(name).setLevel(logging.NOTSET)
    buffer = io.StringIO()
    handler = configure_logging("DEBUG", stream=buffer)
    stack = start_stack(tmp_path_factory.mktemp("journey"), countries=("SG",))
    try:
        yield Logged(stack, buffer)
    finally:
        stack.exits.close()
        root.removeHandler(handler)
        root.setLevel(level)
        for name, previous in quietened.items():
            logging.getLogger(name).setLevel(previous)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in _TECHNICAL:
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str | int) and not isinstance(value, bool) and len(str(value)) >= 4:
        yield str(value)


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    """The names of the secrets found in ``text`` (digit codes only as whole numbers)."""
    found = []
    for name, secret in secrets.items():
        pattern = rf"(?<![0-9]){re.escape(secret)}(?![0-9])" if secret.isdigit() else re.escape(secret)
        if re.search(pattern, text):
            found.append(name)
    return found


def _issue(stack: Stack, http: httpx.Client, secrets: dict[str, str]) -> tuple[list[str], IssuanceWallet]:
    desk = http.post(f"{stack.wallet}/api/demo/offers", json={"persona_id": PERSONA})
    assert desk.status_code == 201, desk.text
    offer_link, tx_code = desk.json()["offer_link"], desk.json()["tx_code"]
    wallet = IssuanceWallet(http)
    offer = wallet.resolve_offer(offer_link)
    token = wallet.token_pre_authorized(offer, tx_code)
    assert token.status_code == 200, token.text
    access_token = token.json()["access_token"]
    metadata = wallet.issuer_metadata(offer.credential_issuer)
    answer = wallet.request_credentials(metadata, access_token, offer.credential_configuration_ids[0], count=2)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    notified = http.post(
        metadata["notification_endpoint"],
        headers={"Authorization": f"Bearer {access_token}"},
        json={"notification_id": body["notification_id"], "event": "credential_accepted"},
    )
    assert notified.status_code == 204
    credentials = [c["credential"] for c in body["credentials"]]
    secrets.update(
        {
            "tx_code": tx_code,
            "pre-authorized_code": offer.pre_authorized_code or "",
            "access_token": access_token,
            "offer_link": offer_link,
        }
    )
    for i, key in enumerate(wallet.keys):
        secrets[f"holder key {i}"] = str(private_jwk(key.private_key)["d"])
    for i, credential in enumerate(credentials):
        issuer_signed, *disclosures = credential.rstrip("~").split("~")
        secrets[f"credential {i} signature"] = issuer_signed.rsplit(".", 1)[1]
        secrets.update({f"credential {i} disclosure {j}": d for j, d in enumerate(disclosures)})
    return credentials, wallet


def _present(stack: Stack, credential: str, wallet: IssuanceWallet, secrets: dict[str, str]) -> dict[str, Any]:
    anchors = [x509.load_pem_x509_certificate((stack.data / "verifier" / "rp-ca.pem").read_bytes())]
    with httpx.Client(base_url=stack.wallet, timeout=30) as browser, httpx.Client(timeout=30) as phone:
        created = browser.post("/rp/api/my-bank/transactions")
        assert created.status_code == 201, created.text
        tid = created.json()["transaction_id"]
        holder = PresentationWallet(phone, anchors, SystemClock(), wallet.keys[0])
        request = holder.fetch(created.json()["same_device_link"])  # same device: answered with a response code
        query_id = request.claims["dcql_query"]["credentials"][0]["id"]
        vp = holder.present(request, credential)
        posted = holder.post(request, holder.response_form(request, {query_id: [vp]}))
        assert posted.status_code == 200, posted.text
        # Same device: the browser comes back with the response code (Section 13.3) and fetches with it.
        redirect = posted.json().get("redirect_uri", "")
        code = parse_qs(urlsplit(redirect).fragment).get("response_code", [""])[0]
        assert code, posted.text
        secrets["response_code"] = code
        view = browser.get(f"/rp/api/my-bank/transactions/{tid}", params={"wait": 0, "response_code": code}).json()
        cookie = browser.cookies.get(TransactionBinding.cookie_name(tid)) or ""
    stranger = httpx.get(f"{stack.wallet}/rp/api/my-bank/transactions/{tid}", timeout=10)
    assert stranger.status_code == 404  # the verified claims, asked for with the transaction id alone
    assert "credentials" not in stranger.text
    secrets.update({"vp_token": vp.split("~")[-1], "rp binding cookie": cookie})
    return dict(view)


def test_journey_logs_hold_no_claim_value_and_no_secret(logged: Logged) -> None:
    stack, secrets = logged.stack, dict[str, str]()
    with httpx.Client(timeout=30) as http:
        credentials, wallet = _issue(stack, http, secrets)
    view = _present(stack, credentials[0], wallet, secrets)
    assert view["status"] == "verified", view
    claims = HolderCredential.parse(credentials[0]).claims
    values = set(_strings(claims))
    assert {"Tan", "Wei Ling"} & values or len(values) >= 4, values  # the persona's data is in the scan
    secrets.update({f"claim {v!r}": v for v in values})
    for name in ("verifier/rp-clients.json", "issuer-sg-clients.json"):
        doc = json.loads((stack.data / name).read_text())
        secrets.update({f"{name} {k}": str(v["secret"] if isinstance(v, dict) else v) for k, v in doc.items()})
    secrets.update({f"issuance desk secret at {cc}": secret for cc, secret in stack.desk_secrets.items()})
    text = logged.buffer.getvalue()
    loggers = {json.loads(line)["logger"] for line in text.splitlines()}
    assert "presentation verified" in text, loggers  # the capture saw the journey
    assert {"lintas.verifier", "trust_registry"} <= loggers, loggers
    assert len(secrets) >= 20
    found = leaks(text, secrets)
    lines = [line[:300] for name in found for line in text.splitlines() if secrets[name] in line][:5]
    assert found == [], lines


def test_twin_the_scan_finds_a_leak() -> None:
    text = '{"message": "issued", "tx_code": "042137", "time": "2026-12-05T14:00:00.123"}'
    assert leaks(text, {"tx_code": "042137", "other pin": "777777", "absent": "s3cr3t"}) == ["tx_code"]
    assert leaks('{"t": 1042137}', {"tx_code": "042137"}) == []  # digits inside a number are not the PIN


# --- class 6: a relying-party transaction belongs to the browser that started it ----------------------
def _start(stack: Stack, browser: httpx.Client) -> str:
    created = browser.post(f"{stack.wallet}/rp/api/age-check/transactions")
    assert created.status_code == 201, created.text
    return str(created.json()["transaction_id"])


def test_status_and_qr_answer_only_the_initiating_browser(logged: Logged) -> None:
    stack = logged.stack
    with httpx.Client(timeout=10) as browser, httpx.Client(timeout=10) as other:
        tid = _start(stack, browser)
        base = f"{stack.wallet}/rp/api/age-check/transactions/{tid}"
        assert browser.get(base).json()["status"] == "pending"
        qr = browser.get(f"{base}/qr.svg")
        assert qr.status_code == 200
        assert qr.headers["content-type"].startswith("image/svg+xml")
        assert qr.headers["cache-control"] == "no-store"
        assert other.get(base).status_code == 404  # the twins: the same URLs from another browser
        assert other.get(f"{base}/qr.svg").status_code == 404
        forged = {TransactionBinding.cookie_name(tid): "A" * 43}
        assert httpx.get(base, cookies=forged, timeout=10).status_code == 404
        other_tid = _start(stack, other)  # one browser's secret does not open another transaction
        mine = browser.cookies.get(TransactionBinding.cookie_name(tid)) or ""
        swapped = {TransactionBinding.cookie_name(other_tid): mine}
        assert (
            httpx.get(
                f"{stack.wallet}/rp/api/age-check/transactions/{other_tid}", cookies=swapped, timeout=10
            ).status_code
            == 404
        )
        # Same secret, another scenario's path: bound to the scenario too.
        moved = httpx.get(
            f"{stack.wallet}/rp/api/my-bank/transactions/{tid}",
            cookies={TransactionBinding.cookie_name(tid): mine},
            timeout=10,
        )
        assert moved.status_code == 404


def test_binding_cookie_is_httponly_strict_and_scoped(logged: Logged) -> None:
    with httpx.Client(timeout=10) as browser:
        created = browser.post(f"{logged.stack.wallet}/rp/api/age-check/transactions")
    tid = created.json()["transaction_id"]
    cookie = created.headers["set-cookie"]
    assert cookie.startswith(TransactionBinding.cookie_name(tid) + "=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert f"Path=/rp/api/age-check/transactions/{tid}" in cookie
    assert created.json()["qr_svg_url"] == f"/rp/api/age-check/transactions/{tid}/qr.svg"


@pytest.mark.parametrize("tid", ["..%2F..%2Foauth%2Ftoken", "x%3Fwait%3D1", "a" * 129, "%20"])
def test_malformed_transaction_ids_never_reach_the_verifier(logged: Logged, tid: str) -> None:
    answer = httpx.get(f"{logged.stack.wallet}/rp/api/age-check/transactions/{tid}", timeout=10)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_secure_cookies_over_https(tmp_path: Path) -> None:
    assert TransactionBinding(secure=True, max_age=60).secure
