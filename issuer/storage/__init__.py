"""Issuer state on the shared key-value port (:mod:`lintas.kv`): embedded SQLite or Redis.

* :mod:`issuer.storage.records` — offers, codes, nonces, issued-credential index (JSON records);
* :mod:`issuer.storage.status` — Token Status Lists with optimistic concurrency.
"""

from issuer.storage.records import IssuerRecords
from issuer.storage.status import StatusLists

__all__ = ["IssuerRecords", "StatusLists"]
