"""``kustomize edit``, as Argo CD runs it for ``spec.source.kustomize``, done in Python.

There is no ``kustomize`` binary here (``kubectl kustomize`` has no ``edit``),
so the edits Argo CD's repo server makes to the Application's kustomization
file are applied to its data directly, exactly as Kustomize v5's
``kustomize/commands/edit`` would write them, in Argo CD's order:

1. ``set nameprefix`` / 2. ``set namesuffix``: overwrite the field;
3. ``set image``: parse each argument (``name=new:tag@digest``, ``name:tag``,
   ``name@digest``; ``*`` keeps the current value), merge by name into
   ``images:`` (replacing an entry of that name), sorted by name;
4. ``set replicas``: ``name=count`` merged by name into ``replicas:``, sorted;
5. ``add label``: into ``commonLabels`` (selectors too), or with
   ``labelWithoutSelector`` into a ``labels:`` entry with
   ``includeSelectors: false`` (and ``includeTemplates``); a key already there
   fails unless ``forceCommonLabels``;
6. ``add annotation``: into ``commonAnnotations``; ``forceCommonAnnotations``;
7. ``set namespace``;
8. ``patches``: appended to ``patches:`` (no command: Argo CD rewrites the file);
9. ``add component``: each path (a glob) appended once to ``components:``;
   with ``ignoreMissingComponents``, paths missing from the repository are dropped.

Values of ``images`` and ``commonLabels`` (and ``commonAnnotations`` with
``commonAnnotationsEnvsubst``) go through Argo CD's ``Envsubst`` with the
``ARGOCD_APP_*`` variables. The build itself is always real Kustomize.
"""

from __future__ import annotations

import copy
import glob
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..core.applications import SourcePlan
from ..core.paths import OutsideRepository, display_path, inside
from .kustomization import KUSTOMIZATION_FILES, is_remote
from .safe_yaml import UnreadableFile, load_file

#: Kustomize's message for an image argument it cannot parse.
IMAGE_FORMAT = (
    "invalid format of image, use one of the following options: <image>=<newimage>:<newtag>, "
    "<image>=<newimage>@<digest>, <image>=<newimage>:<newtag>@<digest>, <image>=<newimage>, "
    "<image>:<newtag>, <image>:<newtag>@<digest>, <image>@<digest>"
)


class EditError(Exception):
    """An edit Kustomize (or Argo CD) refuses; the message is theirs."""


# -- Argo CD's Envsubst (Go's os.Expand) --------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9_]+")
_SPECIAL = "*#$@!?-0123456789"


def envsubst(text: str, env: Mapping[str, str]) -> str:
    """Go's ``os.Expand`` with Argo CD's mapping: ``$X`` and ``${X}`` from ``env`` (unknown
    names become empty), ``$$`` is ``$``, a ``$`` before anything else stays."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "$" or index + 1 >= len(text):
            out.append(char)
            index += 1
            continue
        name, width = _expand_name(text, index + 1)
        if width == 0:
            out.append("$")
            index += 1
            continue
        if name is not None:
            out.append("$" if name == "$" else env.get(name, ""))
        index += 1 + width
    return "".join(out)


def _expand_name(text: str, start: int) -> tuple[str | None, int]:
    """Go's ``getShellName``: the name after a ``$`` and how many characters it takes."""
    char = text[start]
    if char == "{":
        end = text.find("}", start + 1)
        if end < 0:
            return None, 1  # an unterminated ${ eats the "${" only
        name = text[start + 1 : end]
        return (name or None), end - start + 1
    if char in _SPECIAL:
        return char, 1
    match = _NAME.match(text, start)
    if match is None:
        return None, 0
    return match.group(), match.end() - start


# -- set image ---------------------------------------------------------------------------------


def split_image(image: str) -> tuple[str, str, str]:
    """Kustomize's ``image.Split``: name, tag and digest (a registry port is no tag)."""
    slash = image.find("/")
    offset = slash if slash > 0 else 0
    search = image[offset:]
    at, colon = search.find("@"), search.find(":")
    if colon < 0 and at < 0:
        return image, "", ""
    if at >= 0 and (at < colon or colon < 0):
        return image[: offset + at], "", image[offset + at + 1 :]
    if at >= 0:
        return (
            image[: offset + colon],
            image[offset + colon + 1 : offset + at],
            image[offset + at + 1 :],
        )
    return image[: offset + colon], image[offset + colon + 1 :], ""


def parse_image(argument: str) -> dict[str, str]:
    """One ``kustomize edit set image`` argument as an ``images:`` entry."""
    key, separator, value = argument.partition("=")
    if not separator:
        key, value = "", argument
    name, tag, digest = split_image(value)
    if name == argument:
        raise EditError(IMAGE_FORMAT)
    image = {"name": key, "newName": name} if key else {"name": name}
    image.update(newTag=tag, digest=digest)
    return image


_PRESERVE = "*"


def _set_images(data: dict[str, Any], arguments: list[str]) -> None:
    wanted: dict[str, dict[str, str]] = {}
    for argument in arguments:
        image = parse_image(argument)
        wanted[image["name"]] = image
    for existing in data.get("images") or []:
        if not isinstance(existing, dict):
            continue
        name = str(existing.get("name", ""))
        if name not in wanted:
            wanted[name] = dict(existing)
            continue
        for field in ("newName", "newTag", "digest"):
            if wanted[name].get(field) == _PRESERVE:
                wanted[name][field] = str(existing.get(field) or "")
    images = []
    for image in wanted.values():
        cleaned = {k: v for k, v in image.items() if v != _PRESERVE}
        images.append({k: v for k, v in cleaned.items() if v not in ("", None)})
    data["images"] = sorted(images, key=lambda i: str(i.get("name", "")))


# -- set replicas ------------------------------------------------------------------------------


def replica_count(value: Any) -> int:
    """Argo CD's ``GetIntCount``: an integer, or a string Go's ``Atoi`` reads."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    raise EditError(f"expected integer value for count. Received: {text}")


def _set_replicas(data: dict[str, Any], replicas: list[Any]) -> None:
    wanted: dict[str, dict[str, Any]] = {}
    for replica in replicas:
        if not isinstance(replica, dict):
            raise EditError("invalid format of replica, use the following format: <name>=<count>")
        name = str(replica.get("name", ""))
        if "=" in name:
            raise EditError("invalid format of replica, use the following format: <name>=<count>")
        wanted[name] = {"name": name, "count": replica_count(replica.get("count"))}
    for existing in data.get("replicas") or []:
        if isinstance(existing, dict) and str(existing.get("name", "")) not in wanted:
            wanted[str(existing.get("name", ""))] = existing
    data["replicas"] = sorted(wanted.values(), key=lambda r: str(r.get("name", "")))


# -- add label / add annotation -------------------------------------------------------------------


def _pairs(values: Mapping[str, Any], kind: str) -> dict[str, str]:
    """``key:value`` arguments as Kustomize parses them (first ``:``; quotes trimmed)."""
    parsed: dict[str, str] = {}
    for key in sorted(values):
        argument = f"{key}:{values[key]}"
        colon = argument.find(":")
        if colon == 0:
            raise EditError(f"invalid {kind}: '{argument}' (need k:v pair where v may be quoted)")
        value = argument[colon + 1 :]
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        parsed[argument[:colon]] = value
    return parsed


def _write(target: dict[str, Any], key: str, value: str, kind: str, force: bool) -> None:
    if key in target and not force:
        raise EditError(f"{kind} {key} already in kustomization file. Use --force to override.")
    target[key] = value


def _add_labels(data: dict[str, Any], pairs: dict[str, str], options: Mapping[str, Any]) -> None:
    force = bool(options.get("forceCommonLabels"))
    templates = bool(options.get("labelIncludeTemplates"))
    if not options.get("labelWithoutSelector"):
        if templates:
            raise EditError(
                "--without-selector flag must be specified for --include-templates to work"
            )
        labels = data.setdefault("commonLabels", {}) or {}
        data["commonLabels"] = labels
        for key, value in pairs.items():
            _write(labels, key, value, "label", force)
        return
    entries = data.get("labels") or []
    data["labels"] = entries
    same = next(
        (
            e
            for e in entries
            if isinstance(e, dict)
            and not e.get("includeSelectors")
            and bool(e.get("includeTemplates")) == templates
        ),
        None,
    )
    if same is None:
        same = {"pairs": {}, "includeSelectors": False}
        if templates:
            same["includeTemplates"] = True
        entries.append(same)
    target = same.setdefault("pairs", {}) or {}
    same["pairs"] = target
    for key, value in pairs.items():
        _write(target, key, value, "label", force)


def _add_annotations(data: dict[str, Any], pairs: dict[str, str], force: bool) -> None:
    annotations = data.get("commonAnnotations") or {}
    data["commonAnnotations"] = annotations
    for key, value in pairs.items():
        _write(annotations, key, value, "annotation", force)


# -- patches and components -----------------------------------------------------------------------

_PATCH_FIELDS = ("path", "patch", "target", "options")
_TARGET_FIELDS = (
    "group",
    "version",
    "kind",
    "name",
    "namespace",
    "annotationSelector",
    "labelSelector",
)


def _patch(raw: Any) -> dict[str, Any]:
    """An Application's patch as Argo CD serialises it (empty fields left out)."""
    if not isinstance(raw, dict):
        raise EditError("a kustomize.patches entry is not a mapping")
    patch = {k: copy.deepcopy(raw[k]) for k in _PATCH_FIELDS if raw.get(k) not in (None, "", {})}
    if isinstance(patch.get("target"), dict):
        patch["target"] = {
            k: patch["target"][k]
            for k in _TARGET_FIELDS
            if patch["target"].get(k) not in (None, "")
        }
    return patch


def _add_patches(data: dict[str, Any], patches: list[Any]) -> None:
    if "patches" in data and not isinstance(data["patches"], list):
        kind = "<nil>" if data["patches"] is None else type(data["patches"]).__name__
        raise EditError(
            f"expected 'patches' field in kustomization.yaml to be []any, but got {kind}"
        )
    data["patches"] = [*(data.get("patches") or []), *(_patch(p) for p in patches)]


def _inside(root: Path, path: Path) -> bool:
    resolved = Path(os.path.normpath(path))
    return resolved == root or root in resolved.parents


def _component_matches(component: str, app_dir: Path) -> list[str]:
    """``kustomize edit add component``: the glob's matches, or the path itself when a
    loader accepts it (a remote target); a local path that exists nowhere fails."""
    if any(char in component for char in "*?["):
        matched = sorted(glob.glob(component, root_dir=app_dir))
        if matched:
            return matched
    elif (app_dir / component).exists():
        return [component]
    if is_remote(component):
        return [component]
    raise EditError(f"{component} has no match")


def _add_components(
    data: dict[str, Any], options: Mapping[str, Any], app_dir: Path, root: Path
) -> None:
    components = [str(c) for c in options.get("components") or []]
    if options.get("ignoreMissingComponents"):
        components = [
            c
            for c in components
            if _inside(root, app_dir / c) and (app_dir / c).exists() and not is_remote(c)
        ]
    found = [match for c in components for match in _component_matches(c, app_dir)]
    existing = data.get("components") or []
    for component in found:
        if component not in existing and component not in KUSTOMIZATION_FILES:
            existing.append(component)
    if existing:
        data["components"] = existing


# -- the whole sequence ------------------------------------------------------------------------


#: The fields the edits read or write, with the Go type Kustomize decodes them into
#: and the JSON type each element must have ("" when a list's elements are free).
_FIELD_TYPES: dict[str, tuple[type, str, type | None, str]] = {
    "namePrefix": (str, "string", None, ""),
    "nameSuffix": (str, "string", None, ""),
    "namespace": (str, "string", None, ""),
    "commonLabels": (dict, "map[string]string", None, ""),
    "commonAnnotations": (dict, "map[string]string", None, ""),
    "labels": (list, "[]types.Label", dict, "types.Label"),
    "images": (list, "[]types.Image", dict, "types.Image"),
    "imageTags": (list, "[]types.Image", dict, "types.Image"),
    "replicas": (list, "[]types.Replica", dict, "types.Replica"),
    "patches": (list, "[]types.Patch", dict, "types.Patch"),
    "resources": (list, "[]string", str, "string"),
    "bases": (list, "[]string", str, "string"),
    "components": (list, "[]string", str, "string"),
    "configMapGenerator": (list, "[]types.ConfigMapArgs", dict, "types.ConfigMapArgs"),
    "secretGenerator": (list, "[]types.SecretArgs", dict, "types.SecretArgs"),
}


def _json_type(value: Any) -> str:
    """The JSON type name Go's decoder quotes in ``cannot unmarshal <type>``."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else "value"


def check_field_types(data: Mapping[str, Any]) -> None:
    """Refuse, in Kustomize's words, a kustomization whose fields an edit would read as
    the wrong type (``commonLabels: [a]``): ``kustomize edit`` fails to decode it."""
    for field, (kind, go_type, element, element_type) in _FIELD_TYPES.items():
        value = data.get(field)
        if value is None:
            continue
        where = f"Go struct field Kustomization.{field}"
        if not isinstance(value, kind) or isinstance(value, bool):
            raise EditError(
                f"invalid Kustomization: json: cannot unmarshal {_json_type(value)} "
                f"into {where} of type {go_type}"
            )
        items: list[Any] = value if isinstance(value, list) and element is not None else []
        wrong = [item for item in items if element is not None and not isinstance(item, element)]
        if wrong:
            raise EditError(
                f"invalid Kustomization: json: cannot unmarshal {_json_type(wrong[0])} "
                f"into {where} of type {element_type}"
            )


def fix_kustomization(data: dict[str, Any]) -> None:
    """What every ``kustomize edit`` does on reading (``FixKustomization``)."""
    data.setdefault("kind", "Kustomization")
    if not data.get("apiVersion"):
        component = data.get("kind") == "Component"
        data["apiVersion"] = (
            "kustomize.config.k8s.io/v1alpha1" if component else "kustomize.config.k8s.io/v1beta1"
        )
    if data.get("bases"):
        data["resources"] = [*(data.get("resources") or []), *data["bases"]]
    data.pop("bases", None)
    if data.get("imageTags"):
        data["images"] = [*(data.get("images") or []), *data["imageTags"]]
    data.pop("imageTags", None)
    for field in ("configMapGenerator", "secretGenerator"):
        for generator in data.get(field) or []:
            if isinstance(generator, dict) and generator.get("env"):
                generator["envs"] = [*(generator.get("envs") or []), generator.pop("env")]


def given(overrides: Mapping[str, Any], field: str) -> bool:
    """Tell whether an Application's ``spec.source.kustomize`` sets ``field`` (Argo CD
    ignores an empty value)."""
    return overrides.get(field) not in (None, "", [], {})


Edit = Callable[[dict[str, Any], Mapping[str, Any], Mapping[str, str]], None]


def _prefix(data: dict[str, Any], options: Mapping[str, Any], env: Mapping[str, str]) -> None:
    data["namePrefix"] = str(options["namePrefix"])


def _suffix(data: dict[str, Any], options: Mapping[str, Any], env: Mapping[str, str]) -> None:
    data["nameSuffix"] = str(options["nameSuffix"])


def _images(data: dict[str, Any], options: Mapping[str, Any], env: Mapping[str, str]) -> None:
    images = list(options["images"])
    if not all(isinstance(image, str) for image in images):
        # Argo CD types them as strings: a map is refused before any edit (never
        # edited in as its Python text).
        raise EditError("an image override is not a string")
    _set_images(data, [envsubst(image, env) for image in images])


def _replicas(data: dict[str, Any], options: Mapping[str, Any], env: Mapping[str, str]) -> None:
    _set_replicas(data, list(options["replicas"]))


def _labels(data: dict[str, Any], options: Mapping[str, Any], env: Mapping[str, str]) -> None:
    values = {str(k): envsubst(str(v), env) for k, v in options["commonLabels"].items()}
    _add_labels(data, _pairs(values, "label"), options)


def _annotations(data: dict[str, Any], options: Mapping[str, Any], env: Mapping[str, str]) -> None:
    substitute = bool(options.get("commonAnnotationsEnvsubst"))
    values = {
        str(k): envsubst(str(v), env) if substitute else str(v)
        for k, v in options["commonAnnotations"].items()
    }
    _add_annotations(
        data, _pairs(values, "annotation"), bool(options.get("forceCommonAnnotations"))
    )


def _namespace(data: dict[str, Any], options: Mapping[str, Any], env: Mapping[str, str]) -> None:
    data["namespace"] = str(options["namespace"])


#: The edit commands, in Argo CD's order: the field that triggers it, the command, the edit.
COMMANDS: tuple[tuple[str, str, Edit], ...] = (
    ("namePrefix", "set nameprefix", _prefix),
    ("nameSuffix", "set namesuffix", _suffix),
    ("images", "set image", _images),
    ("replicas", "set replicas", _replicas),
    ("commonLabels", "add label", _labels),
    ("commonAnnotations", "add annotation", _annotations),
    ("namespace", "set namespace", _namespace),
)


def apply_overrides(
    data: Mapping[str, Any],
    overrides: Mapping[str, Any],
    env: Mapping[str, str],
    app_dir: Path,
    root: Path,
) -> dict[str, Any]:
    """The kustomization Argo CD builds: ``data`` after the edits ``overrides`` ask for."""
    edited = copy.deepcopy(dict(data))
    fixed = False
    for field, command, run in COMMANDS:
        if not given(overrides, field):
            continue
        if not fixed:
            # Each ``kustomize edit`` decodes the file first (patches alone are Argo
            # CD's own rewrite, with its own words).
            check_field_types(edited)
            fix_kustomization(edited)
            fixed = True
        try:
            run(edited, overrides, env)
        except EditError as error:
            raise EditError(f"`kustomize edit {command}` failed: {error}") from None
        except (TypeError, AttributeError, KeyError):
            # A nested field of the wrong type (``labels: [{pairs: [a]}]``): Kustomize
            # refuses to decode the file; which field is enough to fix it.
            raise EditError(
                f"`kustomize edit {command}` failed: invalid Kustomization: a field it "
                f"edits ({field}) does not have the shape Kustomize expects"
            ) from None
    if given(overrides, "patches"):
        _add_patches(edited, list(overrides["patches"]))
    if given(overrides, "components"):
        if not fixed:
            check_field_types(edited)
            fix_kustomization(edited)
        try:
            _add_components(edited, overrides, app_dir, root)
        except EditError as error:
            raise EditError(f"`kustomize edit add component` failed: {error}") from None
    return edited


def _kustomization_files(directory: Path) -> list[Path]:
    return [directory / name for name in KUSTOMIZATION_FILES if (directory / name).is_file()]


#: The ``kustomize`` fields that make Argo CD edit the kustomization.
EDIT_FIELDS = (
    "namePrefix",
    "nameSuffix",
    "images",
    "replicas",
    "commonLabels",
    "commonAnnotations",
    "namespace",
    "patches",
    "components",
)


def edited_kustomization(source: SourcePlan) -> tuple[str, dict[str, Any]] | None:
    """The kustomization file name and data Argo CD builds for ``source`` (None: unedited).

    Raises EditError with Kustomize's (or Argo CD's) words when an edit fails.
    """
    overrides = source.overrides
    edits = [field for field in EDIT_FIELDS if given(overrides, field)]
    if not edits:
        return None
    files = _kustomization_files(source.path)
    if not files:
        if edits == ["patches"]:
            raise EditError("kustomization file not found in the path")
        raise EditError("Missing kustomization file 'kustomization.yaml'.")
    if len(files) > 1:
        names = " ".join(f.name for f in files)
        raise EditError(f"Found multiple kustomization file: [{names}]")
    try:
        # Written into the private copy as a plain file: a link out of the repository
        # would turn a file Kustomize refuses to read into one it builds.
        inside(files[0], source.root, display_path(files[0], source.root))
        data = load_file(files[0])
    except OutsideRepository as error:
        raise EditError(str(error)) from None
    except UnreadableFile as error:
        raise EditError(f"invalid Kustomization: {error}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise EditError(f"expected {files[0].name} to be a map")
    edited = apply_overrides(data, overrides, dict(source.env), source.path, source.root)
    return files[0].name, edited
