"""Stage: RawDocument → clean text → sections → metadata → clauses."""
