"""Benchmark Argo CD mode against the same overlays gated with --overlays; prints figures.

    python -m benchmarks.bench_argocd                   # 100 Applications, 5 warm runs each
    python -m benchmarks.bench_argocd --applications 300 --runs 7

It generates the synthetic tree of ``bench_gate.py`` (N overlays over one
shared base, each with a namePrefix, a namespace, an image override, a patch
and a generator) and an Argo CD instance deploying them: an ApplicationSet
with a list generator over the N services, each Application adding a
``kustomize.commonLabels`` override (so every render goes through Argo CD's
private copy and edit). It then measures, on this machine, after one cold run
each to fill the render cache:

1. ``pytest --overlays overlays``, warm (the median of the runs);
2. ``pytest --overlays-argocd clusters/bench``, warm, every check;
3. the same without the ``application`` check (the same seven checks as 1).

Target: 2 (and 3) within 20 percent of 1.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from benchmarks.bench_gate import generate, peak_mb, run_pytest
from pytest_k8s_overlays.render.engine import find_renderer

REPO = "https://github.com/acme/bench.git"


def instance(root: Path, count: int) -> None:
    """clusters/bench: one ApplicationSet over the N services."""
    elements = "".join(f"          - name: svc{i:04d}\n" for i in range(count))
    (root / "clusters" / "bench").mkdir(parents=True)
    (root / "clusters" / "bench" / "services.yaml").write_text(
        f"""\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: bench
  namespace: argocd
spec:
  generators:
    - list:
        elements:
{elements}  template:
    metadata:
      name: "bench-{{{{name}}}}"
    spec:
      project: default
      source:
        repoURL: {REPO}
        targetRevision: main
        path: "overlays/{{{{name}}}}"
        kustomize:
          commonLabels:
            app.kubernetes.io/instance: "bench-{{{{name}}}}"
      destination:
        server: https://kubernetes.default.svc
        namespace: "{{{{name}}}}"
"""
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5, help="warm runs per mode (median)")
    args = parser.parse_args()

    renderer = find_renderer()
    root = Path(tempfile.mkdtemp(prefix="k8s-overlays-bench-argocd-"))
    generate(root, args.applications, 1)
    instance(root, args.applications)
    print(f"tree: {args.applications} overlays and Applications, in {root}")
    print(f"renderer: {renderer.describe()}")
    cache = root / ".bench-cache"
    modes = {
        "1. pytest --overlays, warm": ["--overlays", "overlays"],
        "2. pytest --overlays-argocd, warm": [
            "--overlays-argocd",
            "clusters/bench",
            f"--overlays-argocd-repo={REPO}",
        ],
        "3. the same, without the application check": [
            "--overlays-argocd",
            "clusters/bench",
            f"--overlays-argocd-repo={REPO}",
            "--overlays-skip-checks=application",
        ],
    }
    for mode in modes.values():
        run_pytest(root, cache, mode)  # cold: fills the render cache
    # Interleaved, so that load from elsewhere on the machine hits every mode alike.
    times: dict[str, list[float]] = {label: [] for label in modes}
    outputs: dict[str, str] = {}
    for _ in range(args.runs):
        for label, mode in modes.items():
            seconds, outputs[label] = run_pytest(root, cache, mode)
            times[label].append(seconds)
    medians: dict[str, float] = {}
    for label in modes:
        medians[label] = statistics.median(times[label])
        lines = outputs[label].splitlines()
        last = [line for line in lines if "passed" in line or "rendered" in line]
        note = "; ".join(line.strip("= ") for line in last[-2:])
        print(
            f"{label:44s} {medians[label]:6.2f} s median of {args.runs} "
            f"(min {min(times[label]):.2f})  {note}; peak {peak_mb(outputs[label]):.0f} MB"
        )
    base = medians["1. pytest --overlays, warm"]
    for label in list(modes)[1:]:
        ratio = medians[label] / base
        verdict = "met" if ratio <= 1.2 else "MISSED"
        print(f"{label[:2]} / 1.  ratio {ratio:5.3f}  target <= 1.20: {verdict}")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
