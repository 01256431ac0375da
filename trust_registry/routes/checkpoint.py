"""The audit log's signed checkpoints and consistency proofs (issue #12, class 9).

* ``GET /v1/audit-log/checkpoint`` — the current checkpoint, a C2SP tlog-checkpoint signed
  note (``text/plain; charset=utf-8``), see :mod:`trust_registry.checkpoints`;
* ``GET /v1/audit-log/consistency?first=M&second=N`` — RFC 9162 Section 2.1.4 ``PROOF(M, D[N])``
  as JSON ``{"first", "second", "proof": [base64 hashes]}`` (the shape of RFC 9162 Section
  5.4's ``get-sth-consistency`` answer);
* ``GET /v1/audit-log/inclusion?sequence=N&size=S`` — audit record ``N`` (the compact JWS whose
  bytes are leaf ``N - 1``) and RFC 9162 Section 2.1.3 ``PATH(N - 1, D[S])``, as JSON
  ``{"sequence", "tree_size", "leaf_index", "record", "audit_path": [base64 hashes]}`` (the shape
  of RFC 9162 Section 5.5's ``get-proof-by-hash`` with the entry beside it): a verifier proves
  that the list it pins was logged (:mod:`idcore.trust.list_log`);
* ``GET /v1/audit-log/checkpoint-key`` — the Ed25519 verifier key (``vkey``); fetched over the
  network it is trust on first use: distribute it out of band like the list pin.

Public and read-only, like the audit log itself; bounded input (two integers each), per-address
rate limit, nothing stored per request. A log that lost records answers 503 (and is logged).
"""

from __future__ import annotations

import base64
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from lintas.problem import problem
from lintas.ratelimit import SlidingWindowLimiter
from trust_registry.checkpoints import AuditTree, LogDamaged
from trust_registry.service import RegistryService

__all__ = ["checkpoint_router"]

CHECKPOINT_MEDIA_TYPE = "text/plain; charset=utf-8"
_log = logging.getLogger("trust_registry")
_SIZE = Query(ge=0, le=10**12)
_SEQUENCE = Query(ge=1, le=10**12)


def _damaged(exc: LogDamaged) -> JSONResponse:
    _log.error("audit log damaged, no checkpoint signed: %s", exc)
    return problem(503, "Audit log damaged", "the audit log is not consistent with what this registry signed")


def _tree(service: Any) -> AuditTree:
    tree: AuditTree = service.audit_tree
    return tree


def checkpoint_router(service: RegistryService, limiter: SlidingWindowLimiter) -> APIRouter:
    """The checkpoint routes, each behind ``limiter``."""
    router = APIRouter(prefix="/v1/audit-log", tags=["audit"], dependencies=[Depends(limiter.dependency())])

    @router.get("/checkpoint", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    def checkpoint() -> Response:
        """The latest signed checkpoint of the audit log."""
        try:
            note = _tree(service).checkpoint()
        except LogDamaged as exc:
            return _damaged(exc)
        # Always the latest head: no cache may answer for the registry.
        return Response(note, media_type=CHECKPOINT_MEDIA_TYPE, headers={"Cache-Control": "no-store"})

    @router.get("/consistency", response_model=None)
    def consistency(first: Annotated[int, _SIZE], second: Annotated[int, _SIZE]) -> dict[str, Any] | JSONResponse:
        """A consistency proof between tree sizes ``first`` and ``second`` (``first <= second``)."""
        try:
            proof = _tree(service).consistency(first, second)
        except LogDamaged as exc:
            return _damaged(exc)
        except ValueError as exc:
            return problem(400, "Invalid tree sizes", str(exc))
        encoded = [base64.b64encode(h).decode("ascii") for h in proof]
        return {"first": first, "second": second, "proof": encoded}

    @router.get("/inclusion", response_model=None)
    def inclusion(sequence: Annotated[int, _SEQUENCE], size: Annotated[int, _SIZE]) -> dict[str, Any] | JSONResponse:
        """Audit record ``sequence`` and its inclusion proof in the tree of ``size`` records."""
        try:
            record, path = _tree(service).inclusion(sequence, size)
        except LogDamaged as exc:
            return _damaged(exc)
        except ValueError as exc:
            return problem(400, "Invalid sequence or tree size", str(exc))
        return {
            "sequence": sequence,
            "tree_size": size,
            "leaf_index": sequence - 1,
            "record": record.decode("ascii"),
            "audit_path": [base64.b64encode(h).decode("ascii") for h in path],
        }

    @router.get("/checkpoint-key", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    def checkpoint_key() -> Response:
        """The checkpoint verifier key (``name+keyid+base64``); pin it out of band."""
        return Response(_tree(service).vkey + "\n", media_type=CHECKPOINT_MEDIA_TYPE)

    return router
