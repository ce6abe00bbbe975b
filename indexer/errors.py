"""Every error a user can meet: one hierarchy, shown as one line "message — hint".

The CLI prints ``error: <message> — <hint>`` and exits with code 2; the page shows the same
line. ``code`` is a stable key per kind of error (for translations and tests).
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["PolicySearchError", "CorpusError", "IngestError", "IndexProblem", "IndexMissing",
           "IndexMismatch", "IndexCorrupt", "BuildLocked", "NothingToBuild", "QueryError",
           "ModelError", "UploadError", "SettingsError", "NotFound", "TopicsError", "ExportError"]


class PolicySearchError(Exception):
    """Base of all expected failures: ``message`` says what went wrong, ``hint`` how to fix it."""

    code = "error"

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = " ".join(str(message).split())
        self.hint = " ".join(str(hint).split())

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class SettingsError(PolicySearchError, ValueError):
    """A setting (flag, environment variable, policy-search.toml) has an unusable value."""

    code = "settings"


class CorpusError(PolicySearchError):
    """The corpus folder is missing or unreadable."""

    code = "corpus"


class IngestError(PolicySearchError):
    """A file that cannot be turned into a document; ``reason`` is one short line."""

    code = "ingest"

    def __init__(self, path: Path | str, reason: str, hint: str = ""):
        reason = " ".join(str(reason).split())
        if len(reason) > 240:
            reason = reason[:239] + "…"
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}", hint)


class IndexProblem(PolicySearchError):
    """Base of index errors (missing, built with another model or format, damaged)."""

    code = "index"


class IndexMissing(IndexProblem):
    code = "index_missing"


class IndexMismatch(IndexProblem):
    code = "index_mismatch"


class IndexCorrupt(IndexProblem):
    code = "index_corrupt"


class BuildLocked(PolicySearchError):
    """Another build holds the lock on this index."""

    code = "build_locked"


class NothingToBuild(PolicySearchError):
    """No usable document in the corpus."""

    code = "nothing_to_build"


class QueryError(PolicySearchError, ValueError):
    """A query that cannot be searched (empty, only punctuation, bad option …)."""

    code = "query"


class NotFound(PolicySearchError, LookupError):
    """A document, clause or topic id that the index does not know."""

    code = "not_found"


class TopicsError(PolicySearchError, ValueError):
    """A topics file or an ad-hoc topic that cannot be used; the message names the problem."""

    code = "topics"


class ExportError(PolicySearchError, ValueError):
    """An export that cannot be written (unknown format …)."""

    code = "export"


class ModelError(PolicySearchError):
    """The embedding model cannot be found, prepared or loaded."""

    code = "model"


class UploadError(PolicySearchError):
    """An uploaded file is refused (type, size, name, unreadable)."""

    code = "upload"


class CorrectionsError(PolicySearchError, ValueError):
    """A value in the corrections file (corpus/metadata.csv) that cannot be used; names line and column."""

    code = "corrections"
