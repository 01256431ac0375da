"""The wallet's browser libraries, installed from the npm lock and served as ES modules.

``wallet_demo/package.json`` names them and ``package-lock.json`` pins each file by its integrity
hash; ``scripts/setup.sh`` installs exactly that lock (``npm ci --ignore-scripts``) into
``wallet_demo/node_modules``. The browser loads them without a build step: ``index.html`` carries
an import map from bare names (``jose``, ``pkijs``, ...) to ``/vendor/<package>/...``, and
:func:`install_vendor_route` serves only the ``.js`` files under each package's ES-module folder
listed in :data:`PACKAGES`, nothing else of ``node_modules``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response

from lintas.problem import problem

__all__ = [
    "CLASSIC_SCRIPTS",
    "NODE_MODULES",
    "PACKAGES",
    "VENDOR_PREFIX",
    "import_map_hash",
    "install_vendor_route",
    "missing_packages",
]

NODE_MODULES = Path(__file__).resolve().parent / "node_modules"
VENDOR_PREFIX = "/vendor"
#: npm package -> its folder of browser ES modules (relative imports only inside it).
PACKAGES = {
    "jose": "jose/dist/webapi",
    "pkijs": "pkijs/build",
    "asn1js": "asn1js/build",
    "bytestreamjs": "bytestreamjs/build",
    "@peculiar/utils": "@peculiar/utils/build",
    "@noble/hashes": "@noble/hashes",
    # CBOR for ISO mdocs (mdoc.js): ES modules at the package root and in lib/.
    "cborg": "cborg",
    # A classic (UMD) script, loaded by scan.js only when the browser has no BarcodeDetector.
    "jsqr": "jsqr/dist",
}
#: Packages loaded as classic scripts (UMD), not through the import map.
CLASSIC_SCRIPTS = frozenset({"jsqr"})
_FILE = re.compile(r"^(?:[A-Za-z0-9_-][A-Za-z0-9_.-]{0,100}/){0,4}[A-Za-z0-9_-][A-Za-z0-9_.-]{0,100}\.js$")
_IMPORT_MAP = re.compile(rb'<script type="importmap">(.*?)</script>', re.DOTALL)


def missing_packages(root: Path = NODE_MODULES) -> list[str]:
    """The packages of :data:`PACKAGES` whose folder is absent (set-up not run)."""
    return [name for name, folder in PACKAGES.items() if not (root / folder).is_dir()]


def import_map_hash(page: Path) -> str:
    """The CSP source (``'sha256-...'``) allowing the page's inline import map and nothing else inline."""
    found = _IMPORT_MAP.search(page.read_bytes())
    if found is None:
        raise RuntimeError(f"{page} has no import map")
    return "'sha256-" + base64.b64encode(hashlib.sha256(found.group(1)).digest()).decode("ascii") + "'"


def _resolve(root: Path, path: str) -> Path | None:
    for name, folder in PACKAGES.items():
        if not path.startswith(name + "/"):
            continue
        rest = path[len(name) + 1 :]
        if not _FILE.match(rest) or ".." in rest.split("/"):
            return None
        base = (root / folder).resolve()
        target = (base / rest).resolve()
        return target if target.is_relative_to(base) and target.is_file() else None
    return None


def install_vendor_route(app: FastAPI, root: Path = NODE_MODULES) -> None:
    """``GET /vendor/<package>/<file>.js``: one ES module of an allowed package, else 404."""

    @app.get(VENDOR_PREFIX + "/{path:path}", include_in_schema=False)
    def vendor(path: str) -> Response:
        target = _resolve(root, path)
        if target is None:
            return problem(404, "Not Found", "no such browser module")
        # The versions are pinned by the lock but the URLs carry none: revalidate by ETag.
        return FileResponse(target, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
