"""A render failure's text, innermost cause first: what Kustomize says, reshaped to be read.

Kustomize wraps the error that stopped it in the name of every step that led
there (``accumulating resources: accumulation err='accumulating resources from
'x.yaml': evalsymlink failure on '/abs/x.yaml' : lstat /abs/x.yaml: no such file
or directory': must build at directory: ...``): the cause sits at the end of a
line hundreds of characters long, out of sight in a CI log. Here the first
line says the cause, with paths relative to the repository, and the line
after it the whole chain, so nothing Kustomize said is lost.
"""

from __future__ import annotations

import re
from pathlib import Path

#: How the gate says that Kustomize failed (the store prefixes Kustomize's words with it).
BUILD_FAILED = "kustomize build failed: "

#: The steps Kustomize names on the way to an error, each up to its ``: ``.
_WRAPPERS = re.compile(
    r"accumulating resources: "
    r"|accumulating components: "
    r"|accumulation err='accumulating resources from '[^']*': "
    r"|accumulating resources from '[^']*': "
    r"|'[^']*' must resolve to a file': "
    r"|recursed accumulation of path '[^']*': "
    r"|couldn't make target for path '[^']*': "
    r"|must build at directory: "
    r"|not a valid directory: "
    r"|evalsymlink failure on '[^']*' : "
    r"|trouble configuring builtin \w+ with config: (?:`[^`]*`|<[^>]*>): "
    r"|failed to get the patch file from path\([^)]*\): "
)
#: A Component's error, which Kustomize quotes (Go's %q): ``accumulateDirectory: "..."``.
_QUOTED = re.compile(r'(?:accumulateDirectory: |loader\.New )"(?P<inner>(?:[^"\\]|\\.)*)"\Z')
#: Kustomize tried a resource as a file, then as a directory: the same error twice.
_DIRECTORY_RETRY = "': must build at directory: "
#: Kustomize tried a resource as a file or URL, then as a directory or git repository:
#: the second attempt's error counts.
_SECOND_ATTEMPT = re.compile(
    r"': (?=recursed accumulation of path '|failed to run '|couldn't make target for path ')"
)
#: git's exit status, which Kustomize prints on a line of its own after git's message.
_EXIT_STATUS = re.compile(r"\n: exit status \d+(?=\n|$)")
#: A repository Kustomize cloned (a remote base), as Kustomize quotes it.
_REMOTE = re.compile(r"accumulating resources from '(?P<url>[^'\s]*//[^'\s]*)'")
#: Where Kustomize clones a remote base (Go's os.TempDir()/kustomize-NNN).
_CLONE = re.compile(r"(?<![\w.-])(?:/[\w.-]+)*/kustomize-\d+(?=[/'\s:]|$)")


def _remote_repository(message: str) -> str:
    """The repository of the one remote base the message names (what its clone
    directory stands for), or a placeholder when it names none or several."""
    urls = {match.group("url").split("?", 1)[0] for match in _REMOTE.finditer(message)}
    if len(urls) != 1:
        return "<remote base>"
    url = urls.pop()
    scheme = url.find("://")
    split = url.find("//", scheme + 3 if scheme >= 0 else 0)
    return url[:split] if split >= 0 else url


def relative_paths(message: str, root: Path) -> str:
    """``message`` with paths under ``root`` relative to it and a remote base's clone
    directory named by its repository."""
    for base in dict.fromkeys((str(root), str(root.resolve()))):
        # A path starts there, not inside a URL (file:///repo/...).
        message = re.sub(rf"(?<![\w:/.-]){re.escape(base.rstrip('/'))}/", "", message)
    if _CLONE.search(message):
        message = _CLONE.sub(_remote_repository(message), message)
    return message


def innermost(error: str) -> str:
    """The innermost cause of one Kustomize error: the steps that wrap it taken off."""
    cause = error
    while True:
        wrapper = _WRAPPERS.match(cause)
        if wrapper is not None:
            cause = cause[wrapper.end() :]
            continue
        quoted = _QUOTED.match(cause)
        if quoted is not None:
            cause = re.sub(r"\\(.)", r"\1", quoted.group("inner"))
            continue
        # The error of the file attempt, then the directory attempt's (the same again).
        if _DIRECTORY_RETRY in cause:
            cause = cause.split(_DIRECTORY_RETRY, 1)[0]
            continue
        retry = _SECOND_ATTEMPT.search(cause)
        if retry is not None:
            cause = cause[retry.end() :]
            continue
        return cause


def _first_error(message: str) -> tuple[str, str, str]:
    """(the first line, the newline, the rest), a config Kustomize quotes between
    backticks (over several lines) kept whole in the first."""
    lines = message.split("\n")
    end = 1
    while end < len(lines) and "\n".join(lines[:end]).count("`") % 2:
        end += 1
    rest = "\n".join(lines[end:])
    return "\n".join(lines[:end]), "\n" if end < len(lines) else "", rest


def reshape(message: str, root: Path) -> str:
    """A render failure's message (``name: kustomize build failed: ...``) as the gate
    prints it: the innermost cause on the first line, the whole chain on the next,
    then what followed (Kustomize's warnings); other messages with relative paths."""
    message = _EXIT_STATUS.sub("", relative_paths(message, root))
    first, newline, rest = _first_error(message)
    at = first.find(BUILD_FAILED)
    if at < 0:
        return message
    subject, chain = first[:at], first[at + len(BUILD_FAILED) :]
    # Kustomize prints a warning once per kustomization that earns it: the same line
    # twice says nothing more.
    rest = "\n".join(dict.fromkeys(rest.split("\n")))
    cause = innermost(chain)
    if cause == chain:
        return f"{first}{newline}{rest}"
    return f"{subject}{cause}\n  {BUILD_FAILED}{chain}{newline}{rest}"
