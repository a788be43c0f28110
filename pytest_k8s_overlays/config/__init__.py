"""The settings: one table of flags and ini keys, read into a frozen Settings."""
