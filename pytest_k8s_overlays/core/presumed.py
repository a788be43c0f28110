"""What a group deploys that the gate does not see: presumed present, never a finding.

Two things deploy objects the render of a group does not hold, though the
repository does deploy them:

- an Argo CD Application the gate does not render (a Helm chart of another
  repository, a plugin source): what it installs into its destination
  namespace (a tracing collector, a mesh gateway) is there at deploy time;
- a deployable that failed to render: its objects are unknown, and its own
  render item fails for that.

A reference to a Service that neither the render nor anything else accounts
for is a finding; one into a namespace such a source deploys into is not.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Presumed:
    """Objects presumed present in ``namespace`` (None: any namespace) of ``group``."""

    group: str
    namespace: str | None
    #: Why, as the summary says it: ``users/prod did not render``.
    why: str


__all__ = ["Presumed"]
