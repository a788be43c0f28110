"""Benchmark the gate against the shell loop users run today; prints figures.

    python benchmarks/bench_gate.py                   # 200 overlays, 3 resources each
    python benchmarks/bench_gate.py --overlays 2000 --deployments 3   # ~20,000 resources

It generates a synthetic tree (N overlays over one shared base, each with a
namePrefix, a namespace, an image override, a patch and a generator) and
measures, on this machine, in one run:

1. the baseline: a sequential shell loop of ``kubectl kustomize`` (same binary);
2. ``pytest --overlays`` cold (empty cache), all checks including schema;
3. the same, warm (nothing changed);
4. the same after editing one overlay's patch.

Targets (ratios to 1, on a 2-core machine): cold <= 0.45, warm <= 0.05,
one edit <= 0.08 with exactly one overlay rendered again; peak memory of the
pytest process under 1 GB at 2,000 overlays / 20,000 resources.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from pytest_k8s_overlays.renderer import GO_TUNING, find_renderer

RUNNER = textwrap.dedent(
    """
    import resource, sys, pytest
    code = pytest.main(sys.argv[1:])
    print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    sys.exit(code)
    """
)


def base_files(deployments: int) -> dict[str, str]:
    """A base of ``deployments`` x (Deployment with probes and resources, Service, ConfigMap)."""
    files: dict[str, str] = {}
    names = []
    for index in range(deployments):
        app = f"api{index}"
        names += [f"{app}-deployment.yaml", f"{app}-service.yaml", f"{app}-configmap.yaml"]
        files[f"{app}-deployment.yaml"] = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  labels: {{app: {app}}}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {app}}}
  template:
    metadata:
      labels: {{app: {app}}}
    spec:
      containers:
        - name: {app}
          image: ghcr.io/bench/placeholder:latest
          ports:
            - {{name: http, containerPort: 8080}}
          envFrom:
            - configMapRef: {{name: {app}-config}}
          readinessProbe:
            httpGet: {{path: /ready, port: http}}
          livenessProbe:
            httpGet: {{path: /healthz, port: http}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
"""
        files[f"{app}-service.yaml"] = f"""\
apiVersion: v1
kind: Service
metadata:
  name: {app}
spec:
  selector: {{app: {app}}}
  ports:
    - {{name: http, port: 80, targetPort: http}}
"""
        files[f"{app}-configmap.yaml"] = f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config
data:
  LOG_LEVEL: info
"""
    files["kustomization.yaml"] = "resources:\n" + "".join(f"  - {n}\n" for n in names)
    return files


def overlay_files(index: int) -> dict[str, str]:
    name = f"svc{index:04d}"
    return {
        "kustomization.yaml": f"""\
namespace: {name}
namePrefix: {name}-
resources:
  - ../../base
images:
  - name: ghcr.io/bench/placeholder
    newName: ghcr.io/bench/{name}
    newTag: "1.0.{index}"
patches:
  - path: patch.yaml
    target: {{kind: Deployment}}
configMapGenerator:
  - name: settings
    literals: [SERVICE={name}]
""",
        "patch.yaml": """\
- op: replace
  path: /spec/replicas
  value: 2
""",
    }


def generate(root: Path, overlays: int, deployments: int) -> None:
    for name, text in base_files(deployments).items():
        (root / "base").mkdir(parents=True, exist_ok=True)
        (root / "base" / name).write_text(text)
    for index in range(overlays):
        directory = root / "overlays" / f"svc{index:04d}"
        directory.mkdir(parents=True)
        for name, text in overlay_files(index).items():
            (directory / name).write_text(text)


def timed(argv: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    output = done.stdout + done.stderr
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} exited {done.returncode}:\n{output[-3000:]}")
    return elapsed, output


def gate(root: Path, cache: Path, extra: list[str]) -> tuple[float, str]:
    argv = [
        sys.executable,
        "-c",
        RUNNER,
        "--overlays",
        "overlays",
        "-q",
        "-p",
        "no:randomly",
        "-o",
        f"cache_dir={cache}",
        "--rootdir",
        str(root),
        *extra,
    ]
    return timed(argv, root)


def summary(output: str) -> str:
    rendered = re.search(r"^\d+ overlays? rendered.*$", output, re.M)
    result = re.search(r"^=*\s*(\d+ (passed|failed).*?)\s*=*$", output, re.M)
    return f"{rendered.group(0) if rendered else '?'}; {result.group(1) if result else '?'}"


def peak_mb(output: str) -> float:
    found = re.search(r"PEAK_RSS_KB (\d+)", output)
    return int(found.group(1)) / 1024 if found else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overlays", type=int, default=200)
    parser.add_argument("--deployments", type=int, default=1, help="per base: x3 resources")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--keep", type=Path, help="generate here and keep it")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments")
    args = parser.parse_args()

    renderer = find_renderer()
    root = args.keep or Path(tempfile.mkdtemp(prefix="k8s-overlays-bench-"))
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    generate(root, args.overlays, args.deployments)
    resources = args.overlays * (3 * args.deployments + 1)
    print(f"tree: {args.overlays} overlays, {resources} resources, in {root}")
    print(f"renderer: {renderer.describe()}")

    rows: list[tuple[str, float, str]] = []
    baseline = float("nan")
    if not args.skip_baseline:
        command = " ".join(renderer.argv)
        loop = f'for d in overlays/*/; do {command} "$d" > /dev/null || exit 1; done'
        baseline, _ = timed(["bash", "-c", loop], root)
        rows.append(("1. shell loop of kustomize builds", baseline, ""))

        # Two floors, to read the gate's figures against: the renders alone, as
        # the gate runs them (tuned, in parallel), and pytest alone running as
        # many no-op tests as the gate has items.
        jobs = os.cpu_count() or 1
        tuned = " ".join(f"{k}={v}" for k, v in GO_TUNING.items())
        parallel = f"ls -d overlays/*/ | {tuned} xargs -P {jobs} -n 1 {command} > /dev/null"
        seconds, _ = timed(["bash", "-c", parallel], root)
        rows.append((f"   floor: the renders alone, {jobs} jobs, tuned", seconds, ""))
    items = args.overlays * 7
    with tempfile.TemporaryDirectory(prefix="k8s-overlays-noop-") as noop:
        test = Path(noop) / "test_noop.py"
        test.write_text(
            "import pytest\n\n"
            f"@pytest.mark.parametrize('i', range({items}))\n"
            "def test_noop(i):\n    pass\n"
        )
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)]
        seconds, _ = timed(argv, Path(noop))
    rows.append((f"   floor: pytest alone, {items} no-op tests", seconds, ""))

    cache = root / ".bench-cache"

    def measure(label: str) -> None:
        seconds, output = gate(root, cache, args.pytest_args)
        rows.append((label, seconds, f"{summary(output)}; peak {peak_mb(output):.0f} MB"))

    measure("2. pytest --overlays, cold")
    measure("3. pytest --overlays, warm")
    patch = root / "overlays" / "svc0000" / "patch.yaml"
    patch.write_text(patch.read_text().replace("value: 2", "value: 3"))
    measure("4. pytest --overlays, one edit")

    targets = {"2": 0.45, "3": 0.05, "4": 0.08}
    for label, seconds, note in rows:
        ratio = seconds / baseline if baseline == baseline else float("nan")
        target = targets.get(label[0])
        verdict = ""
        if target is not None and ratio == ratio:
            verdict = f"target <= {target:.2f}: {'met' if ratio <= target else 'MISSED'}"
        print(f"{label:44s} {seconds:8.2f} s  ratio {ratio:5.3f}  {verdict}  {note}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
