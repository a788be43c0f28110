"""Values every layer shares: resources, findings, deployables, fields, paths, text."""
