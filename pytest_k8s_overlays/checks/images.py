"""images: every container runs a real, pinned image that the overlay chose on purpose.

Besides the image of each container (``missing-image``, ``invalid-image``,
``placeholder``, ``unpinned``, ``registry``) and the ``images:`` entries
(``unused-images-entry``):

- ``environment-leak``: an image whose tag names another group's environment
  and not its own (``acme/app:api-dev-latest`` in the ``prod`` group): a prod
  overlay that kept the dev tag because it has no ``images:`` entry. Judged
  only when the session has groups of known, different environments.
- ``image-convention``: with ``--overlays-image-convention`` patterns, every
  container's image matches one of them once ``{overlay}``, ``{first}``,
  ``{last}``, ``{group}``, ``{workload}`` and ``{container}`` are filled in
  (``docker.io/acme/app:{workload}-{last}-*``): a worker running the API's image.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from ..core.defaults import DEFAULT_PLACEHOLDERS
from ..core.fields import as_dict, as_list, dicts
from ..core.findings import Finding, finding
from ..core.options import Setting
from ..core.paths import display_path
from ..core.resources import Container, Overlay, Resource
from ..parse.kustomization import KustomizationError, load_kustomization
from .base import CheckOptions, Rule, declare
from .environments import environment_of, environments_named, other_environments
from .namespace import PLACEHOLDERS as NAMESPACE_PLACEHOLDERS
from .namespace import expected_namespace

#: The C BaseLoader when available: several times faster than the pure one.
_TEXT_LOADER: type[Any] = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

CHECK_ID = "images"
MISSING_IMAGE = "missing-image"
INVALID_IMAGE = "invalid-image"
PLACEHOLDER = "placeholder"
UNPINNED = "unpinned"
REGISTRY = "registry"
ENVIRONMENT_LEAK = "environment-leak"
IMAGE_CONVENTION = "image-convention"
UNUSED_IMAGES_ENTRY = "unused-images-entry"

CHECK = declare(
    __name__,
    CHECK_ID,
    "overlay",
    summary="containers run real, pinned images, and every images: entry takes effect",
    catches=(
        "missing, placeholder, untagged or `:latest` images; references no container runtime "
        "can parse (`ghcr.io/acme/api: latest`); an image tagged for another group's "
        "environment; `images:` entries that changed nothing; optionally, images off your "
        "naming convention"
    ),
    options=(
        Setting(
            "allow_latest",
            ("--overlays-allow-latest",),
            "overlays_allow_latest",
            "bool",
            False,
            "accept untagged and :latest images",
            negative="--overlays-no-allow-latest",
        ),
        Setting(
            "placeholder_images",
            ("--overlays-placeholder-images",),
            "overlays_placeholder_images",
            "list",
            DEFAULT_PLACEHOLDERS,
            "image patterns that mean a forgotten images: entry (default: "
            f"{', '.join(DEFAULT_PLACEHOLDERS)})",
            "PATTERNS",
        ),
        Setting(
            "image_convention",
            ("--overlays-image-convention",),
            "overlays_image_convention",
            "list",
            (),
            "image patterns every container must match, comma-separated: {overlay}, {first}, "
            "{last}, {group}, {workload} and {container} are filled in, e.g. "
            "docker.io/acme/app:{workload}-{last}-*",
            "PATTERNS",
        ),
        Setting(
            "allowed_registries",
            ("--overlays-allowed-registries",),
            "overlays_allowed_registries",
            "list",
            (),
            "registries (or registry/path prefixes) images may come from (default: any)",
            "REGISTRIES",
        ),
    ),
    rules=(
        Rule(
            MISSING_IMAGE,
            hint=(
                "give the container an image: in its manifest or patch (an images: entry only "
                "rewrites an image that is already there)"
            ),
            doc=(
                "a container with no or an empty `image:` (a patch that adds an init container "
                "and forgets its image), or an `image:` that is a map, list or number (a YAML "
                "typo)"
            ),
        ),
        Rule(
            INVALID_IMAGE,
            hint=(
                "write the image as container runtimes parse it: "
                "[registry[:port]/]path[:tag][@digest], the path in lower case, the tag of "
                "letters, digits, _ . - (at most 128), no spaces; check the images: entry "
                "(newName:, newTag:, digest:) that wrote it"
            ),
            doc=(
                "an `image:` no container runtime can parse, by the reference grammar "
                "containerd, CRI-O and Docker share (distribution/reference): "
                "`ghcr.io/acme/api: latest` (a space), `Nginx` (upper case in the path), "
                "`app:` (an empty tag), a tag over 128 characters, a digest that is no digest, "
                "a name over 255 characters; or white space before or after it, for which the "
                "API server refuses the Pods. `${VAR}` substitution variables (Flux "
                "`postBuild`, envsubst) count as the value they stand for. The other image "
                "rules do not judge what does not parse."
            ),
        ),
        Rule(
            PLACEHOLDER,
            hint=(
                "add an images: entry to the overlay's kustomization.yaml: name: <the "
                "placeholder, as the base writes it>, newName: <the service's image>, newTag: "
                "<its version>"
            ),
            doc=(
                "an image matching `overlays_placeholder_images` (fnmatch patterns, default "
                "`*placeholder*`): the overlay forgot its `images:` entry"
            ),
        ),
        Rule(
            UNPINNED,
            hint=(
                "set newTag: (a version) or digest: in the overlay's images: entry; where "
                ":latest is intended, set overlays_allow_latest = true (or "
                "--overlays-allow-latest)"
            ),
            doc=(
                "no tag, or `:latest`. A digest (`@sha256:...`, also `app:1.2@sha256:...`) is "
                "always fine; `localhost:5000/app` has no tag (that colon belongs to the "
                "registry)."
            ),
        ),
        Rule(
            REGISTRY,
            hint=(
                "point newName: of the overlay's images: entry at an allowed registry, or add "
                "the registry to overlays_allowed_registries"
            ),
            doc=(
                "only with ini `overlays_allowed_registries`: an image from another registry. "
                "An entry is a host (`ghcr.io`, globs allowed: `*.dkr.ecr.*.amazonaws.com`) or "
                "a host and path (`ghcr.io/acme`); Docker Hub shorthands (`nginx`) count as "
                "`docker.io`."
            ),
        ),
        Rule(
            ENVIRONMENT_LEAK,
            hint=(
                "give the overlay an images: entry with the tag built for its own environment "
                "(newTag:), so it does not keep the tag its base or another environment uses"
            ),
            doc=(
                "an image whose tag names another group's environment and not its own: "
                "`ghcr.io/acme/app:api-dev-41` in the `prod` group, a prod overlay that kept "
                "the base's dev tag because it has no `images:` entry. A group's environment "
                "is the one environment word its path holds (`deploy/overlays/production`, "
                "`envs/prod-eu`, `workloads/*/dev`; words: dev, development, test, qa, uat, "
                "int, integration, stage, staging, preprod, prod, production, sandbox and a "
                "few aliases); the tag's words are split at `-`, `_` and `.`. Judged only when "
                "the session has groups of known, different environments; a tag naming its own "
                "environment too (`dev-to-prod-3`) passes."
            ),
        ),
        Rule(
            IMAGE_CONVENTION,
            hint=(
                "point the container at its own image (an images: entry with newName:/newTag:, "
                "or the image: in the patch that adds it), or widen overlays_image_convention"
            ),
            doc=(
                "only with `--overlays-image-convention` / ini `overlays_image_convention`: an "
                "image matching none of the patterns (fnmatch, comma-separated) once "
                "`{overlay}` (the overlay name), `{first}` and `{last}` (its first and last "
                "path components), `{group}`, `{workload}` (the rendered workload name, "
                "namePrefix included) and `{container}` are filled in. "
                "`docker.io/acme/app:{workload}-{last}-*` catches a worker running the API's "
                "image (`acme/app:character-api-dev-latest` in `character-worker`) and a beat "
                "scheduler running another service's worker image. List sidecars' images as "
                "patterns of their own (`docker.io/istio/*`)."
            ),
        ),
        Rule(
            UNUSED_IMAGES_ENTRY,
            hint=(
                "make name: equal the image exactly as the manifests write it, registry "
                "included: Kustomize matches names literally, so docker.io/org/app does not "
                "match org/app; or delete the entry"
            ),
            doc=(
                "an `images:` entry in the overlay's own kustomization that changed nothing: "
                "no rendered image has the entry's resulting name and tag or digest. Kustomize "
                "matches `name:` literally, so `docker.io/org/app` does not match `org/app`."
            ),
        ),
    ),
)
DOCKER_HUB = "docker.io"
#: Longer strings are no image reference (a 255-character name, a tag, a digest).
_MAX_REFERENCE = 512

# The reference grammar of distribution/reference (regexp.go), which containerd,
# CRI-O and Docker parse an image with: a runtime cannot pull anything else. The
# parts are RE2 patterns; the same ones are linear here too, since a reference
# is bounded by _MAX_REFERENCE before it is matched.
_ALNUM = "[a-z0-9]+"
_SEPARATOR = "(?:[._]|__|[-]+)"
_DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[(?:[a-fA-F0-9:]+)\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_PATH_PART = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_PART}(?:/{_PATH_PART})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"(?P<name>{_NAME})(?::{_TAG})?(?:@{_DIGEST})?", re.ASCII)
#: reference.NameTotalLengthMax: a longer name is refused.
_MAX_NAME = 255
#: 64 hexadecimal digits alone are refused too: they read as an image id.
_IDENTIFIER = re.compile("[a-f0-9]{64}")
#: A substitution variable (Flux ``postBuild.substitute``, envsubst) filled in after
#: the render: judged as the value it stands for, not as written.
_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=][^}]*)?\}")


@dataclass(frozen=True)
class ImageRef:
    """An image reference split the way container runtimes read it.

    ``name`` is everything before the tag and digest, as written;
    ``localhost:5000/app`` has no tag (the colon belongs to the registry).
    """

    name: str
    tag: str | None = None
    digest: str | None = None

    @property
    def registry(self) -> str | None:
        """The registry host written in the name, or None for a Docker Hub shorthand."""
        first, slash, _ = self.name.partition("/")
        if slash and ("." in first or ":" in first or first == "localhost"):
            return first
        return None

    @property
    def canonical(self) -> str:
        """The name with Docker Hub spelled out: ``nginx`` is ``docker.io/library/nginx``."""
        if self.registry is not None:
            return self.name
        return f"{DOCKER_HUB}/{self.name if '/' in self.name else 'library/' + self.name}"

    @property
    def pinned(self) -> bool:
        return self.digest is not None or (self.tag is not None and self.tag != "latest")


def parse_image(image: str) -> ImageRef:
    """Split ``registry/path/name:tag@digest`` into name, tag and digest."""
    rest, _, digest = image.strip().partition("@")
    last_slash = rest.rfind("/")
    # The tag is after the first colon of the last path part; an earlier colon
    # is a registry port.
    colon = rest.find(":", last_slash + 1)
    if colon == -1:
        return ImageRef(rest, None, digest or None)
    return ImageRef(rest[:colon], rest[colon + 1 :] or None, digest or None)


def reference_error(image: str) -> str | None:
    """Why a container runtime could not parse ``image`` as an image reference, or None
    when it can; ``${VAR}`` substitution variables count as a valid word."""
    if image != image.strip():
        # The API server refuses such a Pod (a Deployment's pods are then never made).
        return "has white space before or after it"
    if len(image) > _MAX_REFERENCE:
        return f"is longer than {_MAX_REFERENCE} characters"
    text = _VARIABLE.sub("x", image)
    match = _REFERENCE.fullmatch(text)
    if match is None:
        return "is no valid image reference"
    if len(match["name"]) > _MAX_NAME:
        return f"has a name longer than {_MAX_NAME} characters"
    if _IDENTIFIER.fullmatch(text):
        return "is 64 hexadecimal digits, which reads as an image id, not a name"
    return None


def registry_allowed(ref: ImageRef, allowed: Sequence[str]) -> bool:
    """Tell whether the image comes from one of ``allowed``.

    An entry is a registry host (``ghcr.io``, globs allowed:
    ``*.dkr.ecr.*.amazonaws.com``) or a host with a path (``ghcr.io/acme``).
    Docker Hub shorthands count as ``docker.io``.
    """
    host = ref.canonical.partition("/")[0]
    for entry in allowed:
        entry = entry.strip().rstrip("/")
        if not entry:
            continue
        if "/" in entry:
            if fnmatchcase(ref.canonical, f"{entry}/*"):
                return True
        elif fnmatchcase(host, entry):
            return True
    return False


#: The annotation OpenShift reads to set a workload's container images from image streams.
TRIGGERS_ANNOTATION = "image.openshift.io/triggers"
_TRIGGERED_CONTAINER = re.compile(r"""@\.name\s*==\s*\\?["']([^"'\\]+)""")


def triggered_containers(resource: Resource) -> frozenset[str]:
    """The containers whose image an OpenShift image trigger sets at deploy time: a
    DeploymentConfig's ImageChange triggers, or the triggers annotation of a workload.
    The manifest's own ``image:`` (often empty) is then never run."""
    names: set[str] = set()
    for trigger in dicts(resource.spec.get("triggers")):
        params = as_dict(trigger.get("imageChangeParams"))
        if trigger.get("type") == "ImageChange":
            names.update(n for n in as_list(params.get("containerNames")) if isinstance(n, str))
    annotation = resource.annotations.get(TRIGGERS_ANNOTATION)
    if annotation:
        names.update(_TRIGGERED_CONTAINER.findall(annotation))
    return frozenset(names)


def _container_findings(
    overlay: Overlay, container: Container, options: CheckOptions
) -> Iterator[Finding]:
    if container.name and container.name in triggered_containers(container.resource):
        return
    path = f"{container.path}.image"
    raw = container.raw.get("image")
    image = raw.strip() if isinstance(raw, str) else ""

    def report(rule: str, found: str, expected: str) -> Finding:
        return finding(overlay, container.resource, CHECK_ID, rule, path, found, expected)

    if not image:
        name = container.raw.get("name")
        label = name if isinstance(name, str) and name else f"{container.field}[{container.index}]"
        # A number, map or list (a YAML typo) is no image reference: say what it is.
        what = (
            "no image"
            if raw is None or isinstance(raw, str)
            else f"an image that is {_kind_of(raw)}, not a string"
        )
        yield report(MISSING_IMAGE, f"container {label} has {what}", "an image reference")
        return
    invalid = reference_error(raw) if isinstance(raw, str) else None
    if invalid is not None:
        # Judging the tag or registry of what does not parse would only guess.
        yield report(
            INVALID_IMAGE,
            f"{raw!r} {invalid}",
            "[registry[:port]/]lower-case/path[:tag][@digest]",
        )
        return
    ref = parse_image(image)
    if any(fnmatchcase(image, p) or fnmatchcase(ref.name, p) for p in options.placeholder_images):
        yield report(
            PLACEHOLDER,
            f"{image} is a placeholder image",
            "the service's own image from an images: entry",
        )
    if not options.allow_latest and not ref.pinned:
        found = (
            f"{image} is tagged latest" if ref.tag else f"{image} has no tag, so it pulls latest"
        )
        yield report(UNPINNED, found, "a version tag or a digest")
    leak = _leak(overlay, ref, options)
    if leak is not None:
        yield report(ENVIRONMENT_LEAK, *leak)
    convention = _convention(overlay, container, image, options)
    if convention is not None:
        yield report(IMAGE_CONVENTION, *convention)
    if options.allowed_registries and not registry_allowed(ref, options.allowed_registries):
        registry = ref.registry or f"{DOCKER_HUB} (Docker Hub)"
        yield report(
            REGISTRY,
            f"{image} comes from {registry}",
            f"an image from an allowed registry: {', '.join(options.allowed_registries)}",
        )


#: What a convention pattern may hold besides its text (see :func:`expand_convention`).
CONVENTION_PLACEHOLDERS = ("{overlay}", *NAMESPACE_PLACEHOLDERS, "{workload}", "{container}")


def expand_convention(pattern: str, overlay: Overlay, container: Container) -> str:
    """Fill in a convention pattern for one container of one overlay."""
    # {overlay} is {name}; the overlay's placeholders are expanded as for a namespace.
    expanded = expected_namespace(pattern.replace("{overlay}", overlay.name), overlay)
    return expanded.replace("{workload}", container.resource.name).replace(
        "{container}", container.name
    )


def _convention(
    overlay: Overlay, container: Container, image: str, options: CheckOptions
) -> tuple[str, str] | None:
    """(found, expected) when the image matches none of the convention's patterns."""
    patterns = [p.strip() for p in options.image_convention if p.strip()]
    expanded = [expand_convention(p, overlay, container) for p in patterns]
    if not expanded or any(fnmatchcase(image, p) for p in expanded):
        return None
    shown = " or ".join(
        e if e == p else f"{e} (from {p})" for e, p in zip(expanded, patterns, strict=True)
    )
    return f"{image} does not follow the image convention", f"an image matching {shown}"


def _leak(overlay: Overlay, ref: ImageRef, options: CheckOptions) -> tuple[str, str] | None:
    """(found, expected) when the tag names another group's environment, not its own."""
    own = environment_of(overlay.group)
    if own is None or not ref.tag:
        return None
    named = environments_named(ref.tag)
    leaked = named & other_environments(overlay.group, options.groups)
    if not leaked or own in named:
        return None
    return (
        f"the tag {ref.tag} names environment {', '.join(sorted(leaked))}, and this is "
        f"group {overlay.group} ({own})",
        f"the {own} image: an images: entry in the overlay setting newTag for {own}",
    )


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    return "a boolean" if isinstance(value, bool) else "a number"


def _image_entries(kustomization: Path) -> list[Any]:
    """The ``images:`` list of a kustomization file, or [] when it cannot be read."""
    try:
        # BaseLoader keeps every scalar a string, as Kustomize reads them:
        # ``newTag: 1.10`` stays "1.10", not the float 1.1.
        data = load_kustomization(kustomization, _TEXT_LOADER)
    except KustomizationError:
        return []
    images = data.get("images")
    return images if isinstance(images, list) else []


def _strings(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


#: What Kustomize's IsImageMatched (api/internal/image/image.go, v5.8) appends to an
#: entry's ``name:``: an optional tag, an optional sha256 digest.
_MATCHED_SUFFIX = "(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?"


def kustomize_split(image: str) -> ImageRef:
    """Split an image the way Kustomize's images: transformer does (image.Split): the
    tag or digest starts at the first ``:`` or ``@`` after the first ``/``."""
    slash = image.find("/")
    start = slash if slash > 0 else 0
    colon, at = image.find(":", start), image.find("@", start)
    if colon < 0 and at < 0:
        return ImageRef(image)
    if at >= 0 and (colon < 0 or at < colon):
        return ImageRef(image[:at], None, image[at + 1 :] or None)
    if at >= 0:
        return ImageRef(image[:colon], image[colon + 1 : at] or None, image[at + 1 :] or None)
    return ImageRef(image[:colon], image[colon + 1 :] or None)


def kustomize_matches(image: str, name: str) -> bool:
    """Tell whether an images: entry's ``name:`` matches ``image`` as Kustomize's
    IsImageMatched decides: ``name`` is a regular expression (unescaped, as Kustomize
    uses it), followed by an optional tag and digest, anchored at both ends."""
    try:
        # \Z, not $: Go's $ does not match before a final newline.
        return re.match(f"^{name}{_MATCHED_SUFFIX}\\Z", image) is not None
    except re.error:
        # Kustomize cannot compile it either: the render fails and says why.
        return True


@dataclass(frozen=True)
class ImageEntry:
    """One ``images:`` entry of a kustomization: what it matches and what it produces.

    ``name:`` may carry a tag or digest (``app:svc``): Kustomize then matches only
    that image and keeps the part before the tag (``app``) as the name.
    """

    name: str
    new_name: str = ""
    new_tag: str = ""
    digest: str = ""
    tag_suffix: str = ""

    @classmethod
    def from_raw(cls, raw: Any) -> ImageEntry | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
            return None
        values = {k: raw.get(k) for k in ("newName", "newTag", "digest", "tagSuffix")}
        text = {k: v if isinstance(v, str) else "" for k, v in values.items()}
        return cls(raw["name"], text["newName"], text["newTag"], text["digest"], text["tagSuffix"])

    @property
    def result_name(self) -> str:
        return self.new_name or kustomize_split(self.name).name

    @property
    def result(self) -> str:
        """The image the entry produces, for messages (``<tag>`` when it keeps the tag)."""
        own = kustomize_split(self.name)
        tag, digest = own.tag or "", own.digest or ""
        # The precedence of Kustomize's imageTagUpdater.
        if self.new_tag:
            tag, digest = self.new_tag, self.digest
        elif self.digest:
            tag, digest = "", self.digest
        elif self.tag_suffix:
            tag, digest = f"{tag or '<tag>'}{self.tag_suffix}", ""
        text = self.result_name
        if tag:
            text += f":{tag}"
        if digest:
            text += f"@{digest}"
        return text

    def named(self, name: str) -> bool:
        """Tell whether an image named ``name`` (without tag and digest) could come out
        of this entry."""
        if self.new_name:
            return name == self.new_name
        own = kustomize_split(self.name).name
        # The tag or digest the entry's name carries, on the name seen.
        return name == own or kustomize_matches(name + self.name[len(own) :], self.name)

    def produced(self, ref: ImageRef) -> bool:
        """Tell whether ``ref`` is an image this entry would have written."""
        if not self.named(ref.name):
            return False
        tag, _, tag_digest = self.new_tag.partition("@")
        digest = self.digest or tag_digest
        # Kustomize before v5 dropped the tag when a digest was given, so the
        # digest alone decides then.
        if digest:
            return ref.digest == digest
        if tag:
            return ref.tag == tag
        if self.tag_suffix:
            return (ref.tag or "").endswith(self.tag_suffix)
        own = kustomize_split(self.name)
        # An entry whose name carries a tag keeps that tag (newName: alone).
        return own.tag is None or ref.tag == own.tag


def _edited_entries(overlay: Overlay) -> list[Any] | None:
    """The ``images:`` entries of the kustomization Argo CD builds for an Application
    (its ``kustomize.images`` overrides and ``.argocd-source`` files applied), or None
    when the unit is no Application that edits its kustomization."""
    recipe = overlay.deployable.recipe if overlay.deployable is not None else None
    if recipe is None:
        return None
    from ..core.applications import KUSTOMIZE
    from ..parse.kustomize_edit import EditError, edited_kustomization

    for source in recipe.sources:
        if source.type != KUSTOMIZE or source.path.resolve() != overlay.path.resolve():
            continue
        try:
            edited = edited_kustomization(source)
        except EditError:
            return []  # the render fails and says why
        if edited is None:
            return None
        images = edited[1].get("images")
        return images if isinstance(images, list) else []
    return None


def _unused_entries(overlay: Overlay) -> Iterator[Finding]:
    # An Application's images: entries are those Argo CD's edits leave (an
    # Image Updater's .argocd-source file sets newTag on an entry the overlay has).
    edited = _edited_entries(overlay)
    entries = _image_entries(overlay.kustomization) if edited is None else edited
    if not entries:
        return
    # Every string in the render, not only pod containers: an images: entry
    # also rewrites CRD containers (an Argo Rollout) and configured fields.
    seen: dict[str, list[ImageRef]] = {}
    images = {i for c in overlay.containers if isinstance(i := c.raw.get("image"), str)}
    for value in {s for resource in overlay.resources for s in _strings(resource.raw)}:
        # A container's image counts even with a space in it: the entry wrote it (an
        # invalid-image finding says what is wrong with it).
        if value in images or (
            len(value) <= _MAX_REFERENCE and not any(c.isspace() for c in value)
        ):
            ref = kustomize_split(value)
            seen.setdefault(ref.name, []).append(ref)
    rendered = sorted({parse_image(image).name for image in images if image.strip()})
    where = display_path(overlay.kustomization, overlay.root)
    for index, raw in enumerate(entries):
        entry = ImageEntry.from_raw(raw)
        if entry is None or _entry_used(entry, seen):
            continue
        expected = (
            f"name: written as the manifests write it, one of: {', '.join(rendered)}"
            if rendered
            else "name: matching a rendered container image (this overlay renders none)"
        )
        yield Finding(
            overlay.name,
            where,
            f"images[{index}]",
            CHECK_ID,
            UNUSED_IMAGES_ENTRY,
            f"{entry.name} -> {entry.result} changed no container image",
            expected,
        )


def _entry_used(entry: ImageEntry, seen: dict[str, list[ImageRef]]) -> bool:
    """Tell whether an image in the render is one ``entry`` wrote."""
    if any(entry.produced(ref) for ref in seen.get(entry.result_name, ())):
        return True
    if entry.new_name:
        return False
    # A name that is a pattern to Kustomize (``.`` matches any character) may have
    # matched an image spelled otherwise: rare, so looked for only here.
    return any(
        entry.produced(ref)
        for name, refs in seen.items()
        if name != entry.result_name and entry.named(name)
        for ref in refs
    )


def run(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Check every container image and every ``images:`` entry of each overlay."""
    found: list[Finding] = []
    for overlay in overlays:
        for container in overlay.containers:
            found.extend(_container_findings(overlay, container, options))
        found.extend(_unused_entries(overlay))
    return sorted(set(found))
