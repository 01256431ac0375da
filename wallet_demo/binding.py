"""Binding a relying-party demo transaction to the browser that started it (issue #12, class 6).

The demo relying-party back end proxies the verifier's result API, which answers with verified
personal data; a transaction id alone (it travels in URLs, QR codes and logs) must not be enough
to read it. When a browser starts a transaction it receives a per-transaction secret in an
``HttpOnly; SameSite=Strict`` cookie (RFC 6265bis Section 4.1.2.7; ``Secure`` over https), scoped
to that transaction's API path; the status and QR endpoints answer only a request carrying it,
compared in constant time. The secret is an HMAC-SHA256 of the scenario and transaction id under
a key drawn at start-up, so nothing per transaction is stored and a restart voids every binding.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from urllib.parse import quote

from fastapi import Request, Response

from idcore.b64 import b64u_encode

__all__ = ["TRANSACTION_ID", "TransactionBinding"]

#: What a verifier transaction id may look like (base64url); anything else never reaches the verifier's URL path.
TRANSACTION_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class TransactionBinding:
    """Issue and check the per-transaction browser secrets."""

    def __init__(self, *, secure: bool, max_age: int, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)
        self.secure = secure
        self.max_age = max_age

    @staticmethod
    def cookie_name(tid: str) -> str:
        """One cookie per transaction, so a browser can follow several; the name hides nothing secret."""
        return "rp_tx_" + hashlib.sha256(tid.encode("utf-8")).hexdigest()[:24]

    def _secret(self, slug: str, tid: str) -> str:
        mac = hmac.new(self._key, f"{slug}\x00{tid}".encode(), hashlib.sha256).digest()
        return b64u_encode(mac)

    def bind(self, response: Response, slug: str, tid: str) -> None:
        """Hand the initiating browser the transaction's secret."""
        response.set_cookie(
            self.cookie_name(tid),
            self._secret(slug, tid),
            max_age=self.max_age,
            path=f"/rp/api/{quote(slug, safe='')}/transactions/{quote(tid, safe='')}",
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )

    def owns(self, request: Request, slug: str, tid: str) -> bool:
        """Whether ``request`` carries the secret of ``tid`` (constant-time comparison)."""
        presented = request.cookies.get(self.cookie_name(tid), "")
        return hmac.compare_digest(presented.encode("utf-8"), self._secret(slug, tid).encode("ascii"))
