"""Consumers of directory events (none yet besides the plug-in hook; later: department groups
kept in step with the directory, search indexing)."""
