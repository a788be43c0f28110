"""Benchmark pull-request mode: one overlay changed in a repository of many; prints figures.

    python benchmarks/bench_diff.py                  # 1,000 overlays, one changed
    python benchmarks/bench_diff.py --overlays 200 --repeat 1

It generates bench_gate's synthetic tree (N overlays over one shared base)
in a git repository: ``main`` holds it, the ``feature`` branch changes one
overlay's patch. With the render cache filled by a run of the whole gate
(what CI restores), it measures, best of ``--repeat`` runs:

1. the warm full gate (``pytest --overlays overlays``, every check);
2. pull-request mode on the same cache: ``--overlays-diff main
   --overlays-new-only`` (the base side written from git, every unit's inputs
   hashed on both sides, the changed unit rendered at the base, the diff and
   the new-only triage).

The machine's load (``uptime``) is printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_gate import best_of, compile_package, generate, run_pytest, summary

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        env={**os.environ, **GIT_ENV},
    )


def make_repository(root: Path, overlays: int, deployments: int) -> str:
    """The tree on ``main``, one overlay's patch changed on ``feature``; its name."""
    generate(root, overlays, deployments)
    (root / ".gitignore").write_text(".pytest_cache/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    changed = f"svc{overlays // 2:04d}"
    patch = root / "overlays" / changed / "patch.yaml"
    patch.write_text(patch.read_text().replace("value: 2", "value: 5"))
    git(root, "commit", "-q", "-am", "scale one service")
    return changed


def uptime() -> str:
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "uptime: unavailable"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--overlays", type=int, default=1000)
    parser.add_argument("--deployments", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        cache = Path(tmp) / "cache"
        changed = make_repository(root, args.overlays, args.deployments)
        print(f"{args.overlays} overlays, {changed} changed on the feature branch")
        print(compile_package())
        print(f"load before: {uptime()}")
        full = ["--overlays", "overlays"]
        cold, output = run_pytest(root, cache, full)
        print(f"cold full gate (fills the cache): {cold:7.2f} s  {summary(output)}")
        warm, output = best_of(args.repeat, lambda _: run_pytest(root, cache, full))
        print(f"warm full gate:                   {warm:7.2f} s  {summary(output)}")
        pr = [*full, "--overlays-diff", "main", "--overlays-new-only"]
        diffed, output = best_of(args.repeat, lambda _: run_pytest(root, cache, pr))
        plan = re.search(r"^Overlays: .*$", output, re.M)
        print(f"diff + new-only:                  {diffed:7.2f} s  {summary(output)}")
        print(f"  {plan.group(0) if plan else 'no plan line: ' + output[-2000:]}")
        print(f"load after: {uptime()}")
        print(f"({os.cpu_count()} cores; best of {args.repeat}; target: diff + new-only <= 5 s)")
    sys.exit(0)


if __name__ == "__main__":
    main()
