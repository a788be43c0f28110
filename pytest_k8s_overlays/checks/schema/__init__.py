"""The schema check, one module per part: bundled versions, built-in kinds, CRDs,
error wording and the API-server rules the schemas miss (see :mod:`.check`)."""
