"""idcore: the pure credential core of Lintas.

SD-JWT (RFC 9901), SD-JWT VC (draft-ietf-oauth-sd-jwt-vc), Token Status List
(draft-ietf-oauth-status-list), DCQL (OpenID4VP 1.0 Section 6), JOSE, keys, X.509 and
trust decisions. No web framework, no database client, no environment variables:
time, randomness, keys and network lookups enter through :mod:`idcore.ports`.
"""

__version__ = "0.1.0"
