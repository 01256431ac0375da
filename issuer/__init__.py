"""National credential issuers over OpenID4VCI 1.0 (issue #4).

One process serves one member state (``lintas issuer --country CC``): its person-ID issuer and,
where the trust registry's seed lists one, its business-registration issuer, each a complete
Credential Issuer with its own identifier (``{public_url}/{cc}`` and ``{public_url}/{cc}/business``
by default, or the ``id`` the registry wrote to ``<data>/issuers/<slug>/issuer.json``), document
signer and X.509 certificate under the national root, Authorization Server (pre-authorized code
with ``tx_code``; authorization code with PAR, PKCE S256 and a demo national login; optional or
required DPoP) and Token Status List.

Start here: :func:`issuer.app.create_app` (the factory), :mod:`issuer.service` (what happens),
:mod:`issuer.routes` (HTTP), :mod:`idcore.oid4vci` (the protocol rules, pure).
"""

__all__: list[str] = []
