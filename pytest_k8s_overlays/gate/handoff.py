"""This session's renders, made once by the pytest-xdist controller and read by its workers.

Without it, workers share renders only through the on-disk render cache, and
with no usable cache (``--cache-clear``, ``-p no:cacheprovider``,
``--overlays-no-cache``, an uncacheable overlay, a render failure) every
worker renders every overlay again. The controller renders each overlay once
into a private directory (0700, like the cache it holds rendered Secrets),
signed with a key of this session only, and passes both to the workers; it
removes the directory when the session ends (a killed session's is removed by
the next run, see :mod:`.processes`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from ..cache.secret import Signer
from ..render.processes import session_directory

#: The key of the hand-off in pytest-xdist's ``workerinput``.
WORKERINPUT_KEY = "k8s_overlays_renders"


class SessionRenders:
    """Render outcomes by unit (an overlay's directory, or an Argo CD recipe's name):
    written by the controller, read by workers."""

    def __init__(self, directory: Path, secret: bytes, writable: bool) -> None:
        self.directory = directory
        self.writable = writable
        self._secret = secret
        self._signer = Signer(secret)

    @classmethod
    def create(cls) -> SessionRenders:
        """A new, private directory for this session (the controller's)."""
        return cls(session_directory("session"), secrets.token_bytes(32), writable=True)

    def to_workerinput(self) -> dict[str, str]:
        """What a worker needs to read the renders (plain strings: execnet sends them)."""
        return {"directory": str(self.directory), "secret": self._secret.hex()}

    @classmethod
    def from_workerinput(cls, data: Any) -> SessionRenders | None:
        """The controller's renders, as a worker reads them; None if not handed over."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(Path(data["directory"]), bytes.fromhex(data["secret"]), writable=False)
        except (KeyError, TypeError, ValueError):
            return None

    def _path(self, handle: str) -> Path:
        # fsencode: a directory name that is not UTF-8 is bytes a str cannot encode.
        name = hashlib.sha256(os.fsencode(handle)).hexdigest()
        return self.directory / f"{name}.json"

    def put(self, handle: str, record: dict[str, Any]) -> None:
        """Keep one unit's outcome and cache ``key``: its ``failure``, its ``parsed``
        documents (origins and patches kept), or its ``resources`` as built."""
        if not self.writable:
            return
        try:
            self._signer.write_json(self._path(handle), {**record, "unit": handle})
        except OSError:
            return  # a worker then renders it itself

    def get(self, handle: str) -> dict[str, Any] | None:
        """One overlay's outcome, or None (not rendered by the controller, or not ours)."""
        record = self._signer.load_json(self._path(handle))
        if not isinstance(record, dict) or record.get("unit") != handle:
            return None
        return record

    def remove(self) -> None:
        """Remove the directory (the controller, when the session ends)."""
        if self.writable:
            shutil.rmtree(self.directory, ignore_errors=True)
