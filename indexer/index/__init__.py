"""Stage: clauses → vectors → stored index (embedded store), builds."""
