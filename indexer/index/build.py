"""Build the index of a corpus folder: files → documents → clauses → vectors → index.

Incremental (unchanged files are neither read nor embedded again), atomic (a new
version replaces the live one only when complete) and exclusive (one build at a time).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np
from filelock import FileLock, Timeout

from indexer.errors import BuildLocked, IngestError, NothingToBuild
from indexer.index.corpus import (diff_hashes, display_name, doc_id_for, file_sha256, hash_files,  # noqa: F401
                                  list_corpus)
from indexer.index.store import (FORMAT_VERSION, IndexProblem, IndexVersion, Manifest, StoredChunk,
                                 current_version_path, load_index, write_version)
from indexer.parse.cite import cite_document
from indexer.parse.metadata import apply_corrections, read_corrections
from indexer.parse.pipeline import Parsed, parse_file  # noqa: F401 (re-exported)
from indexer.records import BuildReport, Chunk, DocumentMeta, Skipped
from indexer.settings import CORRECTIONS_FILE
from indexer.text.segment import bm25_tokens, segment_text

PIPELINE_VERSION = "3"  # bump when cleaning/structure/chunking change, to re-read every file
EMBED_TEMPLATE = "{doc_type} – {issuer} | {section}\n{text}"

Progress = Callable[[str, int, int], None]  # (stage, done, total)


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
        raise BuildLocked(f"Another build is running on {index_dir}", "wait for it to finish") from None
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
    hashes = hash_files(files, skipped, progress=progress)

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
        raise NothingToBuild(f"No usable document in {corpus_dir} ({reasons})",
                             "add .txt, .md, .pdf, .docx or .html files with text")

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
    return (manifest.pipeline_version == PIPELINE_VERSION
            and manifest.corrections_sha256 == corrections_sha and manifest.index_type == index_type
            and not diff_hashes(hashes, manifest.files, manifest.skipped))


def _vector_cache(previous: IndexVersion | None) -> dict[str, np.ndarray]:
    if previous is None:
        return {}
    return {h: previous.vectors[i] for i, h in enumerate(previous.embed_hashes)}


def _parse_all(files: list[Path], hashes: dict[str, str], previous: IndexVersion | None,
               prev_by_file: dict[str, dict], skipped: list[Skipped],
               progress: Progress) -> tuple[list[Parsed], BuildReport]:
    """Parse new and changed files; carry unchanged ones over from the previous version."""
    report = BuildReport("", False, 0, 0, skipped=skipped)
    parsed: list[Parsed] = []
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


def _carry_over(previous: IndexVersion, raw_meta: dict) -> Parsed:
    doc_id = raw_meta["doc_id"]
    chunks = [c for c in previous.chunks if c.doc_id == doc_id]
    meta = DocumentMeta(**{**raw_meta, "warnings": list(raw_meta["warnings"]),
                           "inferred": list(raw_meta["inferred"])})
    return Parsed(meta, dict(raw_meta), previous.texts[doc_id], chunks)
