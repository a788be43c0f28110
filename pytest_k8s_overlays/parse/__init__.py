"""Reading YAML into values: bounded loading, the render stream, patches, kustomizations, CRDs."""
