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
from indexer.index.corpus import (assign_doc_ids, diff_hashes, display_name, doc_id_for,  # noqa: F401
                                  file_sha256, hash_files, list_corpus)
from indexer.index.damage import (check_index_folder, disk_full_error, is_disk_full, remove_temp_folders,
                                  repair_layout)
from indexer.index import sentvec
from indexer.index.store import (FORMAT_VERSION, IndexProblem, IndexVersion, Manifest, StoredChunk,
                                 current_version_path, load_index, write_version)
from indexer.parse.cite import cite_document
from indexer.parse.metadata import apply_corrections, read_corrections
from indexer.parse.pipeline import Parsed, parse_file  # noqa: F401 (re-exported)
from indexer.records import BuildReport, Chunk, DocumentMeta, Skipped
from indexer.settings import CORRECTIONS_FILE, MAX_FILE_BYTES  # noqa: F401 (re-exported)
from indexer.text.segment import bm25_tokens, segment_text

PIPELINE_VERSION = "9"  # 9: a bullet after a wrapped bullet stays a bullet; 8: lines wrapped at a hyphen joined, table rows spanning columns kept whole; 7: site information block clause; 6: header block clause; 5: parse changes after 4 (V/v lines, annex titles); 4: site material, tables, legal structure and citations; bump when cleaning/structure/chunking change, to re-read every file
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
                progress: Progress | None = None, force: bool = False, store=None) -> BuildReport:
    """Build (or update) the index of ``corpus_dir`` in ``index_dir`` (written through
    ``store``: the embedded one by default, or a QdrantStore)."""
    from indexer.index.stores import EmbeddedStore

    started = time.time()
    index_dir = Path(index_dir)
    try:
        lock = _lock_index_folder(index_dir)
    except OSError as exc:
        check_index_folder(index_dir)  # the index folder is a file: IndexCorrupt with the fix
        if is_disk_full(exc, index_dir.parent):
            raise disk_full_error(index_dir) from exc
        raise
    try:
        repaired = repair_layout(index_dir)  # CURRENT a folder or binary, versions a file
        remove_temp_folders(index_dir)  # left by a build that failed or was killed
        report = _build_locked(Path(corpus_dir), store or EmbeddedStore(index_dir), embedder, index_type,
                               progress, force)
    except OSError as exc:
        if is_disk_full(exc, index_dir):
            raise disk_full_error(index_dir) from exc
        raise
    finally:
        lock.release()
    report.repaired = repaired
    report.seconds = time.time() - started
    return report


def _lock_index_folder(index_dir: Path) -> FileLock:
    """Create the index folder if needed and take its build lock (BuildLocked when taken)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / "build.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise BuildLocked(f"Another build is running on {index_dir}", "wait for it to finish") from None
    return lock


def _build_locked(corpus_dir: Path, store, embedder, index_type: str,
                  progress: Progress | None, force: bool) -> BuildReport:
    progress = progress or (lambda stage, done, total: None)
    files, skipped = list_corpus(corpus_dir)
    corrections_path = corpus_dir / CORRECTIONS_FILE
    corrections_sha = file_sha256(corrections_path) if corrections_path.exists() else None
    hashes = hash_files(files, skipped, progress=progress)

    previous = None if force else store.previous(embedder.model_id)
    if previous and store.holds(previous.manifest) and \
            _unchanged(previous.manifest, hashes, corrections_sha, index_type):
        known = {s.file for s in skipped}
        skipped += [Skipped(**s) for s in previous.manifest.skipped if s["file"] not in known]
        _store_sentences(store, previous.chunks, embedder, progress, force)
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
        vectors[rows_to_embed] = _embed_with_progress(embedder, texts_to_embed, progress)
        report.embed_seconds = time.time() - t0
        report.embedded_chunks = len(texts_to_embed)
        report.embedded_tokens = embedder.count_tokens(texts_to_embed)

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
    name = store.write(manifest, documents, {p.meta.doc_id: p.raw_meta for p in parsed},
                       {p.meta.doc_id: p.text for p in parsed}, stored, vectors)
    progress("write", 1, 1)
    _store_sentences(store, [s.chunk for s in stored], embedder, progress, force)
    report.version, report.n_docs, report.n_chunks = name, len(documents), len(stored)
    if previous:
        report.removed_files = sorted(set(previous.manifest.files) - set(hashes))
    return report


def _store_sentences(store, chunks, embedder, progress: Progress, force: bool = False) -> None:
    """Sentence vectors for answers (index/sentvec.py), beside the versions of an embedded index."""
    if getattr(store, "kind", "") == "embedded" and isinstance(chunks, list):
        sentvec.update(store.index_dir, (c.text for c in chunks), embedder, progress, force=force)


EMBED_STEP = 256  # clauses embedded between two progress reports


def _embed_with_progress(embedder, texts: list[str], progress: Progress) -> np.ndarray:
    """Vectors of ``texts``, reporting ``progress("embed", done, total)`` every EMBED_STEP clauses."""
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    progress("embed", 0, len(texts))
    for start in range(0, len(texts), EMBED_STEP):
        end = min(start + EMBED_STEP, len(texts))
        out[start:end] = embedder.encode_passages(texts[start:end])
        progress("embed", end, len(texts))
    return out


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
    todo = [p for p in files if p.name in hashes]
    previous_ids = {m["file"]: m["doc_id"] for m in previous.raw_documents.values()} if previous else {}
    ids = assign_doc_ids([p.name for p in todo], previous_ids)  # stable and unique
    for i, path in enumerate(todo):
        progress("read", i, len(todo))
        old = prev_by_file.get(path.name)
        if old and old["sha256"] == hashes[path.name] and previous is not None:
            parsed.append(_carry_over(previous, old))
            report.reused_files.append(path.name)
            continue
        try:
            parsed.append(parse_file(path, ids[path.name]))
            report.read_files.append(path.name)
            continue
        except IngestError as exc:
            reason = exc.reason
        except Exception as exc:  # a parser bug must not stop the whole build
            reason = f"could not be processed ({type(exc).__name__}: {exc})"
        skipped.append(Skipped(path.name, reason, hashes[path.name]))
        if old and previous is not None:  # keep what was indexed before the file went bad
            parsed.append(_keep_previous(previous, old, reason))
    progress("read", len(todo), len(todo))
    return parsed, report


KEPT = "kept the previously indexed version: "


def _keep_previous(previous: IndexVersion, raw_meta: dict, reason: str) -> Parsed:
    """The indexed version of a file that became unusable (too large, unreadable …), with a warning."""
    kept = _carry_over(previous, raw_meta)
    kept.meta.warnings = [w for w in kept.meta.warnings if not str(w).startswith(KEPT)] + [KEPT + reason]
    kept.raw_meta["warnings"] = list(kept.meta.warnings)
    return kept


def _carry_over(previous: IndexVersion, raw_meta: dict) -> Parsed:
    doc_id = raw_meta["doc_id"]
    chunks = [c for c in previous.chunks if c.doc_id == doc_id]
    meta = DocumentMeta(**{**raw_meta, "warnings": list(raw_meta["warnings"]),
                           "inferred": list(raw_meta["inferred"])})
    return Parsed(meta, dict(raw_meta), previous.texts[doc_id], chunks)
