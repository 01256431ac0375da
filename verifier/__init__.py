"""The Lintas cross-border verifier: OpenID4VP 1.0 with DCQL, backed by Redis (issue #5).

Entry point: :func:`verifier.app.create_app`. Pure protocol lives in :mod:`idcore.oid4vp`; this
package holds the service: relying-party API, wallet endpoints, transaction store, validation
pipeline, policies, metrics and the ``lintas verifier`` / ``lintas verify`` commands.
"""
