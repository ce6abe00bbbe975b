"""The per-file pipeline: read → clean → structure → metadata → chunk (→ word segmentation)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from indexer.errors import IngestError
from indexer.ingest import read_document
from indexer.parse.chunk import chunk_document, site_chunk
from indexer.parse.clean import clean
from indexer.parse.metadata import extract_metadata
from indexer.parse.structure import parse_sections
from indexer.records import Chunk, DocumentMeta
from indexer.settings import MAX_CLAUSES_PER_DOC, MAX_FILE_BYTES
from indexer.text.segment import segment_text

MIN_TEXT_CHARS = 20  # less usable text than this after cleaning: not a document


@dataclass
class Parsed:
    """One file turned into a document: its metadata (also as stored), cleaned text and clauses."""

    meta: DocumentMeta
    raw_meta: dict  # the metadata as extracted, before corrections from metadata.csv
    text: str
    chunks: list[Chunk]


def parse_file(path: Path, doc_id: str, max_bytes: int = MAX_FILE_BYTES,
               max_clauses: int = MAX_CLAUSES_PER_DOC) -> Parsed:
    """Read, clean, structure and chunk one file (IngestError when it is unusable or too long)."""
    raw = read_document(path, max_bytes=max_bytes)
    cleaned = clean(raw)
    if len(cleaned.text.strip()) < MIN_TEXT_CHARS:
        dropped = "; ".join(w for w in cleaned.warnings if getattr(w, "code", "").startswith("dropped_"))
        raise IngestError(path, "no usable text after cleaning" + (f" ({dropped})" if dropped else ""))
    sections = parse_sections(cleaned.text)
    meta = extract_metadata(doc_id, path.name, raw.sha256, cleaned.text, sections, raw_text=raw.text)
    meta.warnings = [str(w) for w in raw.warnings + cleaned.warnings + meta.warnings]
    chunks = chunk_document(doc_id, cleaned.text, sections)
    if not chunks:
        raise IngestError(path, "no clauses found")
    site = site_chunk(doc_id, len(chunks), cleaned.site)
    if site is not None:
        chunks.append(site)
    if len(chunks) > max_clauses:  # checked before the slow segmentation and embedding
        raise IngestError(path, f"too many clauses ({len(chunks)} > {max_clauses} limit); "
                                f"split the document into smaller files")
    for chunk in chunks:
        chunk.segmented = segment_text(chunk.text)
    meta.n_chunks = len(chunks)
    return Parsed(meta, asdict(meta), cleaned.text, chunks)
