"""The only layer that knows pytest: hooks, options, fixtures, items and the terminal."""
