"""Key stores: where the signing keys of issuers, verifiers and the trust registry live.

The :class:`KeyStore` port hands out :class:`~idcore.ports.Signer` objects whose ``sign``
returns JWS signature values (ECDSA ``R || S``, RFC 7518 Section 3.4), so the rest of idcore
never sees private key material. Two adapters:

* :class:`FileKeyStore` — one PKCS#8 PEM file per key (RFC 5958), optionally passphrase-encrypted.
* :class:`Pkcs11KeyStore` — keys generated and kept inside a PKCS#11 token (an HSM, or SoftHSM2
  in tests); the private key never leaves the token.

Key ids are restricted to ``[A-Za-z0-9._-]{1,64}`` in both adapters, so an id can never name a
path outside the store.
"""

from __future__ import annotations

from idcore.keystore._base import KeyStore, check_key_id
from idcore.keystore.file import FileKeyStore
from idcore.keystore.pkcs11 import Pkcs11KeyStore

__all__ = ["FileKeyStore", "KeyStore", "Pkcs11KeyStore", "check_key_id"]
