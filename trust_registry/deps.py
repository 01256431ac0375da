"""FastAPI dependency aliases shared by the registry's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from trust_registry.service import RegistryService

__all__ = ["Service"]


def get_service(request: Request) -> RegistryService:
    """The app's :class:`RegistryService` (set by the app factory)."""
    service: RegistryService = request.app.state.registry
    return service


Service = Annotated[RegistryService, Depends(get_service)]
