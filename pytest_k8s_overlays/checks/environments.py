"""Environment names: which environment a group deploys, and which ones an image tag names.

A group is one environment (``--overlays 'workloads/*/prod'``); its name is read
from the words of the group's path. An image tag built for one environment
(``character-api-dev-latest``) running in another is the leak the images check
reports. Only these words count, with their usual aliases; a group whose path
names none, or several, has no known environment and is not judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Environment words, each with the one name it stands for.
ENVIRONMENT_WORDS: dict[str, str] = {
    "dev": "dev",
    "develop": "dev",
    "development": "dev",
    "test": "test",
    "testing": "test",
    "qa": "qa",
    "uat": "uat",
    "int": "integration",
    "integration": "integration",
    "stage": "staging",
    "staging": "staging",
    "stg": "staging",
    "preprod": "preprod",
    "prod": "prod",
    "production": "prod",
    "prd": "prod",
    "sandbox": "sandbox",
}

#: Word separators: of paths, tags and Argo CD groups (``clusters/prod@in-cluster``).
_WORD_SPLIT = re.compile(r"[-_./:@]+")


def environments_named(text: str) -> set[str]:
    """The environments the words of ``text`` name (``prod-eu`` names prod)."""
    return {
        ENVIRONMENT_WORDS[word]
        for word in _WORD_SPLIT.split(text.lower())
        if word in ENVIRONMENT_WORDS
    }


def environment_of(group: str) -> str | None:
    """The one environment a group's path names, or None."""
    named = environments_named(group)
    return next(iter(named)) if len(named) == 1 else None


def other_environments(group: str, groups: Iterable[str]) -> set[str]:
    """The environments of the session's other groups (not this group's own)."""
    own = environment_of(group)
    others = {environment_of(g) for g in groups if g != group}
    return {env for env in others if env is not None and env != own}
