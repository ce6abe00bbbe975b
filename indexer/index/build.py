"""Build the index of a corpus folder: files → documents → clauses → vectors → index.

Incremental (unchanged files are neither read nor embedded again), atomic (a new
version replaces the live one only when complete) and exclusive (one build at a time).
"""
from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from filelock import FileLock, Timeout

from indexer.errors import BuildLocked, NothingToBuild
from indexer.parse.chunk import chunk_document
from indexer.parse.cite import cite_document
from indexer.parse.clean import clean
from indexer.ingest.readers import SUPPORTED_SUFFIXES, IngestError, read_document
from indexer.parse.metadata import apply_corrections, extract_metadata, read_corrections
from indexer.text.normalize import fold
from indexer.records import BuildReport, Chunk, DocumentMeta, Skipped
from indexer.text.segment import bm25_tokens, segment_text
from indexer.index.store import (FORMAT_VERSION, IndexProblem, IndexVersion, Manifest, StoredChunk,
                    current_version_path, load_index, write_version)
from indexer.parse.structure import parse_sections
from indexer.settings import CORRECTIONS_FILE, MAX_FILE_BYTES

PIPELINE_VERSION = "3"  # bump when cleaning/structure/chunking change, to re-read every file
EMBED_TEMPLATE = "{doc_type} – {issuer} | {section}\n{text}"

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class _Parsed:
    meta: DocumentMeta
    raw_meta: dict
    text: str
    chunks: list[Chunk]


def doc_id_for(file_name: str, taken: set[str]) -> str:
    """A stable, readable id from the file name: 'quang-ngai_ke-hoach-151'."""
    stem = Path(file_name).stem
    slug = re.sub(r"[^a-z0-9]+", "-", fold(unicodedata.normalize("NFC", stem))).strip("-")[:80]
    slug = slug or "doc"
    if slug in taken:
        slug = f"{slug}-{Path(file_name).suffix.lstrip('.').lower()}"
    n, base = 2, slug
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def display_name(name: str) -> str:
    """A file name safe to store and print: undecodable bytes as U+FFFD, control and
    bidirectional-override characters escaped (\\x07, \\u202e)."""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(ch if unicodedata.category(ch) not in ("Cc", "Cf") else
                   (f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}") for ch in name)


def list_corpus(corpus_dir: Path) -> tuple[list[Path], list[Skipped]]:
    """Candidate files of a corpus folder (sorted), and the files refused outright."""
    files, skipped = [], []
    for path in sorted(Path(corpus_dir).iterdir()):
        if path.name.startswith(".") or path.name == CORRECTIONS_FILE or path.is_dir():
            continue
        shown = display_name(path.name)
        if shown != path.name:  # could not be stored, or would garble one-line reports
            try:
                path.name.encode("utf-8")
                reason = "file name contains control or invisible formatting characters"
            except UnicodeEncodeError:
                reason = "file name is not valid UTF-8"
            skipped.append(Skipped(shown, f"{reason}; rename the file"))
        elif path.is_symlink():
            skipped.append(Skipped(path.name, "symbolic link (not followed)"))
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(Skipped(path.name, f"unsupported file type {path.suffix or '(none)'}"))
        else:
            files.append(path)
    return files, skipped


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_file(path: Path, doc_id: str, max_bytes: int = MAX_FILE_BYTES) -> _Parsed:
    """Read, clean, structure and chunk one file (IngestError when it is unusable)."""
    raw = read_document(path, max_bytes=max_bytes)
    cleaned = clean(raw)
    if len(cleaned.text.strip()) < 20:
        dropped = "; ".join(w for w in cleaned.warnings if getattr(w, "code", "").startswith("dropped_"))
        raise IngestError(path, "no usable text after cleaning" + (f" ({dropped})" if dropped else ""))
    sections = parse_sections(cleaned.text)
    meta = extract_metadata(doc_id, path.name, raw.sha256, cleaned.text, sections)
    meta.warnings = raw.warnings + cleaned.warnings + meta.warnings
    chunks = chunk_document(doc_id, cleaned.text, sections)
    if not chunks:
        raise IngestError(path, "no clauses found")
    for chunk in chunks:
        chunk.segmented = segment_text(chunk.text)
    meta.n_chunks = len(chunks)
    return _Parsed(meta, asdict(meta), cleaned.text, chunks)


def embed_text(meta: DocumentMeta, chunk: Chunk) -> str:
    """What the model sees for a clause: its document, breadcrumb and text."""
    text = EMBED_TEMPLATE.format(doc_type=meta.doc_type or "Văn bản",
                                 issuer=meta.issuer or meta.province or meta.file,
                                 section=chunk.section, text=chunk.text)
    return f"{document_card(meta)}\n{text}" if chunk.ordinal == 0 else text


def document_card(meta: DocumentMeta) -> str:
    """The document's identity in words, attached to its first clause (the header block),
    so that questions about number, date, issuer or signer find it."""
    signer = f" Người ký: {meta.signer}." if meta.signer else ""
    return f"{cite_document(meta)}. {meta.title}.{signer}"


def index_tokens(meta: DocumentMeta, chunk: Chunk) -> list[str]:
    """BM25 tokens of a clause: its words plus where it comes from."""
    place = " ".join(x for x in (meta.locality, meta.province) if x)
    extra = place + (" " + document_card(meta) if chunk.ordinal == 0 else "")
    return bm25_tokens(chunk.segmented) + (bm25_tokens(segment_text(extra)) if extra.strip() else [])


def _hash(text: str, model_id: str) -> str:
    return hashlib.sha256(f"{model_id}\n{text}".encode("utf-8")).hexdigest()[:32]


def build_index(corpus_dir: Path, index_dir: Path, embedder, *, index_type: str = "flat",
                progress: Progress | None = None, force: bool = False) -> BuildReport:
    """Build (or update) the index of ``corpus_dir`` in ``index_dir``."""
    started = time.time()
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / "build.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise BuildLocked(f"Another build is running on {index_dir}; wait for it to finish.") from None
    try:
        report = _build_locked(Path(corpus_dir), index_dir, embedder, index_type, progress, force)
    finally:
        lock.release()
    report.seconds = time.time() - started
    return report


def _previous(index_dir: Path, model_id: str) -> IndexVersion | None:
    try:
        current_version_path(index_dir)
    except IndexProblem:
        return None
    try:
        version = load_index(index_dir)
    except IndexProblem:
        return None  # unreadable or other format: rebuild everything
    if version.manifest.model_id != model_id:
        return None
    return version


def _build_locked(corpus_dir: Path, index_dir: Path, embedder, index_type: str,
                  progress: Progress | None, force: bool) -> BuildReport:
    progress = progress or (lambda stage, done, total: None)
    files, skipped = list_corpus(corpus_dir)
    corrections_path = corpus_dir / CORRECTIONS_FILE
    corrections_sha = file_sha256(corrections_path) if corrections_path.exists() else None
    hashes: dict[str, str] = {}
    for i, path in enumerate(files):
        progress("hash", i, len(files))
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                skipped.append(Skipped(path.name, f"file too large ({path.stat().st_size / 2**20:.1f} MB"
                                                  f" > {MAX_FILE_BYTES // 2**20} MB limit)"))
                continue
            hashes[path.name] = file_sha256(path)
        except OSError as exc:
            skipped.append(Skipped(path.name, f"cannot read file: {exc.strerror or exc}"))
    progress("hash", len(files), len(files))

    previous = None if force else _previous(index_dir, embedder.model_id)
    if previous and _unchanged(previous.manifest, hashes, corrections_sha, index_type):
        known = {s.file for s in skipped}
        skipped += [Skipped(**s) for s in previous.manifest.skipped if s["file"] not in known]
        return BuildReport(previous.name, True, previous.manifest.n_docs, previous.manifest.n_chunks,
                           reused_files=sorted(previous.manifest.files),
                           skipped=skipped)

    prev_by_file = {}
    if previous and previous.manifest.pipeline_version == PIPELINE_VERSION:
        prev_by_file = {m["file"]: m for m in previous.raw_documents.values()}
    parsed, report = _parse_all(files, hashes, previous, prev_by_file, skipped, progress)
    if not parsed:
        reasons = "; ".join(f"{s.file}: {s.reason}" for s in skipped) or "the folder has no document"
        raise NothingToBuild(f"No usable document in {corpus_dir} ({reasons})")

    corrections = read_corrections(corrections_path)
    documents = [apply_corrections(DocumentMeta(**{**p.raw_meta, "warnings": list(p.raw_meta["warnings"]),
                                                   "inferred": list(p.raw_meta["inferred"])}),
                                   corrections) for p in parsed]
    by_id = {d.doc_id: d for d in documents}
    stored, texts_to_embed, rows_to_embed = [], [], []
    cache = _vector_cache(previous)
    vectors = np.zeros((sum(len(p.chunks) for p in parsed), embedder.dim), dtype=np.float32)
    for p in parsed:
        for chunk in p.chunks:
            meta = by_id[chunk.doc_id]
            text = embed_text(meta, chunk)
            digest = _hash(text, embedder.model_id)
            row = len(stored)
            stored.append(StoredChunk(chunk, index_tokens(meta, chunk), digest))
            if digest in cache:
                vectors[row] = cache[digest]
            else:
                texts_to_embed.append(text)
                rows_to_embed.append(row)
    if texts_to_embed:
        t0 = time.time()
        progress("embed", 0, len(texts_to_embed))
        new = embedder.encode_passages(texts_to_embed, show_progress=True)
        vectors[rows_to_embed] = new
        report.embed_seconds = time.time() - t0
        report.embedded_chunks = len(texts_to_embed)
        report.embedded_tokens = embedder.count_tokens(texts_to_embed)
        progress("embed", len(texts_to_embed), len(texts_to_embed))

    manifest = Manifest(
        format_version=FORMAT_VERSION, model_id=embedder.model_id, model_name=embedder.spec.name,
        dim=embedder.dim, query_prompt=embedder.spec.query_prompt,
        passage_prompt=embedder.spec.passage_prompt, index_type=index_type,
        embed_template=EMBED_TEMPLATE,
        files={p.meta.file: p.meta.sha256 for p in parsed}, pipeline_version=PIPELINE_VERSION,
        corrections_sha256=corrections_sha, n_docs=len(documents), n_chunks=len(stored),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        skipped=[asdict(s) for s in skipped],
    )
    progress("write", 0, 1)
    path = write_version(index_dir, manifest, documents, {p.meta.doc_id: p.raw_meta for p in parsed},
                         {p.meta.doc_id: p.text for p in parsed}, stored, vectors)
    progress("write", 1, 1)
    report.version, report.n_docs, report.n_chunks = path.name, len(documents), len(stored)
    if previous:
        report.removed_files = sorted(set(previous.manifest.files) - set(hashes))
    return report


def _unchanged(manifest: Manifest, hashes: dict[str, str], corrections_sha: str | None,
               index_type: str) -> bool:
    """Whether the corpus is exactly what the live version was built from."""
    indexed = manifest.files
    known_bad = {s["file"]: s.get("sha256") for s in manifest.skipped if s.get("sha256")}
    return (manifest.pipeline_version == PIPELINE_VERSION
            and manifest.corrections_sha256 == corrections_sha and manifest.index_type == index_type
            and all(hashes.get(f) == h for f, h in indexed.items())
            and all(indexed.get(f) == h or known_bad.get(f) == h for f, h in hashes.items()))


def _vector_cache(previous: IndexVersion | None) -> dict[str, np.ndarray]:
    if previous is None:
        return {}
    return {h: previous.vectors[i] for i, h in enumerate(previous.embed_hashes)}


def _parse_all(files: list[Path], hashes: dict[str, str], previous: IndexVersion | None,
               prev_by_file: dict[str, dict], skipped: list[Skipped],
               progress: Progress) -> tuple[list[_Parsed], BuildReport]:
    """Parse new and changed files; carry unchanged ones over from the previous version."""
    report = BuildReport("", False, 0, 0, skipped=skipped)
    parsed: list[_Parsed] = []
    taken: set[str] = set()
    todo = [p for p in files if p.name in hashes]
    for i, path in enumerate(todo):
        progress("read", i, len(todo))
        old = prev_by_file.get(path.name)
        doc_id = old["doc_id"] if old and old["doc_id"] not in taken else doc_id_for(path.name, taken)
        taken.add(doc_id)
        if old and old["sha256"] == hashes[path.name] and previous is not None:
            parsed.append(_carry_over(previous, old))
            report.reused_files.append(path.name)
            continue
        try:
            parsed.append(parse_file(path, doc_id))
            report.read_files.append(path.name)
        except IngestError as exc:
            skipped.append(Skipped(path.name, exc.reason, hashes[path.name]))
            if old and previous is not None:  # keep what was indexed before the file went bad
                kept = _carry_over(previous, old)
                kept.meta.warnings.append(f"kept the previously indexed version: {exc.reason}")
                kept.raw_meta["warnings"] = kept.meta.warnings
                parsed.append(kept)
        except Exception as exc:  # a parser bug must not stop the whole build
            skipped.append(Skipped(path.name, f"could not be processed ({type(exc).__name__}: {exc})",
                                   hashes[path.name]))
    progress("read", len(todo), len(todo))
    return parsed, report


def _carry_over(previous: IndexVersion, raw_meta: dict) -> _Parsed:
    doc_id = raw_meta["doc_id"]
    chunks = [c for c in previous.chunks if c.doc_id == doc_id]
    meta = DocumentMeta(**{**raw_meta, "warnings": list(raw_meta["warnings"]),
                           "inferred": list(raw_meta["inferred"])})
    return _Parsed(meta, dict(raw_meta), previous.texts[doc_id], chunks)
