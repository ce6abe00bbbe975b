"""Features over search: answers, topics, compare, export, uploads."""
