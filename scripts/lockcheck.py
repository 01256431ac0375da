"""Check that the hash-checked lock still satisfies pyproject.toml.

Run by scripts/setup.sh (so by both README commands) after the lock is installed, with the
virtual environment's interpreter: every requirement of the project (runtime, every extra, the
build system) must be pinned in the lock at a version its range admits, every runtime pin must
be the same in the dev lock, and every pin must carry at least one sha256 hash. A failure names
the package and says which command fixes it.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
FIX = "run scripts/lock and commit requirements/ together with pyproject.toml"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def read_lock(path: Path) -> dict[str, tuple[Version, int]]:
    """Name -> (pinned version, number of hashes) for a pip-compile --generate-hashes file."""
    pins: dict[str, tuple[Version, int]] = {}
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (Version(match.group(2)), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif line and not line.startswith(" "):
            current = None
    return pins


def problems(pyproject: Path, runtime_lock: Path, dev_lock: Path) -> list[str]:
    """Every way in which the lock no longer satisfies pyproject.toml, as sentences."""
    meta = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = meta["project"]
    runtime, dev = read_lock(runtime_lock), read_lock(dev_lock)
    found: list[str] = []

    def need(lock_name: str, lock: dict[str, tuple[Version, int]], spec: str, extra: str = "") -> None:
        req = Requirement(spec)
        env = {"extra": extra} if extra else {"extra": ""}
        if req.marker is not None and not req.marker.evaluate(env):
            return
        name = canonicalize_name(req.name)
        if name not in lock:
            found.append(f"{req.name} (pyproject.toml: {spec!r}) is not in {lock_name}")
        elif req.specifier and not req.specifier.contains(lock[name][0], prereleases=True):
            found.append(f"{req.name} is locked at {lock[name][0]} in {lock_name}, outside {spec!r} in pyproject.toml")

    for spec in project.get("dependencies", []):
        need("requirements/runtime.txt", runtime, spec)
        need("requirements/dev.txt", dev, spec)
    for extra, specs in project.get("optional-dependencies", {}).items():
        for spec in specs:
            need("requirements/dev.txt", dev, spec, extra)
    for spec in meta.get("build-system", {}).get("requires", []):
        need("requirements/runtime.txt", runtime, spec)
        need("requirements/dev.txt", dev, spec)
    for name, (version, _) in runtime.items():
        if name in dev and dev[name][0] != version:
            found.append(f"{name} is {version} in requirements/runtime.txt but {dev[name][0]} in requirements/dev.txt")
    for lock_name, lock in (("requirements/runtime.txt", runtime), ("requirements/dev.txt", dev)):
        found.extend(f"{name} has no sha256 hash in {lock_name}" for name, (_, n) in lock.items() if n == 0)
    return found


def main() -> int:
    found = problems(ROOT / "pyproject.toml", ROOT / "requirements/runtime.txt", ROOT / "requirements/dev.txt")
    if not found:
        return 0
    print("lintas: the lock does not satisfy pyproject.toml:", file=sys.stderr)
    for line in found:
        print(f"  - {line}", file=sys.stderr)
    print(f"lintas: {FIX}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
