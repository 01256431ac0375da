"""The Lintas trust registry: the signed ASEAN list of national identity issuers (issue #3).

``create_app`` is in :mod:`trust_registry.app`; the clients of its audit log and list are shared
with the verifier (:mod:`lintas.audit_log`, :mod:`lintas.trust_fetch`); the pure list logic lives
in :mod:`idcore.trust`.
See ``trust_registry/README.md`` for the API, the data directory layout and benchmarks.
"""
