"""Kustomize overlays: the leaf overlays under each root, and Components no overlay uses."""
