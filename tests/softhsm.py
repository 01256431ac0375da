"""Throw-away SoftHSM2 tokens for tests: never the system token directory.

Use the session fixture in a test module::

    from tests.softhsm import softhsm_token  # noqa: F401  (pytest fixture)

    def test_x(softhsm_token): store = Pkcs11KeyStore(*softhsm_token.store_args())

SoftHSM2 reads ``SOFTHSM2_CONF`` once, when the library is initialised (first use in a process),
so all tests of one pytest process share one token directory and one token: the fixture memoises
it per process even if several modules import it. Give keys unique ids (e.g. ``uuid4().hex``).
For a server in a subprocess pass ``env=token.env()``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["SOFTHSM2_LIBRARY", "SoftHsmToken", "create_token", "softhsm_available", "softhsm_token"]

SOFTHSM2_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so"


@dataclass(frozen=True)
class SoftHsmToken:
    """A freshly initialised SoftHSM2 token in a temporary directory."""

    library_path: str
    token_label: str
    user_pin: str
    so_pin: str
    conf_path: Path

    def store_args(self) -> tuple[str, str, str]:
        """``(library_path, token_label, user_pin)``, the arguments of ``Pkcs11KeyStore``."""
        return self.library_path, self.token_label, self.user_pin

    def env(self) -> dict[str, str]:
        """The current environment plus ``SOFTHSM2_CONF`` pointing at this token's config."""
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf_path)}


def softhsm_available() -> bool:
    """Whether softhsm2-util and the SoftHSM2 library are installed."""
    return shutil.which("softhsm2-util") is not None and Path(SOFTHSM2_LIBRARY).is_file()


def create_token(directory: Path, *, label: str = "lintas-test") -> SoftHsmToken:
    """Write a softhsm2.conf under ``directory`` and initialise a token there with random PINs."""
    token_dir = directory / "tokens"
    token_dir.mkdir(parents=True, mode=0o700)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {token_dir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
    )
    token = SoftHsmToken(SOFTHSM2_LIBRARY, label, secrets.token_hex(8), secrets.token_hex(8), conf)
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            label,
            "--pin",
            token.user_pin,
            "--so-pin",
            token.so_pin,
        ],
        env=token.env(),
        check=True,
        capture_output=True,
        timeout=30,
    )
    return token


_PROCESS_TOKEN: list[SoftHsmToken] = []


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsmToken]:
    """One SoftHSM2 token per test process, with ``SOFTHSM2_CONF`` set for the process meanwhile."""
    if not softhsm_available():
        pytest.fail("SoftHSM2 is not installed (softhsm2-util, libsofthsm2.so)")
    if not _PROCESS_TOKEN:
        _PROCESS_TOKEN.append(create_token(tmp_path_factory.mktemp("softhsm")))
    token = _PROCESS_TOKEN[0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(token.conf_path))
        yield token
