"""The browser wallet and the relying-party demo (issue #6).

A small FastAPI app (:func:`wallet_demo.app.create_app`) serves a wallet written as plain ES
modules (``static/``): holder keys are non-extractable WebCrypto P-256 keys kept in IndexedDB,
and every protocol step (OpenID4VCI 1.0, OpenID4VP 1.0, SD-JWT, DCQL, JWE) runs in the browser.
The server holds no wallet secret; it also serves the relying-party demo pages, which call the
verifier's relying-party API with client credentials from the demo data directory.
"""

__all__: list[str] = []
