"""The gate's session state: every deployable rendered once, every check run once."""
