"""Run the renderer as a process that never outlives its session, its timeout or a Ctrl-C.

Each render runs in a process group of its own, so that a timeout kills
Kustomize together with the helm or git it started. That also takes it out of
the terminal's reach, so the plugin itself answers for it:

- a timeout kills the group;
- Ctrl-C (a KeyboardInterrupt in any thread waiting for it) kills the group,
  and :func:`kill_all` kills every group still running;
- if pytest dies without a chance to clean up (``kill -9``, an out-of-memory
  kill), a watchdog process sees its pipe close and kills every group pytest
  had registered with it;
- the temporary directories a killed run leaves behind are removed by the
  next run (:func:`clean_stale_directories`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

#: The plugin's temporary directories live in ``pytest-k8s-overlays-<uid>``.
TEMP_PREFIX = "k8s-overlays-"

#: The watchdog: reads ``+PGID`` and ``-PGID`` lines on stdin; at end of input
#: (pytest exited, however it died) it kills every group still registered.
#: Plain Python, no imports beyond the standard library, started with -S -E.
_WATCHDOG = """
import os, signal, sys
groups = set()
buffer = b""
while True:
    chunk = os.read(0, 4096)
    if not chunk:
        break
    buffer += chunk
    *lines, buffer = buffer.split(b"\\n")
    for line in lines:
        if line[:1] == b"+":
            groups.add(int(line[1:]))
        elif line[:1] == b"-":
            groups.discard(int(line[1:]))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""


class Interrupted(Exception):
    """A run was refused: the session is stopping (Ctrl-C)."""


class _Registry:
    """The live process groups of this process, told to the watchdog too."""

    def __init__(self) -> None:
        self.groups: set[int] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._watchdog_pid = 0

    def _pipe(self) -> IO[bytes] | None:
        # Started lazily, once per process (a forked child starts its own).
        if os.name != "posix":  # pragma: no cover - Windows
            return None
        if self._watchdog is None or self._watchdog_pid != os.getpid():
            try:
                self._watchdog = subprocess.Popen(
                    [sys.executable, "-S", "-E", "-c", _WATCHDOG],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    # Out of the terminal's process group: Ctrl-C or a signal to
                    # the group must not take the watchdog down before pytest.
                    start_new_session=True,
                )
            except OSError:
                self._watchdog = None
                return None
            self._watchdog_pid = os.getpid()
            atexit.register(self._release, self._watchdog, self._watchdog_pid)
        return self._watchdog.stdin

    @staticmethod
    def _release(watchdog: subprocess.Popen[bytes], owner: int) -> None:
        """At exit: end the watchdog's input, as its end would (it kills what is still
        registered, nothing after a clean session, and exits), and reap it, rather than
        leave that to the interpreter's teardown ("ResourceWarning: subprocess ... is
        still running"). Only in the process that started it (not a forked child)."""
        if os.getpid() != owner:
            return
        if watchdog.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                watchdog.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            watchdog.wait(timeout=2)

    def _tell(self, line: str) -> None:
        pipe = self._pipe()
        if pipe is None:
            return
        try:
            pipe.write(line.encode() + b"\n")
            pipe.flush()
        except (OSError, ValueError):
            pass  # the watchdog is gone: timeouts and Ctrl-C still work

    def add(self, group: int) -> bool:
        """Register a running group; when the session is stopping, kill it instead and
        return False. Under the lock :meth:`kill_all` takes too: a Ctrl-C between a
        process's start and its registration finds it either way."""
        with self.lock:
            if self.stopping.is_set():
                _kill_group(group)
                return False
            self.groups.add(group)
            self._tell(f"+{group}")
            return True

    def remove(self, group: int) -> None:
        with self.lock:
            self.groups.discard(group)
            self._tell(f"-{group}")

    def kill_all(self) -> None:
        self.stopping.set()  # first: a group registered after the copy below kills itself
        with self.lock:
            groups = list(self.groups)
        for group in groups:
            _kill_group(group)


_REGISTRY = _Registry()


def _kill_group(group: int) -> None:
    with contextlib.suppress(OSError):  # already gone
        os.killpg(group, signal.SIGKILL)


def kill_all() -> None:
    """Kill every render still running (Ctrl-C) and refuse to start new ones."""
    _REGISTRY.kill_all()


def reset() -> None:
    """Allow runs again (a new session in the same process, as pytester runs them)."""
    _REGISTRY.stopping.clear()


def stopping() -> bool:
    """Tell whether the session is stopping (Ctrl-C): long work should end now."""
    return _REGISTRY.stopping.is_set()


def run(argv: Sequence[str], env: Mapping[str, str], timeout: float) -> tuple[int, bytes, str]:
    """Run ``argv`` in a process group of its own; return exit status, stdout, stderr.

    Raises subprocess.TimeoutExpired after ``timeout`` seconds (the group is
    killed first), OSError if the program cannot start, Interrupted when the
    session is stopping. Any exception while waiting (a KeyboardInterrupt)
    kills the group before it propagates.
    """
    if stopping():
        raise Interrupted("interrupted")
    posix = os.name == "posix"
    process = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=dict(env),
        start_new_session=posix,
    )
    try:
        if posix and not _REGISTRY.add(process.pid):
            raise Interrupted("interrupted")  # Ctrl-C came between its start and now
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        if posix:
            _kill_group(process.pid)
        else:  # pragma: no cover - Windows
            process.kill()
        process.communicate()
        raise
    finally:
        if posix:
            _REGISTRY.remove(process.pid)
    return process.returncode, stdout, stderr.decode("utf-8", "replace")


def temp_root() -> Path:
    """The plugin's own directory under the temporary directory, private to this user
    (``$TMPDIR/pytest-k8s-overlays-<uid>``): what is in it is the plugin's, so a later
    run can remove what a killed one left without touching anything else."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = Path(tempfile.gettempdir()) / f"pytest-{TEMP_PREFIX}{uid}"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        info = root.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == uid and not info.st_mode & 0o077:
            return root
    except OSError:
        pass
    # Someone else's, or unusable: plain temporary directories, never cleaned up by us.
    return Path(tempfile.gettempdir())


def temporary_directory(kind: str = "") -> tempfile.TemporaryDirectory[str]:
    """A temporary directory named after this process, so a later run can tell it is stale."""
    return tempfile.TemporaryDirectory(prefix=f"{os.getpid()}-{kind}", dir=temp_root())


def session_directory(kind: str) -> Path:
    """A directory that outlives this call (removed by its owner), named after this process."""
    return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-{kind}-", dir=temp_root()))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: alive
    return True


def _dead_owner(name: str) -> bool:
    pid, dash, _ = name.partition("-")
    return bool(dash) and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid))


#: What earlier versions left directly in the temporary directory:
#: ``k8s-overlays-`` and mkdtemp's 8 characters, holding one wrapper kustomization.
_OLD_WRAPPER_RE = re.compile(rf"{TEMP_PREFIX}[a-z0-9_]{{8}}")
_WRAPPER_HEADER = b"# written by pytest-k8s-overlays"


#: An earlier version's wrapper directory younger than this may belong to a run
#: still going (with that version): it is left alone.
_OLD_WRAPPER_AGE = 3600.0


def _old_wrapper(path: Path) -> bool:
    """A directory of ours, left by an earlier version: one wrapper kustomization, or none,
    and older than any render of a run still going could be."""
    try:
        info = path.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return False
        if time.time() - info.st_mtime < _OLD_WRAPPER_AGE:
            return False
        entries = list(path.iterdir())
        return all(
            entry.name == "kustomization.yaml"
            and entry.read_bytes()[: len(_WRAPPER_HEADER)] == _WRAPPER_HEADER
            for entry in entries
        )
    except OSError:
        return False


def clean_stale_directories() -> int:
    """Remove the temporary directories of runs that died (``kill -9``); return how many."""
    removed = 0
    root = temp_root()
    if root.name.startswith(f"pytest-{TEMP_PREFIX}"):
        with contextlib.suppress(OSError):
            for entry in os.scandir(root):
                if _dead_owner(entry.name):
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed += 1
    with contextlib.suppress(OSError):
        for entry in os.scandir(tempfile.gettempdir()):
            if _OLD_WRAPPER_RE.fullmatch(entry.name) and _old_wrapper(Path(entry.path)):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed += 1
    return removed
