"""Renders never outlive their session, their timeout or a Ctrl-C.

The waits below are generous bounds against a hang, never measurements: each
test would otherwise wait for a renderer that sleeps for minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .builders import kustomize_version, write

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")


def _real_kubectl() -> str:
    from pytest_k8s_overlays.render.engine import find_renderer

    return find_renderer().binary


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


#: A renderer that hangs on the overlays (not on the start-up probe's empty
#: kustomization), with a child of its own: what a stuck git or helm looks like.
HANGING = """
case "$1" in version) echo "{version}"; exit 0;; esac
if grep -qs "ov/" "$1/kustomization.yaml"; then
    sleep 300 &
    echo $! > "{marks}/child.$!"
    echo $$ > "{marks}/renderer.$$"
    wait
fi
exec {kubectl} kustomize "$@"
"""


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def wait_for(condition: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail after ``limit`` seconds (a hang)."""
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"still waiting after {limit:g}s: {what}")
        time.sleep(0.05)


def _sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def started_renders(pytester: pytest.Pytester) -> tuple[subprocess.Popen[bytes], Path, Path]:
    """Start pytest on two hanging overlays, as a terminal would (its own process
    group), and wait until both renderers run; return it, the marks and TMPDIR."""
    marks = pytester.mkdir("marks")
    tmp = pytester.mkdir("tmp")
    for name in ("a", "b"):
        write(pytester.path, f"ov/{name}/kustomization.yaml", "resources: [cm.yaml]\n")
        write(pytester.path, f"ov/{name}/cm.yaml", CM)
    hanging = script(
        pytester.path / "hanging-renderer",
        HANGING.format(marks=marks, kubectl=_real_kubectl(), version=kustomize_version()),
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "--overlays=ov",
            f"--overlays-kustomize={hanging}",
            "--overlays-jobs=2",
            "--overlays-timeout=600",
            "-p",
            "no:cacheprovider",
        ],
        cwd=pytester.path,
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # As a terminal starts it: a shell's background job (`cmd &` without job
        # control, as a CI script may run the suite) inherits SIGINT ignored, and
        # Python then never turns a Ctrl-C into KeyboardInterrupt.
        preexec_fn=_sigint_as_in_a_terminal,
    )
    wait_for(lambda: len(list(marks.glob("child.*"))) == 2, "both renderers to start")
    return process, marks, tmp


def pids(marks: Path) -> list[int]:
    return [int(path.name.split(".")[1]) for path in marks.iterdir()]


def test_ctrl_c_kills_the_renders_at_once(pytester: pytest.Pytester) -> None:
    process, marks, _ = started_renders(pytester)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    try:
        output, _ = process.communicate(timeout=60)  # the renders would take 300 s
    finally:
        process.kill()
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output.decode()
    assert b"KeyboardInterrupt" in output
    wait_for(lambda: not any(alive(pid) for pid in pids(marks)), "the renderers to die")


#: A conftest whose thread, once both renders run, takes the SIGINT itself: the kernel
#: may deliver a terminal's Ctrl-C to any thread of pytest, a render thread included.
SIGINT_ON_A_THREAD = """
import os, signal, threading, time

def pytest_configure(config):
    marks = os.environ["MARKS"]

    def interrupt():
        while len([m for m in os.listdir(marks) if m.startswith("child.")]) < 2:
            time.sleep(0.05)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
"""


def test_ctrl_c_taken_by_another_thread_than_the_main_one_still_stops_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: the main thread waited for the renders with no timeout and never saw the
    # signal until a render ended (300 s here).
    pytester.makeconftest(SIGINT_ON_A_THREAD)
    monkeypatch.setenv("MARKS", str(pytester.path / "marks"))
    process, marks, _ = started_renders(pytester)
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output.decode()
    wait_for(lambda: not any(alive(pid) for pid in pids(marks)), "the renderers to die")


def test_kill_9_leaves_no_renderer_and_the_next_run_cleans_up(pytester: pytest.Pytester) -> None:
    process, marks, tmp = started_renders(pytester)
    os.kill(process.pid, signal.SIGKILL)  # no chance to clean up
    process.communicate(timeout=60)
    wait_for(lambda: not any(alive(pid) for pid in pids(marks)), "the watchdog to kill them")
    ours = tmp / f"pytest-k8s-overlays-{os.getuid()}"
    left = sorted(path.name for path in ours.iterdir())
    assert [name.split("-")[0] for name in left] == [str(process.pid)] * 2
    # What an earlier version left, beside someone else's directory of a similar name.
    old = write(tmp, "k8s-overlays-ab12cd_3/kustomization.yaml", "# written by pytest-k8s-overlays")
    hour_ago = time.time() - 3700
    os.utime(old.parent, (hour_ago, hour_ago))
    # A younger one may belong to a run of that version still going: it stays.
    header = "# written by pytest-k8s-overlays"
    young = write(tmp, "k8s-overlays-ef34gh_5/kustomization.yaml", header)
    other = write(tmp, "k8s-overlays-bench-x1/kustomization.yaml", "resources: []\n")
    for path in (pytester.path / "ov").iterdir():
        (path / "kustomization.yaml").write_text("resources: [cm.yaml]\n# now fine\n")
    rerun = subprocess.run(
        [sys.executable, "-m", "pytest", "--overlays=ov/a", "--overlays-checks=render"],
        cwd=pytester.path,
        env={**os.environ, "TMPDIR": str(tmp)},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stdout.decode()
    assert list(ours.iterdir()) == []
    assert not old.exists()
    assert young.exists()
    assert other.exists()


def test_the_version_probe_honours_the_timeout_and_kills_its_children(
    pytester: pytest.Pytester,
) -> None:
    marks = pytester.mkdir("marks")
    write(pytester.path, "ov/a/kustomization.yaml", "resources: [cm.yaml]\n")
    write(pytester.path, "ov/a/cm.yaml", CM)
    hanging = script(
        pytester.path / "hang-on-version",
        f'if [ "$1" = version ]; then sleep 300 & echo $! > "{marks}/child.$!"; wait; fi\n'
        f'exec {_real_kubectl()} kustomize "$@"\n',
    )
    result = pytester.runpytest_subprocess(
        "--overlays=ov",
        f"--overlays-kustomize={hanging}",
        "--overlays-timeout=2",
        "--overlays-checks=render",
        timeout=60,
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["k8s-overlays: 1 overlay in 1 group; renderer: *Kustomize unknown*"]
    )
    [child] = pids(marks)
    wait_for(lambda: not alive(child), "the probe's child to die", limit=10)
    probes = pytester.path / ".pytest_cache/v/k8s-overlays/renderer-versions"
    assert not probes.exists() or str(hanging) not in probes.read_text()


def test_a_failing_overlay_stays_within_its_timeout(pytester: pytest.Pytester) -> None:
    log = pytester.path / "calls.log"
    write(pytester.path, "ov/a/kustomization.yaml", "resources: [cm.yaml]\n")
    write(pytester.path, "ov/a/cm.yaml", CM)
    # Fails after 2.5 s of a 4 s timeout: a direct rebuild (for a better message)
    # gets only what is left of the overlay's 4 s, and is cut short.
    failing = script(
        pytester.path / "slow-failure",
        f'case "$1" in version) echo "{kustomize_version()}"; exit 0;; esac\n'
        'if grep -qs "cm.yaml" "$1/kustomization.yaml" || grep -qs "ov/" "$1/kustomization.yaml"'
        f"; then echo start >> {log}; sleep 2.5; echo end >> {log}\n"
        '  echo "error: accumulating resources: simulated failure" >&2; exit 1; fi\n'
        f'exec {_real_kubectl()} kustomize "$@"\n',
    )
    result = pytester.runpytest_subprocess(
        "--overlays=ov",
        f"--overlays-kustomize={failing}",
        "--overlays-timeout=4",
        "--overlays-checks=render",
        "-p",
        "no:cacheprovider",
        timeout=60,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  kustomize build failed: accumulating resources: simulated*"])
    assert log.read_text().split() == ["start", "end", "start"]


def test_a_ctrl_c_between_starting_a_render_and_registering_it_still_kills_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before: kill_all() saw only the groups registered so far; one started a moment
    # earlier was left running, and its thread (joined at exit) hung the run for the
    # render's whole duration. A CI run under load caught it.
    from pytest_k8s_overlays.render import processes

    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def start_then_ctrl_c(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        process: subprocess.Popen[bytes] = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        if not started:  # the render (the watchdog starts later, if at all)
            started.append(process)
            processes.kill_all()  # the Ctrl-C lands here, before run() registers the group
        return process

    monkeypatch.setattr(subprocess, "Popen", start_then_ctrl_c)
    began = time.monotonic()
    try:
        with pytest.raises(processes.Interrupted):
            processes.run(["sh", "-c", "sleep 300 & wait"], dict(os.environ), timeout=20)
    finally:
        processes.reset()
    assert time.monotonic() - began < 15, "the render ran on after the Ctrl-C"
    [process] = started
    assert process.returncode == -signal.SIGKILL


def test_the_watchdog_is_reaped_at_exit_not_left_to_the_interpreter(
    pytester: pytest.Pytester,
) -> None:
    # With resource warnings shown (python -X dev, -W always), a run says nothing of the
    # watchdog: its input is closed and it is waited for by an exit handler.
    write(pytester.path, "ov/a/kustomization.yaml", "resources: [cm.yaml]\n")
    write(pytester.path, "ov/a/cm.yaml", CM)
    run = subprocess.run(
        [sys.executable, "-W", "always::ResourceWarning", "-m", "pytest", "--overlays=ov/a"],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout
    assert "ResourceWarning" not in run.stderr, run.stderr
