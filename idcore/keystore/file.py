"""A :class:`~idcore.keystore.KeyStore` keeping one PKCS#8 PEM file per key (RFC 5958, RFC 7468).

``<directory>/<key_id>.pem``, mode 0600, optionally encrypted with a passphrase
(PKCS#8 ``EncryptedPrivateKeyInfo``). Files appear atomically: a key is written to a temporary
file in the same directory, flushed to disk, then linked into place, so a reader never sees a
half-written key and two processes creating the same id cannot overwrite each other's key.

Loading refuses key files that group or others may read or write, and symlinks: a key file that
someone else could have swapped is not a key we sign with.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

from idcore.errors import KeyStoreError, Reason
from idcore.jose import KeySigner
from idcore.jwk import PublicKey
from idcore.keys import generate_private_key, private_key_from_pem, private_key_to_pem
from idcore.keystore._base import check_key_id

__all__ = ["FileKeyStore"]

_MAX_PEM_BYTES = 64 * 1024


class FileKeyStore:
    """Keys as PEM files in one directory. Thread-safe; signers are cached per key id.

    The constructor touches nothing; the directory is created (mode 0700) on the first ``create``.
    """

    def __init__(self, directory: Path, passphrase: bytes | None = None) -> None:
        self._directory = Path(directory)
        self._passphrase = passphrase
        self._lock = threading.Lock()
        self._signers: dict[str, KeySigner] = {}

    def __repr__(self) -> str:
        # Never show the passphrase.
        return f"FileKeyStore({str(self._directory)!r}, encrypted={self._passphrase is not None})"

    def _path(self, key_id: str) -> Path:
        return self._directory / f"{check_key_id(key_id)}.pem"

    def exists(self, key_id: str) -> bool:
        """Whether ``<key_id>.pem`` exists in the store directory."""
        return self._path(key_id).is_file()

    def create(self, key_id: str, alg: str = "ES256") -> KeySigner:
        """Generate a key for ``alg`` and write it; KeyStoreError ``key_store`` if the id exists."""
        path = self._path(key_id)
        if path.exists():
            raise KeyStoreError(Reason.KEY_STORE, f"key {key_id!r} already exists")
        key = generate_private_key(alg)
        pem = private_key_to_pem(key, self._passphrase)
        with self._lock:
            self._write_new(path, pem)
            signer = KeySigner(key)
            self._signers[key_id] = signer
        return signer

    def signer(self, key_id: str) -> KeySigner:
        """Load (or return the cached) signer for ``key_id``; KeyStoreError ``key_not_found`` if absent."""
        path = self._path(key_id)
        with self._lock:
            cached = self._signers.get(key_id)
            if cached is not None:
                return cached
        signer = KeySigner(private_key_from_pem(self._read(path), self._passphrase))
        with self._lock:
            return self._signers.setdefault(key_id, signer)

    def public_key(self, key_id: str) -> PublicKey:
        """The public key of ``key_id``."""
        return self.signer(key_id).private_key.public_key()

    def get_or_create(self, key_id: str, alg: str = "ES256") -> KeySigner:
        """Return the signer for ``key_id``, creating it if absent; refuse an existing key of another alg."""
        if not self.exists(key_id):
            try:
                return self.create(key_id, alg)
            except KeyStoreError as exc:
                if exc.reason is not Reason.KEY_STORE or not self.exists(key_id):
                    raise
                # Lost a creation race with another process: use the key it wrote.
        signer = self.signer(key_id)
        if signer.alg != alg:
            raise KeyStoreError(Reason.KEY_STORE, f"key {key_id!r} exists with alg {signer.alg}, not {alg}")
        return signer

    def _write_new(self, path: Path, pem: bytes) -> None:
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self._directory / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            _link_no_clobber(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def _read(self, path: Path) -> bytes:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            raise KeyStoreError(Reason.KEY_NOT_FOUND, f"no key {path.stem!r}") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise KeyStoreError(Reason.KEY_STORE, f"key file {path.name} is a symlink") from None
            raise KeyStoreError(Reason.KEY_STORE, f"cannot open key file {path.name}") from None
        with os.fdopen(fd, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise KeyStoreError(Reason.KEY_STORE, f"key file {path.name} is not a regular file")
            if mode & 0o077:
                raise KeyStoreError(Reason.KEY_STORE, f"key file {path.name} is accessible to group/others (want 0600)")
            data = handle.read(_MAX_PEM_BYTES + 1)
        if len(data) > _MAX_PEM_BYTES:
            raise KeyStoreError(Reason.TOO_LARGE, f"key file {path.name} is too large")
        return data


def _link_no_clobber(tmp: Path, path: Path) -> None:
    """Put ``tmp`` at ``path`` atomically, failing if ``path`` exists.

    ``os.link`` is atomic like ``os.replace`` but refuses to overwrite; ``os.replace`` is the
    fallback for file systems without hard links, guarded by an existence check.
    """
    try:
        os.link(tmp, path)
        return
    except FileExistsError:
        raise KeyStoreError(Reason.KEY_STORE, f"key {path.stem!r} already exists") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise KeyStoreError(Reason.KEY_STORE, f"cannot write key file {path.name}") from None
    if path.exists():
        raise KeyStoreError(Reason.KEY_STORE, f"key {path.stem!r} already exists")
    os.replace(tmp, path)
