"""What the plugin costs a pytest run that does not use it.

Every pytest run in an environment where pytest-k8s-overlays is installed
loads its entry point, overlays or not. This script measures that cost two
ways and prints the figures:

1. ``python -X importtime``: the import time of ``pytest_k8s_overlays.pytest_plugin.plugin``
   and everything it pulls in beyond pytest itself (best of several runs);
2. wall time of ``pytest -q`` on a one-test project, with the plugin and with
   ``-p no:k8s_overlays`` (median of several runs each, interleaved).

Usage::

    python benchmarks/startup.py [--runs 21]

Bytecode is written (``PYTHONDONTWRITEBYTECODE`` is unset for the runs) and
every command runs once before timing, as on a developer machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def import_cost_ms(runs: int) -> tuple[float, float]:
    """(everything importing the plugin module loads after pytest, of which our
    package's own modules) in ms, best of ``runs``."""
    code = "import pytest; import pytest_k8s_overlays.pytest_plugin.plugin"
    best_total, best_ours = float("inf"), float("inf")
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            env=_env(),
            check=True,
            cwd=tempfile.gettempdir(),  # not a checkout: import the installed plugin
        )
        total = ours = 0
        after_pytest = False
        for line in done.stderr.splitlines():
            parts = line.removeprefix("import time:").split("|")
            if len(parts) != 3 or not parts[0].strip().isdigit():
                continue
            own, cumulative, name = int(parts[0]), int(parts[1]), parts[2]
            top_level = not name.startswith("  ")  # one space follows the bar
            if after_pytest and top_level:
                total += cumulative
            if top_level and name.strip() == "pytest":
                after_pytest = True
            if after_pytest and name.strip().startswith("pytest_k8s_overlays"):
                ours += own
        best_total, best_ours = min(best_total, total / 1000), min(best_ours, ours / 1000)
    return best_total, best_ours


def pytest_times(runs: int) -> tuple[float, float]:
    """Median wall time (s) of ``pytest -q`` on one test: with the plugin, without it."""
    with tempfile.TemporaryDirectory(prefix="k8s-overlays-startup-") as tmp:
        Path(tmp, "test_one.py").write_text("def test_one():\n    assert True\n")
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
        commands = {"with": base, "without": [*base, "-p", "no:k8s_overlays"]}
        times: dict[str, list[float]] = {"with": [], "without": []}
        for command in commands.values():  # warm up: bytecode, file system caches
            subprocess.run(command, cwd=tmp, capture_output=True, env=_env(), check=True)
        for _ in range(runs):
            for name, command in commands.items():
                start = time.perf_counter()
                subprocess.run(command, cwd=tmp, capture_output=True, env=_env(), check=True)
                times[name].append(time.perf_counter() - start)
    return statistics.median(times["with"]), statistics.median(times["without"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs of each measurement")
    runs = parser.parse_args().runs
    total, ours = import_cost_ms(runs)
    print(f"import of the plugin module beyond pytest: {total:.1f} ms (best of {runs})")
    print(f"  of which pytest_k8s_overlays' own modules: {ours:.1f} ms")
    with_plugin, without = pytest_times(runs)
    print(f"pytest -q, one test, with the plugin:        {with_plugin * 1000:.0f} ms (median)")
    print(f"pytest -q, one test, -p no:k8s_overlays:     {without * 1000:.0f} ms (median)")
    print(f"difference:                                  {(with_plugin - without) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
