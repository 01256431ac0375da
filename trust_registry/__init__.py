"""The Lintas trust registry: the signed ASEAN list of national identity issuers (issue #3).

``create_app`` is in :mod:`trust_registry.app`; the verifier-side fetcher in
:mod:`trust_registry.client`; the pure list logic lives in :mod:`idcore.trust`.
See ``trust_registry/README.md`` for the API, the data directory layout and benchmarks.
"""
