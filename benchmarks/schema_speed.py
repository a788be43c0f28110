"""Benchmark the schema check: resources validated per CPU-second; prints figures.

    python benchmarks/schema_speed.py                      # 20,000 resources
    python benchmarks/schema_speed.py --resources 3000 --sample 100
    python benchmarks/schema_speed.py --per-overlay 20000   # one huge overlay

It builds a synthetic render in memory (no Kustomize): one third each
Deployments (probes, resources, env, a named port), Services and ConfigMaps,
spread over overlays of 30 resources like real ones, and measures with
``time.process_time`` (CPU time of this process):

1. the schema check, cold: the first run, loading the bundled schemas;
2. the same again, warm (validators cached, as for a second group);
3. ``kubernetes_validate.validate()`` (strict) on a sample, for comparison.

Target: at least 2,000 resources per CPU-second on 20,000 resources, cold
(kubeconform, in Go, does about 3,500).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from pytest_k8s_overlays.checks.base import CheckOptions
from pytest_k8s_overlays.checks.schema.check import run
from pytest_k8s_overlays.core.resources import Overlay, Resource

TARGET = 2000


def deployment(app: str, namespace: str) -> dict[str, Any]:
    """A Deployment like the example repository's, with probes and resources."""
    labels = {"app": app, "domain": namespace}
    probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "containers": [
                        {
                            "name": "api",
                            "image": f"ghcr.io/acme/{app}:1.2.3",
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "env": [
                                {"name": "LOG_LEVEL", "value": "info"},
                                {
                                    "name": "POD",
                                    "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                                },
                            ],
                            "envFrom": [{"configMapRef": {"name": f"{app}-config"}}],
                            "readinessProbe": probe,
                            "livenessProbe": {**probe, "initialDelaySeconds": 5},
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                        }
                    ]
                },
            },
        },
    }


def service(app: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app, "namespace": namespace, "labels": {"app": app}},
        "spec": {
            "selector": {"app": app, "domain": namespace},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def configmap(app: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{app}-config", "namespace": namespace},
        "data": {"LOG_LEVEL": "info", "FEATURES": "a,b,c"},
    }


def synthetic(resources: int, per_overlay: int = 30) -> list[Overlay]:
    """``resources`` manifests (Deployment, Service, ConfigMap triples) in overlays."""
    docs: list[dict[str, Any]] = []
    index = 0
    while len(docs) < resources:
        app, namespace = f"api{index}", f"team{index // 10}"
        docs.extend(make(app, namespace) for make in (deployment, service, configmap))
        index += 1
    docs = docs[:resources]
    return [
        Overlay(
            f"o{start // per_overlay}",
            "bench",
            Path("."),
            Path("kustomization.yaml"),
            tuple(Resource(doc) for doc in docs[start : start + per_overlay]),
        )
        for start in range(0, len(docs), per_overlay)
    ]


def timed_check(overlays: list[Overlay]) -> tuple[float, int]:
    """CPU seconds for the schema check on every overlay, and the findings count."""
    options = CheckOptions()
    start = time.process_time()
    found = sum(len(run([overlay], options)) for overlay in overlays)
    return time.process_time() - start, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=20_000)
    parser.add_argument("--per-overlay", type=int, default=30, help="resources per overlay")
    parser.add_argument("--sample", type=int, default=150, help="objects for kubernetes-validate")
    args = parser.parse_args()

    overlays = synthetic(args.resources, args.per_overlay)
    total = sum(len(o) for o in overlays)
    print(f"{total} resources in {len(overlays)} overlays")

    cold, findings = timed_check(overlays)
    print(f"schema check, cold: {cold:.2f} CPU s, {total / cold:,.0f} resources/CPU-second")
    warm, _ = timed_check(overlays)
    print(f"schema check, warm: {warm:.2f} CPU s, {total / warm:,.0f} resources/CPU-second")
    if findings:
        print(f"unexpected: {findings} findings on valid resources")

    import kubernetes_validate

    sample = [r.raw for o in overlays for r in o.resources][: args.sample]
    start = time.process_time()
    for doc in sample:
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
    spent = time.process_time() - start
    print(
        f"kubernetes_validate.validate() on {len(sample)}: {spent:.2f} CPU s, "
        f"{len(sample) / spent:,.0f} resources/CPU-second"
    )
    verdict = "met" if total / cold >= TARGET else "MISSED"
    print(f"target {TARGET:,} resources/CPU-second (cold): {verdict}")


if __name__ == "__main__":
    main()
