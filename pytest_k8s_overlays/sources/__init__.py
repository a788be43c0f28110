"""What gets deployed: the deployables of Kustomize overlays and of an Argo CD instance."""
