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

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

#: Every temporary directory of the plugin starts with this, then the pid that made it.
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
        return self._watchdog.stdin

    def _tell(self, line: str) -> None:
        pipe = self._pipe()
        if pipe is None:
            return
        try:
            pipe.write(line.encode() + b"\n")
            pipe.flush()
        except (OSError, ValueError):
            pass  # the watchdog is gone: timeouts and Ctrl-C still work

    def add(self, group: int) -> None:
        with self.lock:
            self.groups.add(group)
            self._tell(f"+{group}")

    def remove(self, group: int) -> None:
        with self.lock:
            self.groups.discard(group)
            self._tell(f"-{group}")

    def kill_all(self) -> None:
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
    _REGISTRY.stopping.set()
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
    if posix:
        _REGISTRY.add(process.pid)
    try:
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


def temporary_directory(kind: str = "") -> tempfile.TemporaryDirectory[str]:
    """A temporary directory named after this process, so a later run can tell it is stale."""
    return tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-{kind}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: alive
    return True


#: A directory of an earlier version (no pid in its name) is stale after this long.
_OLD_FORMAT_AGE = 3600.0


def _stale(entry: os.DirEntry[str]) -> bool:
    rest = entry.name[len(TEMP_PREFIX) :]
    pid, dash, _ = rest.partition("-")
    if dash and pid.isdigit():
        return int(pid) != os.getpid() and not _alive(int(pid))
    try:
        return time.time() - entry.stat(follow_symlinks=False).st_mtime > _OLD_FORMAT_AGE
    except OSError:
        return False


def clean_stale_directories(root: str | None = None) -> int:
    """Remove the temporary directories of runs that died (``kill -9``); return how many."""
    removed = 0
    base = root or tempfile.gettempdir()
    try:
        entries = list(os.scandir(base))
    except OSError:
        return 0
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if uid is not None and entry.stat(follow_symlinks=False).st_uid != uid:
                continue
        except OSError:
            continue
        if _stale(entry):
            shutil.rmtree(Path(entry.path), ignore_errors=True)
            removed += 1
    return removed
