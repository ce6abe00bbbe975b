"""First pipeline stage: read one file into a `RawDocument` (text not yet cleaned).

Supported: plain text and markdown (any common encoding, Windows-1258 included), PDF
(text layer; OCR with tesseract if installed), DOCX and HTML. Every failure is reported as
an `IngestError` with a one-line human reason; nothing from the file is ever executed.

Text conventions of the output (``RawDocument.text``):

* newlines are ``\\n``; NUL characters are removed;
* PDF pages each end with ``\\n`` and are separated by a form feed ``\\f``
  (``"page 1\\n\\fpage 2\\n"``) so that `clean` can strip page numbers and running headers;
* DOCX and HTML list items get a ``"- "`` prefix; table rows become lines, with the cells
  of a row separated by tabs (a row whose cells hold several paragraphs is written cell
  after cell, one line per paragraph).
"""
from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from indexer.errors import IngestError
from indexer.ingest.common import Reject, fmt_size
from indexer.ingest.docx import _read_docx
from indexer.ingest.encoding import _decode_text
from indexer.ingest.html import _read_html
from indexer.ingest.pdf import _read_pdf, _tesseract_vie  # noqa: F401 (re-exported for tests)
from indexer.records import RawDocument
from indexer.settings import MAX_FILE_BYTES, SUPPORTED_SUFFIXES

__all__ = ["SUPPORTED_SUFFIXES", "IngestError", "read_document"]


_FORMATS = {".txt": "txt", ".md": "md", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}


# =========================================================================== entry point


def read_document(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> RawDocument:
    """Read ``path`` into a `RawDocument`, dispatching on its suffix.

    Raises `IngestError` for unsupported, empty, too large, corrupt, encrypted or
    scanned-without-OCR files.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise IngestError(path, f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)")
    fmt = _FORMATS[suffix]
    try:
        data = _read_bytes(path, max_bytes)
        if not data:
            raise Reject("empty file")
        warnings: list[str] = []
        encoding: str | None = None
        if fmt in ("txt", "md"):
            text, encoding = _decode_text(data, warnings)
        elif fmt == "html":
            text, encoding = _read_html(data, warnings)
        elif fmt == "pdf":
            text = _read_pdf(data, warnings)
        else:
            text = _read_docx(data, warnings)
        text = _finish(text)
        if not text.strip():
            raise Reject("empty file" if fmt in ("txt", "md") else f"empty file (no text in the {fmt.upper()})")
    except Reject as exc:
        raise IngestError(path, exc.reason) from exc.__cause__
    return RawDocument(
        path=path,
        text=text,
        format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        warnings=warnings,
    )



def _too_large(size: int, max_bytes: int) -> Reject:
    return Reject(f"file too large ({fmt_size(size)} > {fmt_size(max_bytes, limit=True)} limit)")


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise Reject("not a regular file")
        if st.st_size > max_bytes:
            raise _too_large(st.st_size, max_bytes)
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise Reject("file not found") from None
    except PermissionError:
        raise Reject("permission denied") from None
    except IsADirectoryError:
        raise Reject("not a regular file") from None
    except OSError as exc:
        raise Reject(f"cannot read file ({exc.strerror or type(exc).__name__})") from None
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    return data


def _finish(text: str) -> str:
    """Uniform newlines, no NULs, no stray BOM."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x0b", "\n").replace("\u2028", "\n").replace("\u2029", "\n").replace("\x85", "\n")
    text = text.replace("\x00", "")
    return text.removeprefix("\ufeff")
