"""lintas: the command line and the runtime shared by the Lintas services.

idcore stays pure; everything here may use the web framework, Redis and the environment.

The release version lives in one place, ``pyproject.toml``; :data:`__version__` reads it from the
installed distribution's metadata, and ``lintas --version``, every service's ``/healthz`` and its
OpenAPI ``info.version`` report it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lintas")
except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
