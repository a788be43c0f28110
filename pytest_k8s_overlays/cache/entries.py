"""Cached renders and check findings on disk, written atomically, never trusted blindly.

Keys come from :mod:`.key`; what a build reads, from :mod:`.inputs`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.findings import Finding
from ..parse.documents import Parsed
from ..render.engine import Renderer
from .inputs import Budget
from .key import FORMAT, RenderKeys, Seen
from .secret import Signer

if TYPE_CHECKING:
    from ..render.units import RenderUnit


#: The files of the check results the last runs used (``checks/index-<process>.json``).
INDEX = "index"

#: Entries no run has used for this long are removed at the end of any run.
GRACE_SECONDS = 7 * 24 * 3600

#: How stale an index entry's time of last use may be before a run that uses it writes
#: it again: a warm run that changes nothing writes no index, and an entry used every
#: day never reaches the grace period.
REFRESH_SECONDS = 3600


@dataclass
class Pruned:
    """Entries removed from the cache (or counted): how many, and their bytes."""

    files: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class Entry:
    """A cached render: Kustomize's output as printed, and the wrapper directory
    its origin paths are relative to (parsed again on every hit, exactly as a
    fresh render is, so a cached overlay can never differ from a rendered one).
    """

    text: str
    wrapper: str | None
    #: The parsed documents and their sources, when JSON holds them exactly
    #: (json_exact): loading JSON is several times faster than parsing YAML.
    parsed: list[tuple[dict[str, Any], str | None, dict[str, Any] | None]] | None = None


def json_exact(value: Any) -> bool:
    """Tell whether JSON round-trips ``value`` unchanged (no dates, bytes, int keys...)."""
    if isinstance(value, str) or value is None or isinstance(value, bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_exact(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(json_exact(item) for item in value)
    return False


def read_parsed(value: Any) -> Parsed | None:
    """Read back parsed documents (an Entry's, a hand-off's); anything malformed is None
    (parse the text, or render, instead)."""
    if not isinstance(value, list):
        return None
    parsed = []
    for row in value:
        if not (
            isinstance(row, list)
            and len(row) == 3
            and isinstance(row[0], dict)
            and isinstance(row[1], str | None)
            and isinstance(row[2], dict | None)
        ):
            return None
        parsed.append((row[0], row[1], row[2]))
    return parsed


def _compact(payload: Any) -> str:
    """``payload`` as the index holds it: compact JSON text."""
    return json.dumps(payload, separators=(",", ":"))


def _time(value: Any, default: float) -> float:
    """An index entry's time of last use; the index file's own when it has none."""
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else default


def _counts(value: Any) -> bool:
    """Whether ``value`` is a mapping of names to counts, as put_facts stores them."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, int) for k, v in value.items()
    )


class RenderCache:
    """Render results on disk, keyed by content; safe for concurrent processes.

    Every entry is signed (see :mod:`.secret`): an entry the gate did not
    write with the same secret reads as missing, however well-formed.
    """

    def __init__(
        self,
        directory: Path,
        renderer: Renderer,
        build_args: Sequence[str],
        environ: Mapping[str, str] | None = None,
        secret: bytes | None = None,
    ) -> None:
        self.directory = directory
        memo = directory / "programs" / "digests.json"
        self.keys = RenderKeys(renderer, build_args, environ, memo)
        self._signer = Signer(secret)
        #: The last runs' index of check results (read on first use), and those this
        #: process used or made (the next run's index, with what its own index held
        #: that it did not use, while young enough).
        self._index: dict[str, str] | None = None
        self._used: dict[str, str] = {}
        #: What each index file read held, by file name: each result, and when a run
        #: last used it (seconds since the epoch).
        self._indexes: dict[str, dict[str, tuple[str, float]]] = {}
        #: The results of this process's index left out of the next: those unused since
        #: this time (by default, those no run used for the grace period), or with
        #: ``_only_used`` every one this run did not use.
        self._unused_since: float | None = None
        self._only_used = False
        #: The renders this process read or wrote (their keys): pruning never removes
        #: them, whatever their files' times say.
        self._renders: set[str] = set()

    def unit_key(
        self,
        unit: RenderUnit,
        budget: Budget | None = None,
        seen: Seen | None = None,
        fresh: bool = False,
    ) -> str:
        """A render unit's key (see RenderKeys.unit_key); raises Uncacheable when its inputs
        cannot be accounted for."""
        return self.keys.unit_key(unit, budget, seen, fresh)

    def files_key(self, paths: Sequence[Path]) -> str:
        """A key for the content of files or directories (CRDs given on the command line)."""
        return self.keys.files_key(paths)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def _load(self, path: Path) -> Any:
        """The JSON of a signed file; None when missing, corrupt or not signed by us.

        An entry read is marked used (its modification time set to now), by any
        process, pytest-xdist workers included: :meth:`prune` keeps what runs use.
        """
        data = self._signer.load_json(path)
        if data is not None:
            with contextlib.suppress(OSError):
                os.utime(path)
        return data

    def _entries(self) -> Iterator[tuple[str, os.stat_result]]:
        """Every entry file (renders, findings, left-over temporary files) and its stat."""
        for folder in (self.directory, self.directory / "checks"):
            if folder.is_symlink():
                continue  # never prune through a link
            try:
                found = [e for e in os.scandir(folder) if e.is_file(follow_symlinks=False)]
            except OSError:
                continue
            for entry in found:
                if entry.name.endswith((".json", ".tmp")):
                    with contextlib.suppress(OSError):
                        yield entry.path, entry.stat(follow_symlinks=False)

    def prune(self, unused_since: float, only_used: bool = False) -> Pruned:
        """Remove the entries no run has read or written since ``unused_since`` (a
        ``time.time()`` value; with ``only_used``, the start of this run): render files
        now, and the check results of this process's index when it writes it (counted
        here; with ``only_used``, every one this run did not use)."""
        pruned = Pruned()
        self.leave_out_unused(None if only_used else unused_since)
        # A check result this run read from an index is used, though its file is not read
        # (a result of an earlier version of the gate, kept in a file of its own); a render
        # it read or wrote is used, though a coarse clock may date it before the run.
        used = {f"{key}.json" for key in (*self._used, *self._renders)}
        # This process's index: write_index leaves out its unused results.
        used.add(f"{INDEX}-main.json")
        for path, info in self._entries():
            if info.st_mtime < unused_since and os.path.basename(path) not in used:
                try:
                    os.unlink(path)
                except OSError:
                    continue
                pruned.files += 1
                pruned.bytes += info.st_size
        for text, _ in self._left_out("main").values():
            pruned.files += 1
            pruned.bytes += len(text)
        return pruned

    def size(self) -> Pruned:
        """The entries on disk: how many, and their bytes."""
        total = Pruned()
        for _path, info in self._entries():
            total.files += 1
            total.bytes += info.st_size
        return total

    def _checked(self, key: str) -> Any:
        """The stored payload of a check's result under ``key`` (findings, or facts): from
        the index of the last run, else from its own entry; None when neither holds it."""
        text = self._indexed().get(key)
        try:
            payload = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or payload.get("key") != key:
            payload = self._load(self.directory / "checks" / f"{key}.json")
            if not isinstance(payload, dict) or payload.get("key") != key:
                return None
            if payload.get("format") != FORMAT:
                return None
            text = _compact(payload)
        self._used[key] = str(text)
        return payload

    def _read_index(self) -> dict[str, str]:
        """The indexes the runs wrote (one per process: pytest-xdist workers each write
        their own), where check results are kept: a few signed files (a cold run at
        1,000 overlays writes one, not 10,000, and a warm run reads it). Results are
        addressed by their key's content, so an index of any earlier run holds only
        valid ones. Read, not marked used: an index no process writes again (a
        pytest-xdist worker's, of a run with more workers) ages out as entries do."""
        index: dict[str, str] = {}
        for path in sorted((self.directory / "checks").glob(f"{INDEX}-*.json")):
            try:
                written = path.stat().st_mtime
            except OSError:
                continue
            data = self._signer.load_json(path)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                continue
            entries, times = data.get("entries"), data.get("used")
            if not isinstance(entries, dict):
                continue
            times = times if isinstance(times, dict) else {}
            # Each held as its JSON text, read when looked up: 10,000 results as
            # objects would slow every garbage collection of the session.
            held = {
                key: (text, _time(times.get(key), written))
                for key, text in entries.items()
                if isinstance(text, str)
            }
            index.update((key, text) for key, (text, _) in held.items())
            self._indexes[path.name] = held
        return index

    def _own(self, process: str) -> dict[str, tuple[str, float]]:
        """What this process's index held (``main``, or a pytest-xdist worker's id)."""
        self._indexed()
        return self._indexes.get(f"{INDEX}-{process}.json", {})

    def _indexed(self) -> dict[str, str]:
        """Every result the indexes hold, read on first use."""
        if self._index is None:
            self._index = self._read_index()
        return self._index

    def leave_out_unused(self, since: float | None = None) -> None:
        """Leave the results of this process's index no run used since ``since`` out of
        the next one (by default: those unused for the grace period); with no time,
        every one this run did not use (--overlays-cache-prune)."""
        self._unused_since = since
        self._only_used = since is None

    def _left_out(self, process: str) -> dict[str, tuple[str, float]]:
        """The results of this process's index it did not use and leaves out of the next."""
        since = self._unused_since
        if since is None:
            since = time.time() - GRACE_SECONDS
        return {
            key: held
            for key, held in self._own(process).items()
            if key not in self._used and (self._only_used or held[1] < since)
        }

    def write_index(self, process: str) -> None:
        """Keep the check results this process (``main``, or a pytest-xdist worker's id)
        used or made as its index for the next run, with those of its own index it did
        not use this run, until they are unused for the grace period (or since prune's
        time, with --overlays-cache-prune): a run of a few overlays (``-k``) keeps the
        others' results. Written only when it changes."""
        if not re.fullmatch(r"[A-Za-z0-9_]+", process):
            return
        own = self._own(process)
        now = time.time()
        left_out = self._left_out(process)
        entries = {key: held for key, held in own.items() if key not in left_out}
        for key, text in self._used.items():
            held = own.get(key)
            fresh = held is not None and held[0] == text and now - held[1] < REFRESH_SECONDS
            entries[key] = held if fresh and held is not None else (text, now)
        path = self.directory / "checks" / f"{INDEX}-{process}.json"
        if not entries:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)  # all left out, or nothing ever checked
            return
        if entries == own:
            return  # it holds exactly these already
        payload = {
            "format": FORMAT,
            "entries": {key: text for key, (text, _) in entries.items()},
            "used": {key: int(when) for key, (_, when) in entries.items()},
        }
        self._write(self.directory / "checks", f"{INDEX}-{process}", payload)

    def get_findings(self, key: str) -> list[Finding] | None:
        """Return cached check findings; a corrupt or unsigned entry is None."""
        try:
            data = self._checked(key)
            return [Finding.from_dict(row) for row in data["findings"]]
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def get_facts(self, key: str) -> tuple[dict[str, int], dict[str, int]] | None:
        """Return cached counts by kind (custom kinds validated, and not); None when
        missing, corrupt or unsigned."""
        try:
            data = self._checked(key)
            first, second = data["facts"]
            if not all(_counts(part) for part in (first, second)):
                return None
            return dict(first), dict(second)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def put_facts(self, key: str, facts: tuple[dict[str, int], dict[str, int]]) -> None:
        """Store counts by kind, in this process's index (written at its end)."""
        payload = {"format": FORMAT, "key": key, "facts": list(facts)}
        self._used[key] = _compact(payload)

    def put_findings(self, key: str, findings: Sequence[Finding]) -> None:
        """Store check findings, in this process's index (written at its end): a file
        each would cost a cold run at 1,000 overlays 8,000 files (two seconds here),
        and a CI cache as many to save and restore."""
        rows = [asdict(f) for f in findings]
        payload = {"format": FORMAT, "key": key, "findings": rows}
        self._used[key] = _compact(payload)

    def holds(self, key: str) -> bool:
        """Whether a render this gate wrote is stored under ``key``: its signature and key
        checked, its documents not parsed (get reads them, when something needs them);
        marked used, like any entry read."""
        path = self._path(key)
        data = self._signer.read(path)
        head = json.dumps({"format": FORMAT, "key": key}, separators=(",", ":"))[:-1] + ","
        if data is None or not data.startswith(head.encode()):
            return False
        self._renders.add(key)
        with contextlib.suppress(OSError):
            os.utime(path)
        return True

    def get(self, key: str) -> Entry | None:
        """Return the entry for ``key``; a missing, corrupt or unsigned entry is None,
        never trusted."""
        data = self._load(self._path(key))
        if (
            not isinstance(data, dict)
            or data.get("format") != FORMAT
            or data.get("key") != key
            or not isinstance(data.get("text"), str)
            or not isinstance(data.get("wrapper"), (str, type(None)))
        ):
            return None
        self._renders.add(key)
        return Entry(data["text"], data["wrapper"], read_parsed(data.get("parsed")))

    def put(self, key: str, entry: Entry) -> None:
        """Write an entry atomically (temporary file, then rename)."""
        payload: dict[str, Any] = {
            "format": FORMAT,
            "key": key,
            "text": entry.text,
            "wrapper": entry.wrapper,
        }
        if entry.parsed is not None:
            payload["parsed"] = [list(row) for row in entry.parsed]
        self._write(self.directory, key, payload)
        self._renders.add(key)

    def _write(self, directory: Path, key: str, payload: dict[str, Any]) -> None:
        try:
            private_directory(directory)
            self._signer.write_json(directory / f"{key}.json", payload)
        except OSError:
            # A read-only or full cache directory costs speed, never correctness.
            return


def private_directory(directory: Path) -> None:
    """Create ``directory`` (and its parents) readable and writable by its owner only.

    The cache holds rendered Secrets; with a group- or world-writable umask,
    others could also replace entries (which signing would then refuse).
    """
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(directory.stat().st_mode) != 0o700:
        directory.chmod(0o700)
