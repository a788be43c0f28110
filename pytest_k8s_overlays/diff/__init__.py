"""The rendered diff of a pull request: what a change deploys, unit by unit.

Pure (no pytest, no rendering): :mod:`.normalize` (identity, normalised
text, Secret masking), :mod:`.ignore` (ignore rules), :mod:`.engine` (units
matched across two sides), :mod:`.output` (terminal, Markdown, JSON) and
:mod:`.baseline` (findings new or existing, by fingerprint).
"""
