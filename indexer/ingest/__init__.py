"""Files → raw documents: one reader per format, with encoding detection."""
from indexer.errors import IngestError
from indexer.ingest.readers import read_document
from indexer.settings import SUPPORTED_SUFFIXES

__all__ = ["IngestError", "SUPPORTED_SUFFIXES", "read_document"]
