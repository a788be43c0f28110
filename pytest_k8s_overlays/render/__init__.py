"""Running the real Kustomize engine on one unit: an overlay, a Component, an Application."""
