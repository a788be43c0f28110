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
import threading
from pathlib import Path
from typing import Any

from ..cache import json_exact
from ..cache.entries import read_parsed
from ..cache.secret import Signer
from ..core.resources import Resource
from ..parse.documents import Parsed, to_resources
from ..render.processes import session_directory
from ..render.units import Outcome
from .cached import Deferred

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


class Handoff:
    """The store's side of the hand-off: what the controller keeps of each unit for the
    workers, and what a worker reads back."""

    def __init__(self, display_root: Path, keep_origins: bool) -> None:
        self.display_root = display_root
        self.keep_origins = keep_origins
        #: Under pytest-xdist: the renders the controller hands to the workers.
        self.shared: SessionRenders | None = None
        #: On the controller: parsed renders waiting to be handed over.
        self._parsed: dict[str, Parsed] = {}
        self._guard = threading.Lock()

    @property
    def writing(self) -> bool:
        """Whether this is the pytest-xdist controller handing renders over."""
        return self.shared is not None and self.shared.writable

    def resources(self, identity: str, parsed: Parsed) -> tuple[Resource, ...]:
        """The resources of a render; on the controller, its parsed documents are kept
        for the hand-off (the workers build the same resources from them)."""
        if self.writing:
            with self._guard:
                self._parsed[identity] = parsed
        return to_resources(parsed, self.display_root, self.keep_origins)

    def put(self, identity: str, outcome: Outcome | Deferred, key: str | None) -> None:
        """On the controller: keep the outcome (and the unit's cache key) for the workers."""
        if self.shared is None or not self.shared.writable:
            return
        if isinstance(outcome, Deferred):
            # In the render cache, which the workers read too (when they need it at all).
            self.shared.put(identity, {"deferred": outcome.key, "key": outcome.key})
            return
        if isinstance(outcome, str):
            self.shared.put(identity, {"failure": outcome, "key": key})
            return
        with self._guard:
            parsed = self._parsed.pop(identity, None)
        if parsed is not None and json_exact(parsed):
            # Origins and the patches they name: a worker's findings read as a serial run's.
            rows = [list(row) for row in parsed]
            self.shared.put(identity, {"parsed": rows, "key": key})
            return
        resources = [[resource.raw, resource.source] for resource in outcome]
        if json_exact(resources):  # else each worker renders it (a date in a manifest)
            self.shared.put(identity, {"resources": resources, "key": key})

    def get(self, identity: str) -> tuple[Outcome | Deferred, str | None] | None:
        """On a worker: the controller's outcome and cache key; None: render it here."""
        if self.shared is None or self.shared.writable:
            return None
        record = self.shared.get(identity)
        if record is None:
            return None
        key = record.get("key") if isinstance(record.get("key"), str) else None
        if isinstance(record.get("deferred"), str):
            return Deferred(record["deferred"]), record["deferred"]
        if isinstance(record.get("failure"), str):
            return str(record["failure"]), key
        parsed = read_parsed(record.get("parsed"))
        if parsed is not None:
            return to_resources(parsed, self.display_root, self.keep_origins), key
        rows = record.get("resources")
        if not isinstance(rows, list) or not all(
            isinstance(row, list) and len(row) == 2 and isinstance(row[0], dict) for row in rows
        ):
            return None
        resources = tuple(
            Resource(raw, source if isinstance(source, str) else None) for raw, source in rows
        )
        return resources, key
