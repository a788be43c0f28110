"""The secret that authenticates cache entries: only entries the gate wrote are trusted.

A cache entry names its key in its file name, and its content is plain JSON:
anyone who can write the cache directory (a pull request committing
``.pytest_cache``, a restored CI cache, another account) could otherwise hand
the gate a clean-looking render of a broken overlay. Each entry therefore
carries an HMAC made with a secret kept outside the checkout:

1. the file named by ``--overlays-cache-key-file`` (ini ``overlays_cache_key_file``);
2. else the value of the environment variable ``PYTEST_K8S_OVERLAYS_CACHE_KEY``
   (a CI secret);
3. else ``$XDG_CACHE_HOME/pytest-k8s-overlays/key`` (``~/.cache/...``), 32
   random bytes created on first use, readable by you alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_KEY = "PYTEST_K8S_OVERLAYS_CACHE_KEY"

#: A shorter secret is too easy to guess.
MIN_SECRET = 16


class KeyUnavailable(Exception):
    """No usable secret: the cache is off, and the message says why."""


def default_key_file(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/pytest-k8s-overlays/key``, or under ``~/.cache``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pytest-k8s-overlays" / "key"


def _check_private(path: Path) -> None:
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise KeyUnavailable(f"cache key file {path} is not a regular file")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise KeyUnavailable(f"cache key file {path} belongs to another user")
    if info.st_mode & 0o022:
        raise KeyUnavailable(
            f"cache key file {path} is writable by others (mode {stat.S_IMODE(info.st_mode):o})"
        )


def _read(path: Path) -> bytes:
    try:
        _check_private(path)
        value = path.read_bytes().strip()
    except OSError as error:
        raise KeyUnavailable(f"cache key file {path}: {error.strerror or error}") from None
    if len(value) < MIN_SECRET:
        raise KeyUnavailable(f"cache key file {path} holds fewer than {MIN_SECRET} bytes")
    return value


def _create(path: Path) -> None:
    """Write a new random key, atomically: concurrent runs all end up with one key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = _private_temp(path)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        with contextlib.suppress(FileExistsError):  # another run made one first
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def _private_temp(path: Path) -> tuple[int, str]:
    tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
    return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp


def cache_secret(key_file: Path | None = None, environ: Mapping[str, str] | None = None) -> bytes:
    """The secret, from the first source configured; raise KeyUnavailable."""
    env = os.environ if environ is None else environ
    if key_file is not None:
        return _read(key_file)
    value = env.get(ENV_KEY, "")
    # Empty is unset: a CI secret that is not configured (or not given to a pull
    # request from a fork) expands to nothing.
    if value.strip():
        if len(value.strip()) < MIN_SECRET:
            raise KeyUnavailable(f"{ENV_KEY} holds fewer than {MIN_SECRET} characters")
        return value.strip().encode()
    path = default_key_file(env)
    if not path.exists():
        try:
            _create(path)
        except OSError as error:
            raise KeyUnavailable(
                f"cannot create cache key file {path}: {error.strerror or error}"
            ) from None
    return _read(path)


class Signer:
    """Signs and checks cache files with a key derived from the secret."""

    def __init__(self, secret: bytes | None = None) -> None:
        # No secret: one of this process's own (entries it wrote, and only those).
        raw = secret if secret is not None else secrets.token_bytes(32)
        self._key = hashlib.sha256(b"pytest-k8s-overlays cache entries\0" + raw).digest()

    def sign(self, data: bytes) -> bytes:
        """``data`` with its tag in front, on a line of its own."""
        return hmac.new(self._key, data, hashlib.sha256).hexdigest().encode() + b"\n" + data

    def open(self, signed: bytes) -> bytes | None:
        """The data of a signed file, or None when the tag does not match (not ours)."""
        tag, newline, data = signed.partition(b"\n")
        if not newline:
            return None
        expected = hmac.new(self._key, data, hashlib.sha256).hexdigest().encode()
        return data if hmac.compare_digest(tag, expected) else None

    def write_json(self, path: Path, payload: Any) -> None:
        """Write ``payload`` as signed JSON, atomically (a temporary file, then a rename)
        and readable by its owner only (mkstemp: 0600, the files hold rendered Secrets).
        Raises OSError."""
        data = self.sign(json.dumps(payload, separators=(",", ":")).encode())
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:12]}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)

    def read(self, path: Path) -> bytes | None:
        """The data of a file this key signed; None when missing or not ours."""
        try:
            signed = path.read_bytes()
        except OSError:
            return None
        return self.open(signed)

    def load_json(self, path: Path) -> Any:
        """The JSON of a file this key signed; None when missing, corrupt or not ours."""
        data = self.read(path)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None
