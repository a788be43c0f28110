"""Benchmark the gate against the shell loop users run today; prints figures.

    python benchmarks/bench_gate.py                   # 200 overlays, 3 resources each
    python benchmarks/bench_gate.py --overlays 2000 --deployments 3   # ~20,000 resources

It generates a synthetic tree (N overlays over one shared base, each with a
namePrefix, a namespace, an image override, a patch and a generator) and
measures, on this machine, in one run (each figure the best of ``--repeat``
runs, 3 by default):

1. the baseline: a sequential shell loop of ``kubectl kustomize`` (same binary);
2. ``pytest --overlays`` cold (empty cache), all checks including schema;
3. the same, warm (nothing changed);
4. the same after editing one overlay's patch.

Two floors are measured too, to read the gate's figures against: the renders
alone, run the way the gate runs them (in parallel, with the Go tuning), and
pytest alone running as many no-op tests as the gate has items. One more row, not
a floor, runs the same renders through a wrapper kustomization that asks for the
origin and transformer annotations, as the gate builds each overlay: what
Kustomize itself spends on them. Each gate row
says how far above its floor it is: the renders plus pytest for a cold run,
pytest alone for a warm or one-edit run (which renders nothing, or one
overlay). The ratios are to the shell loop.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest_k8s_overlays
from pytest_k8s_overlays.checks import CHECKS
from pytest_k8s_overlays.render.engine import GO_TUNING, _wrapper_kustomization, find_renderer

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


class Run(tuple[float, str]):
    """One timed run: (seconds, output), and ``cpu``, the CPU time (user plus system) of
    the process and every process it waited for (Kustomize's included)."""

    cpu: float

    def __new__(cls, seconds: float, output: str, cpu: float) -> Run:
        run = super().__new__(cls, (seconds, output))
        run.cpu = cpu
        return run


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path) -> Run:
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    output = done.stdout + done.stderr
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} exited {done.returncode}:\n{output[-3000:]}")
    return Run(elapsed, output, _children_cpu() - cpu)


def run_pytest(root: Path, cache: Path, args: list[str]) -> Run:
    """Time one quiet pytest run in ``root`` with its cache in ``cache``."""
    argv = [
        sys.executable,
        "-c",
        RUNNER,
        *args,
        "-q",
        "-p",
        "no:randomly",
        "-o",
        f"cache_dir={cache}",
        "--rootdir",
        str(root),
    ]
    return timed(argv, root)


def gate(root: Path, cache: Path, extra: list[str]) -> Run:
    return run_pytest(root, cache, ["--overlays", "overlays", *extra])


def summary(output: str) -> str:
    rendered = re.search(r"^\d+ overlays? rendered.*$", output, re.M)
    result = re.search(r"^=*\s*(\d+ (passed|failed).*?)\s*=*$", output, re.M)
    return f"{rendered.group(0) if rendered else '?'}; {result.group(1) if result else '?'}"


def peak_mb(output: str) -> float:
    found = re.search(r"PEAK_RSS_KB (\d+)", output)
    return int(found.group(1)) / 1024 if found else float("nan")


def best_of(repeat: int, run: Callable[[int], Run]) -> Run:
    """The fastest of ``repeat`` runs (``run`` gets the attempt's index): on a shared
    machine the minimum is the figure least disturbed by other work."""
    return min((run(attempt) for attempt in range(repeat)), key=lambda done: done[0])


Rows = list[tuple[str, float, str]]


def baselines(root: Path, command: str, repeat: int) -> tuple[Rows, float, float]:
    """The shell loop, and the renders alone as the gate runs them (tuned, in parallel)."""
    loop = f'for d in overlays/*/; do {command} "$d" > /dev/null || exit 1; done'
    baseline = best_of(repeat, lambda _: timed(["bash", "-c", loop], root))
    jobs = os.cpu_count() or 1
    tuned = " ".join(f"{k}={v}" for k, v in GO_TUNING.items())
    parallel = f"ls -d overlays/*/ | {tuned} xargs -P {jobs} -n 1 {command} > /dev/null"
    render_floor = best_of(repeat, lambda _: timed(["bash", "-c", parallel], root))
    rows = [
        ("1. shell loop of kustomize builds", baseline[0], cpu(baseline)),
        (f"   floor: the renders alone, {jobs} jobs, tuned", render_floor[0], cpu(render_floor)),
    ]
    with tempfile.TemporaryDirectory(prefix="k8s-overlays-wrappers-") as wrappers:
        annotated = annotating_wrappers(root, Path(wrappers))
        listed = f"ls -d {shlex.quote(str(annotated))}/*/"
        through = f"{listed} | {tuned} xargs -P {jobs} -n 1 {command} > /dev/null"
        origins = best_of(repeat, lambda _: timed(["bash", "-c", through], root))
    # Not a floor: what Kustomize itself spends on the annotations the gate asks for.
    rows.append(("   (the same, with origin annotations)", origins[0], cpu(origins)))
    return rows, baseline[0], render_floor[0]


def cpu(run: Run) -> str:
    """The CPU time of a run, for its row: on a machine whose cores are all busy, what
    the wall time cannot go below (divided by the cores)."""
    return f"cpu {run.cpu:.1f} s"


def annotating_wrappers(root: Path, into: Path) -> Path:
    """One wrapper kustomization per overlay that asks Kustomize for origin and transformer
    annotations, as the gate builds each overlay (``render.engine``): what Kustomize itself
    spends on them is part of a cold run, and of no floor."""
    for overlay in sorted((root / "overlays").iterdir()):
        wrapper = into / overlay.name
        wrapper.mkdir()
        _wrapper_kustomization(overlay, wrapper)  # the gate's own, word for word
    return into


def pytest_alone(items: int, repeat: int) -> Run:
    """pytest running as many no-op tests as the gate has items."""
    with tempfile.TemporaryDirectory(prefix="k8s-overlays-noop-") as noop:
        test = Path(noop) / "test_noop.py"
        test.write_text(
            "import pytest\n\n"
            f"@pytest.mark.parametrize('i', range({items}))\n"
            "def test_noop(i):\n    pass\n"
        )
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)]
        return best_of(repeat, lambda _: timed(argv, Path(noop)))


def gate_rows(root: Path, extra: list[str], repeat: int) -> Rows:
    """The gate cold (an empty cache each time), warm, and after editing one overlay."""

    def row(label: str, done: Run) -> tuple[str, float, str]:
        seconds, output = done
        return label, seconds, f"{summary(output)}; peak {peak_mb(output):.0f} MB; {cpu(done)}"

    cold = best_of(repeat, lambda attempt: gate(root, root / f".cache-{attempt}", extra))
    cache = root / f".cache-{repeat - 1}"
    warm = best_of(repeat, lambda _: gate(root, cache, extra))
    patch = root / "overlays" / "svc0000" / "patch.yaml"

    def edited(attempt: int) -> Run:
        patch.write_text(re.sub(r"value: \d+", f"value: {attempt + 3}", patch.read_text()))
        return gate(root, cache, extra)

    return [
        row("2. pytest --overlays, cold", cold),
        row("3. pytest --overlays, warm", warm),
        row("4. pytest --overlays, one edit", best_of(repeat, edited)),
    ]


def report(
    rows: Rows, baseline: float, floors: dict[str, float], targets: dict[str, float]
) -> None:
    """Print every row with its ratio to the shell loop and, for the gate, how far
    above its floor it is and whether it meets its target."""
    for label, seconds, note in rows:
        ratio = seconds / baseline if baseline == baseline else float("nan")
        floor = floors.get(label[0])
        above = f"floor {seconds - floor:+6.2f} s" if floor is not None and floor == floor else ""
        target = targets.get(label[0])
        if target is not None and target == target:
            met = "met" if seconds <= target else "MISSED"
            above += f"  target {target:6.2f} s {met}"
        print(f"{label:44s} {seconds:8.2f} s  ratio {ratio:5.3f}  {above:15s} {note}".rstrip())


def compile_package() -> str:
    """Write the plugin's bytecode, as ``pip install`` does: an editable install under
    PYTHONDONTWRITEBYTECODE would otherwise compile every module in every run
    measured (0.1 s), which pytest's floor, installed with its bytecode, never pays."""
    package = Path(pytest_k8s_overlays.__file__).parent
    compileall.compile_dir(package, quiet=1)
    return f"bytecode of {package} written (as pip install writes it)"


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes) and cores: figures on a shared
    machine mean little without them."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overlays", type=int, default=200)
    parser.add_argument("--deployments", type=int, default=1, help="per base: x3 resources")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--keep", type=Path, help="generate here and keep it")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments")
    args = parser.parse_args()

    renderer = find_renderer()
    print(compile_package())
    root = args.keep or Path(tempfile.mkdtemp(prefix="k8s-overlays-bench-"))
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    generate(root, args.overlays, args.deployments)
    resources = args.overlays * (3 * args.deployments + 1)
    print(f"tree: {args.overlays} overlays, {resources} resources, in {root}")
    print(f"renderer: {renderer.describe()}; best of {args.repeat} runs per figure")

    rows: Rows = []
    baseline = render_floor = float("nan")
    if not args.skip_baseline:
        rows, baseline, render_floor = baselines(root, " ".join(renderer.argv), args.repeat)
    print(f"start: {load()}")
    items = args.overlays * len([c for c in CHECKS if CHECKS[c].applies_to("overlay")])
    alone = pytest_alone(items, args.repeat)
    pytest_floor = alone[0]
    rows.append((f"   floor: pytest alone, {items} no-op tests", pytest_floor, cpu(alone)))
    rows += gate_rows(root, args.pytest_args, args.repeat)
    # What each gate row is compared with: a cold run renders everything; a warm or
    # one-edit run renders (almost) nothing, so pytest itself is its floor.
    floors = {"2": render_floor + pytest_floor, "3": pytest_floor, "4": pytest_floor}
    # Issue 17's targets: cold within both floors plus 5% of the loop; warm and one
    # edit within 1.5 times pytest's own floor.
    warm = 1.5 * pytest_floor
    targets = {"2": render_floor + pytest_floor + 0.05 * baseline, "3": warm, "4": warm}
    report(rows, baseline, floors, targets)
    print(f"end: {load()}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
