"""The schema check: every rendered resource as the API server would judge it, offline.

Built-in kinds are validated against the OpenAPI schemas kubernetes-validate
bundles for the Kubernetes version chosen (``--overlays-k8s-version``, default
the newest bundled), strictly unless ``--overlays-no-strict``; custom
resources against the ``openAPIV3Schema`` of a CustomResourceDefinition found
in the render or under ``--overlays-crds``. Rules:

- ``type``: a value of the wrong type (``containerPort: "8080"``).
- ``unknown-field``: a field the schema does not declare (strict mode only),
  such as ``imagePullPolcy``.
- ``required``: a required field is missing (``containers[0].name``).
- ``enum``: a value outside a fixed set (``imagePullPolicy: Sometimes``,
  ``type: LoadBalancr``, ``scheme: http``).
- ``quantity``: a resource quantity that does not parse (``cpu: lots``).
- ``removed-api``: a built-in apiVersion the Kubernetes version no longer
  serves (``extensions/v1beta1`` Ingress).
- ``unknown-kind``: a built-in API group and kind/version that does not exist
  in that Kubernetes version, or a version a CRD does not serve.
- ``crd-schema``: a custom resource violating its CRD's schema.
- ``no-schema``: a custom kind with no CRD at all, only with
  ``--overlays-require-schemas`` (otherwise it is counted by
  :func:`custom_kinds` for the summary).
- ``selector``, ``name``, ``port-range``, ``port-name``, ``service-ports``,
  ``duplicate-container``, ``data-key``, ``base64``: what the API server rejects
  beyond the schemas; see :mod:`.schema_rules`.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ...core.findings import Finding, finding
from ...core.options import Setting
from ...core.resources import Overlay, Resource
from ...parse.crds import Crd, CrdFileError, crd_index, find_crd, load_crds
from ..base import CheckOptions, Rule, declare
from .builtin import (
    REMOVED,
    builtin_validator,
    is_builtin_group,
    kind_api_versions,
    kinds_of_group,
    minor_key,
    served_versions,
)
from .crd_schemas import crd_validator
from .errors import ERROR_RULES, REQUIRED, Problem, problems
from .rules import API_SERVER_RULES, api_server_problems, name_problems, selector_problems
from .versions import (
    UnsupportedVersion,
    bundled_versions,
    resolve_version,
    supported_range,
)

CHECK_ID = "schema"
REMOVED_API = "removed-api"
UNKNOWN_KIND = "unknown-kind"
CRD_SCHEMA = "crd-schema"
NO_SCHEMA = "no-schema"

CHECK = declare(
    __name__,
    CHECK_ID,
    "overlay",
    summary=(
        "every resource is valid for the Kubernetes API (bundled schemas, CRDs, API-server rules)"
    ),
    catches=(
        "anything the API server would reject: types, unknown fields, removed APIs, CRD "
        "schemas, selectors, names, ports and port names, quantities, config keys, base64"
    ),
    options=(
        Setting(
            "k8s_version",
            ("--overlays-k8s-version",),
            "overlays_k8s_version",
            "str",
            None,
            "Kubernetes version to validate against: {k8s_versions}",
            "X.Y",
        ),
        Setting(
            "strict",
            ("--overlays-strict",),
            "overlays_strict",
            "bool",
            True,
            "reject fields the schema does not declare (default: on; --overlays-no-strict "
            "accepts them)",
            negative="--overlays-no-strict",
        ),
        Setting(
            "crds",
            ("--overlays-crds",),
            "overlays_crds",
            "list",
            (),
            "a file or directory of CustomResourceDefinitions to validate against (repeatable)",
            "PATH",
            split="none",
            required=True,
            paths=True,
        ),
        Setting(
            "require_schemas",
            ("--overlays-require-schemas",),
            "overlays_require_schemas",
            "bool",
            False,
            "fail custom resources whose kind has no schema",
            negative="--overlays-no-require-schemas",
        ),
    ),
    rules=(
        *ERROR_RULES,
        Rule(
            REMOVED_API,
            hint=(
                "change apiVersion (and any field the newer version renamed) in the base or "
                "patch; `kubectl convert` helps"
            ),
            doc=(
                "a built-in API the target version no longer serves: `extensions/v1beta1 "
                "Ingress was removed in 1.22; expected apiVersion networking.k8s.io/v1` (also "
                "apps/v1beta1-2, networking v1beta1 Ingress, policy/v1beta1 PDB/PSP, "
                "batch/v1beta1 CronJob, autoscaling v2beta1/v2beta2, "
                "rbac/admissionregistration/apiextensions/storage v1beta1, flowcontrol "
                "betas...)"
            ),
        ),
        Rule(
            UNKNOWN_KIND,
            hint=(
                "fix the apiVersion/kind spelling, or --overlays-k8s-version if the cluster "
                "runs another Kubernetes version"
            ),
            doc=(
                "a kind or version of a built-in API group that does not exist in that "
                "Kubernetes version (`apps/v1 Deploymnet`, `v1 Configmap`), never passed "
                "silently; a built-in kind under another group's apiVersion (`v1 Deployment`: "
                "expected apiVersion apps/v1 for Deployment); or a version a CRD does not "
                "serve"
            ),
        ),
        Rule(
            CRD_SCHEMA,
            hint="fix the custom resource, or the CRD's openAPIV3Schema if the CRD is wrong",
            doc=(
                "a custom resource breaking its CRD's schema (types, unknown fields, required, "
                "enum, bounds), or a CRD whose schema is itself invalid"
            ),
        ),
        Rule(
            NO_SCHEMA,
            hint=(
                "add the CustomResourceDefinition to the render, or point --overlays-crds at a "
                "file or directory holding it"
            ),
            doc=(
                "a custom kind with no CRD anywhere, **only** with `--overlays-require-schemas`; "
                'otherwise such kinds are counted in the terminal summary as "not validated"'
            ),
        ),
        *API_SERVER_RULES,
    ),
)


def _kind_of(resource: Resource) -> str:
    return f"{resource.api_version} {resource.kind}"


def _unknown_builtin(resource: Resource, version: str, strict: bool) -> Problem:
    """``removed-api`` or ``unknown-kind`` for a built-in group's apiVersion/kind with no schema."""
    removal = REMOVED.get((resource.api_version, resource.kind))
    if removal is not None and minor_key(removal.removed_in) <= minor_key(version):
        found = f"{_kind_of(resource)} was removed in {removal.removed_in}"
        instead = removal.replacement
        if "/" in instead:
            instead = f"apiVersion {instead}"
        return Problem(REMOVED_API, "apiVersion", found, instead)
    found = f"{_kind_of(resource)} is not served by Kubernetes {version}"
    served = served_versions(resource.kind, resource.group, version, strict)
    if served:
        return Problem(UNKNOWN_KIND, "apiVersion", found, f"apiVersion {' or '.join(served)}")
    elsewhere = kind_api_versions(resource.kind, version, strict)
    if elsewhere:
        # `apiVersion: v1` on a Deployment: the kind exists, in another group.
        expected = f"apiVersion {' or '.join(elsewhere)} for {resource.kind}"
        return Problem(UNKNOWN_KIND, "apiVersion", found, expected)
    kinds = kinds_of_group(resource.group, version, strict)
    close = difflib.get_close_matches(resource.kind, kinds, n=1)
    expected = f"a kind the {resource.group or 'core'} API group serves"
    if close:
        expected += f" (did you mean {close[0]}?)"
    return Problem(UNKNOWN_KIND, "kind", found, expected)


def _custom_problems(
    resource: Resource, crd: Crd | None, version: str, options: CheckOptions
) -> list[Problem]:
    """Problems of a custom resource: its CRD's schema, or the lack of one."""
    if crd is not None and crd.catalog:
        # The file names the kind in lower case; messages name it as the resource does,
        # and the file of the version.
        declared = crd.version(resource.version)
        shown = declared.shown if declared is not None else None
        crd = replace(crd, kind=resource.kind, source=shown or crd.source) if declared else None
    where = (
        (f"the schema {crd.source}" if crd.catalog else f"CRD {crd.name} in {crd.source}")
        if crd
        else ""
    )
    if crd is not None:
        declared = crd.version(resource.version)
        if declared is None or not declared.served:
            found = f"{_kind_of(resource)} is not served by {where}"
            served = " or ".join(crd.served) or "none"
            return [Problem(UNKNOWN_KIND, "apiVersion", found, f"apiVersion {served}")]
        validator = crd_validator(crd, declared, version, options.strict)
        if isinstance(validator, str):
            found = f"{where} cannot validate it: {validator}"
            return [Problem(CRD_SCHEMA, "", found, "a valid CRD schema")]
        if validator is not None:
            if validator.is_valid(resource.raw):
                return []
            return [
                Problem(CRD_SCHEMA, p.path, p.found, f"{p.expected} per {where}")
                for p in problems(validator.iter_errors(resource.raw))
            ]
    if options.require_schemas:
        found = f"no schema for {_kind_of(resource)}"
        if crd is not None:
            found += f": {where} declares none for {resource.version}"
        return [Problem(NO_SCHEMA, "kind", found, "a CRD with an openAPIV3Schema")]
    return []


def _is_secret(resource: Resource) -> bool:
    return resource.kind == "Secret" and resource.group == ""


def resource_problems(
    resource: Resource, crds: Mapping[tuple[str, str], Crd], version: str, options: CheckOptions
) -> list[Problem]:
    """Every problem of one resource, sorted."""
    if not resource.api_version or not resource.kind:
        missing = "apiVersion" if not resource.api_version else "kind"
        return [Problem(UNKNOWN_KIND, missing, "missing", "the object's apiVersion and kind")]
    validator = builtin_validator(version, options.strict, resource.api_version, resource.kind)
    if validator is not None:
        found: list[Problem] = []
        if not validator.is_valid(resource.raw):
            found = problems(validator.iter_errors(resource.raw), _is_secret(resource))
            if any(selector_problems(resource)):
                # The selector rule says the same as `required` with the labels to use.
                found = [p for p in found if (p.rule, p.path) != (REQUIRED, "spec.selector")]
        return sorted({*found, *api_server_problems(resource)})
    if is_builtin_group(resource.group, version, options.strict):
        return [_unknown_builtin(resource, version, options.strict)]
    crd = find_crd(crds, resource.group, resource.kind)
    return sorted({*name_problems(resource), *_custom_problems(resource, crd, version, options)})


def run(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Validate every resource of every overlay; raise UnsupportedVersion for a bad version."""
    version = resolve_version(options.k8s_version)
    found: list[Finding] = []
    for overlay in overlays:
        crds = crd_index(overlay.resources, options.crds, overlay.root)
        for resource in overlay.resources:
            found.extend(
                finding(overlay, resource, CHECK_ID, p.rule, p.path, p.found, p.expected)
                for p in resource_problems(resource, crds, version, options)
            )
    return sorted(set(found))


def custom_kinds(overlay: Overlay, options: CheckOptions) -> tuple[dict[str, int], dict[str, int]]:
    """Count the custom resources a schema validates and those none does, by
    ``group/version Kind``, sorted."""
    version = resolve_version(options.k8s_version)
    crds = crd_index(overlay.resources, options.crds, overlay.root)
    validated: Counter[str] = Counter()
    unvalidated: Counter[str] = Counter()
    for resource in overlay.resources:
        if not resource.api_version or not resource.kind:
            continue
        known = builtin_validator(version, options.strict, resource.api_version, resource.kind)
        if known is not None:
            continue
        if is_builtin_group(resource.group, version, options.strict):
            continue
        crd = find_crd(crds, resource.group, resource.kind)
        declared = crd.version(resource.version) if crd else None
        if crd is not None and not crd.catalog and (declared is None or not declared.served):
            continue  # unknown-kind: reported, not merely unvalidated
        counts = validated if declared is not None and declared.has_schema else unvalidated
        counts[_kind_of(resource)] += 1
    return dict(sorted(validated.items())), dict(sorted(unvalidated.items()))


__all__ = [
    "CHECK_ID",
    "CrdFileError",
    "UnsupportedVersion",
    "bundled_versions",
    "custom_kinds",
    "load_crds",
    "resolve_version",
    "resource_problems",
    "run",
    "supported_range",
]
