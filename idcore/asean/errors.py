"""The one error of the ASEAN data model: a claim value that breaks its published rule."""

from __future__ import annotations

from idcore.errors import IdcoreError

__all__ = ["AseanDataError"]


class AseanDataError(IdcoreError):
    """An identifier, name, date or mandate failed validation (reason says which kind)."""
