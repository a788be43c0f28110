"""This repository as Argo CD sees it: its URLs, its files, its revision.

A source is local when its ``repoURL`` names this checkout: one of the URLs
given (``--overlays-argocd-repo``), else one of the checkout's git remotes
(when the rootdir is the top of a git work tree), else the repoURL most of
the Applications whose paths exist here share. A URL names this repository
when Argo CD's ``SameURL`` says so, or when it is another spelling of one of
those URLs: the same host and path once scheme, user, port, ``www.``,
``.git``, a fragment and doubled or trailing slashes are set aside
(``git@github.com:acme/r.git`` for ``https://github.com/acme/r``). Argo CD
fetches such a URL and deploys these very files; taking it for another
repository would leave them ungated.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core.globs import path_match
from ...parse.kustomization import KUSTOMIZATION_FILES

_SSH = re.compile(r"^(ssh://)?([^/:]*?)@[^@]+$")
_SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__"})


_SCP_USER = re.compile(r"^(?P<user>[^@/:]*)(?P<password>:[^@/]*)?@(?P<rest>.+)$")
_USER_INFO = re.compile(r"(?<=//)[^/@]*@")


def without_credentials(url: str) -> str:
    """A repository URL without what may be a secret (a CI token in a clone's remote):
    an http(s) URL's user and password, any other URL's password (``ssh://git:PASS@``,
    ``git:PASS@host:path``), and its query string (``?access_token=...``)."""
    url = url.strip()
    if "://" not in url:  # scp-style: user@host:path
        scp = _SCP_USER.match(url)
        if scp is not None:
            url = f"{scp['user']}@{scp['rest']}" if scp["user"] else scp["rest"]
        return url.split("?", 1)[0]
    try:
        parsed = urllib.parse.urlsplit(url)
    except ValueError:  # an unparsable URL: still never shown with its user info
        return _USER_INFO.sub("", url).split("?", 1)[0]
    netloc = parsed.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        # http(s) carries tokens as the user name too; ssh's user (git) is no secret.
        kept = "" if parsed.scheme in ("http", "https") else user.split(":", 1)[0]
        netloc = f"{kept}@{host}" if kept else host
    return urllib.parse.urlunsplit(parsed._replace(netloc=netloc, query=""))


def normalize_url(url: str) -> str:
    """Argo CD's ``NormalizeGitURL``: trimmed, lower case, scp-style ssh as
    ``user@host/path``, one ``.git`` suffix removed, as its URL parser prints it;
    ``""`` when it does not parse. Credentials of an http(s) URL are left out:
    Applications never carry them, CI clones often do.

    As argoproj/argo-cd ``util/git/git.go`` (``NormalizeGitURL``, ``IsSSHURL``,
    ``ensurePrefix``) writes it. Nothing more is made equal: a trailing ``/``, a
    port, ``www.``, ``http`` for ``https``, ssh for https, a fragment or ``//``
    make another URL to Argo CD, as to its ``SameURL``.
    """
    repo = without_credentials(url.strip().lower())
    if _SSH.match(repo) and not repo.startswith("ssh://"):
        # The first colon of git@host:path is the path's start, not a port.
        repo = "ssh://" + repo.replace(":", "/", 1)
    repo = repo.removesuffix(".git")
    try:
        parsed = urllib.parse.urlsplit(repo)
    except ValueError:
        return ""
    return urllib.parse.urlunsplit(parsed).removeprefix("ssh://")


def same_url(left: str, right: str) -> bool:
    """Argo CD's ``SameURL``: equal once normalised (a URL that does not parse as itself)."""
    normal_left = normalize_url(left) or left
    normal_right = normalize_url(right) or right
    return bool(normal_left) and bool(normal_right) and normal_left == normal_right


def loose_key(url: str) -> str:
    """A URL reduced to host and path: no scheme, user, port, ``www.``, fragment, query,
    ``.git``, doubled or trailing ``/``: what tells another spelling of one repository
    from another repository (``""`` when there is no host or path)."""
    repo = url.strip().lower()
    if _SSH.match(repo) and not repo.startswith("ssh://"):
        repo = "ssh://" + repo.replace(":", "/", 1)
    try:
        parsed = urllib.parse.urlsplit(repo)
        host = parsed.hostname or ""
    except ValueError:
        return ""
    path = re.sub("/+", "/", parsed.path).strip("/").removesuffix(".git").rstrip("/")
    return f"{host.removeprefix('www.')}/{path}" if host and path else ""


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _is_toplevel(root: Path) -> bool:
    top = _git(root, "rev-parse", "--show-toplevel")
    return top is not None and Path(top.strip()).resolve() == root.resolve()


def git_remotes(root: Path) -> list[str]:
    """The fetch URLs of the checkout's remotes, when ``root`` is the top of a work tree."""
    if not _is_toplevel(root):
        return []
    output = _git(root, "config", "--get-regexp", r"^remote\..*\.url$") or ""
    urls = (line.split(" ", 1)[1].strip() for line in output.splitlines() if " " in line)
    # Never shown with a token (the report header prints them).
    return sorted({without_credentials(url) for url in urls})


def head_revision(root: Path) -> str:
    """The commit checked out (Argo CD's ``ARGOCD_APP_REVISION``), or "" outside git."""
    output = _git(root, "rev-parse", "HEAD")
    return output.strip() if output else ""


def _walk(root: Path) -> list[str]:
    files: list[str] = []
    for current, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        relative = Path(current).relative_to(root).as_posix()
        files.extend(name if relative == "." else f"{relative}/{name}" for name in filenames)
    return sorted(files)


@functools.lru_cache(maxsize=16)
def repo_files(root: Path) -> tuple[str, ...]:
    """The files of the checkout, relative to ``root``: git's tracked and untracked
    (not ignored) files in a work tree, every file otherwise."""
    output = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if output is None:
        return tuple(_walk(root))
    listed = {f for f in output.split("\0") if f and (root / f).exists()}
    return tuple(sorted(listed))


@dataclass(frozen=True)
class ThisRepo:
    """Which repository URLs name this checkout, and how that was decided."""

    urls: tuple[str, ...]
    how: str

    def is_local(self, url: str) -> bool:
        """Whether ``url`` names this repository, in Argo CD's spelling or another."""
        key = loose_key(url)
        return any(same_url(url, ours) or (key and loose_key(ours) == key) for ours in self.urls)

    def describe(self) -> str:
        # The URLs given, or an Application's repoURL, may carry a token too.
        shown = ", ".join(without_credentials(u) for u in self.urls) if self.urls else "none"
        return f"{shown} ({self.how})"


def this_repo(
    root: Path,
    given: Sequence[str],
    candidates: Iterable[tuple[str, str]],
    generators: Iterable[tuple[str, str]] = (),
) -> ThisRepo:
    """Decide which URLs name this checkout.

    ``candidates`` are (repoURL, path) of every source the instance names; when
    neither the URLs given nor git remotes settle it, the repoURL shared by the
    most sources whose path exists here wins (ties: the first in sorted order).
    """
    candidates, generators = list(candidates), list(generators)
    if given:
        return ThisRepo(tuple(given), "--overlays-argocd-repo")
    remotes = ThisRepo(tuple(git_remotes(root)), "git remotes")
    if remotes.urls and any(remotes.is_local(url) for url, _ in [*candidates, *generators]):
        return remotes
    found = _by_existing_paths(root, candidates)
    if not found.urls and not remotes.urls:
        # No remote, and no Application's path here: the ApplicationSets' git generators
        # whose paths match here (only then: another repository's may match by chance).
        found = _by_existing_paths(root, generators)
    if remotes.urls and found.urls:
        # A fork, or a mirror: its remotes name no Application's repoURL. Taking them
        # would gate nothing and pass; the paths that exist here say more.
        why = "the git remotes name no Application's repoURL; the repoURL of those whose "
        return ThisRepo(found.urls, why + "paths exist here")
    return remotes if remotes.urls else found


def _exists_here(root: Path, path: str) -> bool:
    """Whether ``path`` (a source path, or a git generator's pattern) names a directory
    of this checkout; a pattern is matched against its files' directories with the
    generators' RE2 globs (linear, never walking a link out); the root itself only when
    it holds a kustomization or a chart (``path: .`` of another repository says nothing
    of this one)."""
    if os.path.isabs(path) or ".." in Path(path).parts:
        return False
    clean = path.strip().strip("/")
    if clean in ("", "."):
        names = (*KUSTOMIZATION_FILES, "Chart.yaml")
        return clean == "." and any((root / name).is_file() for name in names)
    if any(char in clean for char in "*?["):
        return any(path_match(clean, d) for d in _checkout_directories(root))
    return (root / clean).is_dir()  # whether it exists (a link out fails its render)


@functools.lru_cache(maxsize=16)
def _checkout_directories(root: Path) -> tuple[str, ...]:
    """The checkout's directories, once per session (each source path pattern asks)."""
    return tuple(directories(repo_files(root)))


def directories(files: Sequence[str]) -> list[str]:
    """Every directory holding a file, at any depth, sorted; never the root or a hidden one
    (what a git directories generator can match)."""
    found: set[str] = set()
    for file in files:
        parts = file.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            if parts[depth - 1].startswith("."):
                break
            found.add("/".join(parts[:depth]))
    return sorted(found)


def generator_candidates(appset: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(repoURL, path pattern) of every git generator of an ApplicationSet, nested in
    matrix and merge generators too: what says which repository its paths are in."""
    found: list[tuple[str, str]] = []
    pending = [appset.get("spec")]
    for _ in range(10_000):  # a bound: generators nest a few levels in real sets
        if not pending:
            break
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, Mapping):
            git = node.get("git")
            if isinstance(git, Mapping):
                url = str(git.get("repoURL") or "")
                for field in ("directories", "files"):
                    entries = git.get(field)
                    for entry in entries if isinstance(entries, list) else []:
                        if isinstance(entry, Mapping) and not entry.get("exclude"):
                            found.append((url, str(entry.get("path") or "")))
            for key in ("generators", "matrix", "merge"):
                pending.append(node.get(key))
    return found


def _by_existing_paths(root: Path, candidates: Iterable[tuple[str, str]]) -> ThisRepo:
    """The repoURL shared by the most sources (and git generators) whose path exists here."""
    counts: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    for url, path in candidates:
        if url and _exists_here(root, path):
            counts[normalize_url(url)] += 1
            spelled.setdefault(normalize_url(url), url)
    if not counts:
        return ThisRepo((), "no remote, and no Application's path exists here")
    best = max(sorted(counts), key=lambda u: counts[u])
    return ThisRepo((spelled[best],), "the repoURL of the Applications whose paths exist here")
