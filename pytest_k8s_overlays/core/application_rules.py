"""The rule ids of the ``application`` check.

Argo CD's discovery (:mod:`..sources.argocd`) finds most of them before any check
runs, and sources sit below the checks, so the ids live here, below both; the
rules' hints and docs are declared with the check (:mod:`..checks.application`).
"""

from __future__ import annotations

#: The check's own id.
APPLICATION_CHECK = "application"

DUPLICATE_NAME = "duplicate-name"
DUPLICATE_GENERATED_NAME = "duplicate-generated-name"
INVALID_APPLICATIONSET = "invalid-applicationset"
SOURCE_PATH = "source-path"
FOREIGN_REPO_URL = "foreign-repo-url"
UNRESOLVED_TEMPLATE = "unresolved-template"
UNKNOWN_CLUSTER = "unknown-cluster"
UNKNOWN_PROJECT = "unknown-project"
INVALID_APPLICATION = "invalid-application"
INVALID_PROJECT = "invalid-project"
SOURCE_REPO = "source-repo"
DESTINATION = "destination"
CLUSTER_RESOURCE = "cluster-resource"
NAMESPACE_RESOURCE = "namespace-resource"
