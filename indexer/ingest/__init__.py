"""Stage: files → RawDocument (one reader per format, encoding detection)."""
