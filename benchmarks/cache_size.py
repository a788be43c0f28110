"""Measure how the render cache grows over edits of a shared base, with and without pruning.

    python benchmarks/cache_size.py                  # 100 overlays, 20 edits of the base
    python benchmarks/cache_size.py --overlays 300 --edits 10

It generates the synthetic tree of ``bench_gate`` (N overlays over one base),
then edits the base and runs the gate, ``--edits`` times, twice: once as
every run does by default (entries no run used for a week are removed), once
with ``--overlays-cache-prune`` (what CI's run on main does before saving the
cache). It prints the cache's files and size after each edit. The default
run keeps every state; pruning keeps what the last run used.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.bench_gate import gate, generate, summary


def cache_size(cache: Path) -> tuple[int, int]:
    """The render cache's entry files and their bytes (the programs memo left out)."""
    directory = cache / "d" / "k8s-overlays"
    files = [*directory.glob("*.json"), *directory.glob("checks/*.json")]
    return len(files), sum(path.stat().st_size for path in files)


def edit_base(root: Path, edit: int) -> None:
    """One edit of the shared base: every overlay's inputs change."""
    config = root / "base" / "api0-configmap.yaml"
    text = config.read_text().split("  EDIT:")[0]
    config.write_text(f"{text}  EDIT: '{edit}'\n")


def measure(root: Path, cache: Path, edits: int, extra: list[str]) -> list[tuple[int, int, int]]:
    rows = []
    gate(root, cache, extra)
    rows.append((0, *cache_size(cache)))
    for edit in range(1, edits + 1):
        edit_base(root, edit)
        _, output = gate(root, cache, extra)
        if edit == edits:
            print(f"    last run: {summary(output)}")
        rows.append((edit, *cache_size(cache)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--overlays", type=int, default=100)
    parser.add_argument("--deployments", type=int, default=1)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    checks = ["--overlays-checks=render,images"]
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for label, extra in (
            ("default", checks),
            ("--overlays-cache-prune", [*checks, "--overlays-cache-prune"]),
        ):
            root = Path(tmp) / label.strip("-")
            generate(root, args.overlays, args.deployments)
            print(f"{label}: {args.overlays} overlays, {args.edits} edits of the base")
            results[label] = measure(
                root, Path(tmp) / f"cache-{label.strip('-')}", args.edits, extra
            )
        print(f"\n{'edits':>5}  {'default':>22}  {'--overlays-cache-prune':>24}")
        for (edit, files, size), (_, pfiles, psize) in zip(*results.values(), strict=True):
            if edit % 5 == 0:
                default = f"{files:>6} files {size / 1024:>8.0f} KB"
                pruned = f"{pfiles:>8} files {psize / 1024:>8.0f} KB"
                print(f"{edit:>5}  {default}  {pruned}")


if __name__ == "__main__":
    main()
