"""Argo CD mode: what an Argo CD instance would deploy, discovered offline.

Imported only when ``--overlays-argocd`` is set. Pure Python, no pytest:

- :mod:`.manifests`: the Argo CD manifests of an instance (Applications,
  ApplicationSets, AppProjects, ``argocd-cm``);
- :mod:`.templates` and :mod:`.gotemplate`: ApplicationSet templates, in
  fasttemplate (``{{name}}``) and Go template (``goTemplate: true``) syntax;
- :mod:`.generators`: the generators that can be evaluated offline;
- :mod:`.appset`: an ApplicationSet expanded into Applications;
- :mod:`.repo`: repository URLs, and which of them name this checkout;
- :mod:`.sources`: how Argo CD renders one Application's sources;
- :mod:`.edit`: ``kustomize edit``, applied to a kustomization in Python;
- :mod:`.directory`: plain-directory sources, read as Argo CD reads them;
- :mod:`.projects`: AppProject rules;
- :mod:`.discovery`: an instance's Applications as deployables;
- :mod:`.render`: rendering one Application (a private copy, the edits, Kustomize).
"""
