"""The on-disk index: versioned folders switched atomically, with a manifest.

Layout of an index folder::

    CURRENT                 name of the live version (replaced atomically)
    build.lock              held while a build runs
    versions/<name>/        one complete, immutable version:
        manifest.json       format, model, prompts, index type, corpus file hashes
        index.sqlite        documents, clauses (with vectors) and cleaned texts
        dense.faiss         FAISS index over the clause vectors (row i = clause i)
        bm25/               bm25s index over the clauses' tokens (no pickles)

A build writes a new version beside the live one and only then points CURRENT at it,
so a build killed at any moment leaves the previous version loadable and unchanged.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from indexer.errors import SettingsError
from indexer.errors import IndexCorrupt, IndexMismatch, IndexMissing, IndexProblem  # noqa: F401 (re-exported)
from indexer.index.damage import (check_bm25, check_index_folder, check_manifest_data, disk_full_error,
                                  is_disk_full, read_pointer, remove_temp_folders)
from indexer.records import Chunk, DocumentMeta
from indexer.settings import INDEX_TYPES  # noqa: F401 (re-exported)

FORMAT_VERSION = 1


@dataclass
class Manifest:
    format_version: int
    model_id: str
    model_name: str
    dim: int
    query_prompt: str
    passage_prompt: str
    index_type: str
    embed_template: str
    files: dict[str, str]  # file name → sha256 of its bytes
    corrections_sha256: str | None
    n_docs: int
    n_chunks: int
    built_at: str
    build_seconds: float = 0.0
    skipped: list[dict[str, str]] = field(default_factory=list)
    pipeline_version: str = ""  # of cleaning/structure/chunking: a change re-reads every file
    store: str = "embedded"  # which store holds the clauses: embedded (this folder) | qdrant (index.backend.open_backend)
    qdrant_location: str = ""  # URL of a server/cluster, or folder of the client's local mode
    qdrant_alias: str = ""


@dataclass
class StoredChunk:
    """A clause as stored, with what search needs beside it."""

    chunk: Chunk
    tokens: list[str]
    embed_hash: str


@dataclass
class IndexVersion:
    """One loaded, immutable version of the embedded index; implements `index.backend.Backend`."""

    path: Path
    manifest: Manifest
    documents: dict[str, DocumentMeta]
    raw_documents: dict[str, dict]  # metadata before user corrections (for incremental builds)
    texts: dict[str, str]  # doc_id → cleaned text
    chunks: list[Chunk]
    tokens: list[list[str]]
    embed_hashes: list[str]
    vectors: np.ndarray
    dense: object  # faiss.Index
    bm25: object  # bm25s.BM25

    _rows: dict[str, int] | None = field(default=None, repr=False)
    _doc_rows: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _stats: object = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.path.name

    # -- the Backend protocol ------------------------------------------------

    def dense_search(self, vector: np.ndarray, k: int,
                     doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk_id, cosine) among the allowed clauses (the filter applies before the cut)."""
        import faiss

        rows = self._allowed_rows(doc_ids)
        k = min(k, len(self.chunks) if rows is None else len(rows))
        if k <= 0:
            return []
        params = None if rows is None else faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        scores, found = self.dense.search(query, k, params=params)
        return [(self.chunks[int(r)].chunk_id, float(s)) for r, s in zip(found[0], scores[0]) if r >= 0]

    def sparse_search(self, tokens: list[str], k: int,
                      doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk_id, BM25 score) among the allowed clauses, scores above zero only."""
        if not tokens or k <= 0:
            return []
        scores = self.bm25.get_scores(tokens)
        rows = self._allowed_rows(doc_ids)
        if rows is not None:
            mask = np.zeros(len(self.chunks), dtype=bool)
            mask[rows] = True
            scores = scores * mask
        top = np.argsort(-scores)[:k]
        return [(self.chunks[int(r)].chunk_id, float(scores[r])) for r in top if scores[r] > 0]

    def fetch_chunks(self, chunk_ids: list[str]) -> list[Chunk]:
        rows = self._row_of()
        return [self.chunks[rows[c]] for c in chunk_ids if c in rows]

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        return [self.chunks[int(r)] for r in self._rows_by_doc().get(doc_id, [])]

    def query_stats(self):
        """Accent/typo statistics learnt from this version's clauses (built on first use)."""
        if self._stats is None:
            from indexer.index.backend import QueryStats

            self._stats = QueryStats.from_texts([c.text for c in self.chunks], self.bm25.vocab_dict)
        return self._stats

    def _row_of(self) -> dict[str, int]:
        if self._rows is None:
            self._rows = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        return self._rows

    def _rows_by_doc(self) -> dict[str, np.ndarray]:
        if self._doc_rows is None:
            by_doc: dict[str, list[int]] = {}
            for i, c in enumerate(self.chunks):
                by_doc.setdefault(c.doc_id, []).append(i)
            self._doc_rows = {d: np.asarray(r, dtype=np.int64) for d, r in by_doc.items()}
        return self._doc_rows

    def _allowed_rows(self, doc_ids: set[str] | None) -> np.ndarray | None:
        """Rows of the allowed documents' clauses in row order (None: every clause)."""
        if doc_ids is None:
            return None
        by_doc = self._rows_by_doc()
        parts = [by_doc[d] for d in doc_ids if d in by_doc]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def rebuild_hint(index_dir: Path) -> str:
    return f"Rebuild it with: python -m indexer build --index-dir {index_dir}"


def current_version_path(index_dir: Path) -> Path:
    """Folder of the live version; IndexMissing when there is none."""
    index_dir = Path(index_dir)
    check_index_folder(index_dir)  # the folder, or its versions/, being a file
    pointer = index_dir / "CURRENT"
    if not pointer.exists() and not pointer.is_symlink():
        raise IndexMissing(f"No index found in {index_dir}. {rebuild_hint(index_dir)}")
    name = read_pointer(pointer, index_dir)  # a folder or binary CURRENT: IndexCorrupt
    path = index_dir / "versions" / name
    if not name or "/" in name or not (path / "manifest.json").exists():
        raise IndexCorrupt(f"The index in {index_dir} points at a missing version '{name}'. "
                           f"{rebuild_hint(index_dir)}")
    return path


def read_manifest(version_path: Path) -> Manifest:
    try:
        data = json.loads((version_path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"Unreadable manifest in {version_path}: {exc}") from exc
    check_manifest_data(data, version_path)  # [] or files: null … are damage, not a traceback
    if data.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"The index in {version_path.parent.parent} has format version "
            f"{data.get('format_version')}, this program reads version {FORMAT_VERSION}. "
            f"{rebuild_hint(version_path.parent.parent)}"
        )
    try:
        return Manifest(**data)
    except TypeError as exc:
        raise IndexCorrupt(f"Malformed manifest in {version_path}: {exc}") from exc


def live_manifest(index_dir: Path) -> tuple[Path, Manifest]:
    """The live version's folder and manifest; errors carry the rebuild hint."""
    path = current_version_path(index_dir)
    try:
        return path, read_manifest(path)
    except IndexProblem as exc:
        raise _with_hint(exc, index_dir) from exc


def load_index(index_dir: Path, expected_model_id: str | None = None) -> IndexVersion:
    """Load the live version; clear errors for a missing, mismatched or damaged index."""
    index_dir = Path(index_dir)
    path, manifest = live_manifest(index_dir)
    if expected_model_id and manifest.model_id != expected_model_id:
        raise IndexMismatch(
            f"The index in {index_dir} was built with model '{manifest.model_id}', "
            f"but '{expected_model_id}' is configured. Use that model, or "
            f"{rebuild_hint(index_dir)[0].lower()}{rebuild_hint(index_dir)[1:]} --model ..."
        )
    try:
        return _load_version(path, manifest)
    except IndexProblem as exc:
        raise _with_hint(exc, index_dir) from exc
    except Exception as exc:  # sqlite, faiss and numpy raise many kinds on damaged files
        raise IndexCorrupt(f"The index in {index_dir} is damaged ({type(exc).__name__}: {exc}). "
                           f"{rebuild_hint(index_dir)}") from exc


def _with_hint(exc: IndexProblem, index_dir: Path) -> IndexProblem:
    """The same problem, its message ending with how to rebuild."""
    if "python -m indexer build" in str(exc):
        return exc
    return type(exc)(f"The index in {index_dir} is damaged: {exc}. {rebuild_hint(index_dir)}"
                     if isinstance(exc, IndexCorrupt) else f"{exc} {rebuild_hint(index_dir)}")


def _load_version(path: Path, manifest: Manifest) -> IndexVersion:
    import bm25s
    import faiss

    con = sqlite3.connect(f"file:{path / 'index.sqlite'}?mode=ro", uri=True)
    try:
        documents, raw_documents, texts = {}, {}, {}
        for doc_id, meta_json, raw_json, text in con.execute(
                "SELECT doc_id, meta, raw_meta, text FROM documents ORDER BY rowid"):
            documents[doc_id] = DocumentMeta(**json.loads(meta_json))
            raw_documents[doc_id] = json.loads(raw_json)
            texts[doc_id] = text
        chunks, tokens, hashes, vectors = [], [], [], []
        for row in con.execute(
                "SELECT data, tokens, embed_hash, vector FROM chunks ORDER BY row"):
            chunks.append(Chunk(**json.loads(row[0])))
            tokens.append(row[1].split(" ") if row[1] else [])
            hashes.append(row[2])
            vectors.append(np.frombuffer(row[3], dtype=np.float32))
    finally:
        con.close()
    matrix = np.vstack(vectors) if vectors else np.zeros((0, manifest.dim), dtype=np.float32)
    if len(chunks) != manifest.n_chunks or (len(chunks) and matrix.shape[1] != manifest.dim):
        raise IndexCorrupt(f"{path} holds {len(chunks)} clauses, its manifest says {manifest.n_chunks}")
    dense = faiss.read_index(str(path / "dense.faiss"))
    if dense.ntotal != len(chunks):
        raise IndexCorrupt(f"{path}: FAISS holds {dense.ntotal} vectors for {len(chunks)} clauses")
    bm25 = bm25s.BM25.load(str(path / "bm25"), load_corpus=False, allow_pickle=False)
    check_bm25(bm25, len(chunks), path)  # bad params load, then fail at the first search
    return IndexVersion(path, manifest, documents, raw_documents, texts, chunks, tokens, hashes,
                        matrix, dense, bm25)


def build_dense_index(vectors: np.ndarray, index_type: str = "flat"):
    """Inner-product FAISS index on normalised vectors: exact by default, HNSW or IVF-PQ."""
    import faiss

    dim = vectors.shape[1]
    if index_type == "flat" or len(vectors) < 1000:
        index = faiss.IndexFlatIP(dim)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    elif index_type == "ivfpq":
        nlist = max(16, int(4 * np.sqrt(len(vectors))))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFPQ(quantizer, dim, nlist, dim // 8 if dim % 8 == 0 else 32, 8,
                                 faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).choice(len(vectors), min(len(vectors), 50_000),
                                                         replace=False)]
        index.train(sample)
        index.nprobe = 16
    else:
        raise SettingsError(f"unknown index type {index_type!r}", f"choose one of {', '.join(INDEX_TYPES)}")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_version(index_dir: Path, manifest: Manifest, documents: list[DocumentMeta],
                  raw_documents: dict[str, dict], texts: dict[str, str],
                  stored: list[StoredChunk], vectors: np.ndarray) -> Path:
    """Write a complete new version, then make it the live one atomically."""
    versions = Path(index_dir) / "versions"
    name = time.strftime("v%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    tmp = versions / f".tmp-{name}"
    try:
        versions.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        final = _write_files(tmp, versions, name, manifest, documents, raw_documents, texts, stored,
                             vectors)
        _switch_current(Path(index_dir), name)
    except BaseException as exc:  # never leave a half-written version behind
        full = is_disk_full(exc, versions if versions.is_dir() else Path(index_dir))
        shutil.rmtree(tmp, ignore_errors=True)
        remove_temp_folders(Path(index_dir))
        if full:
            raise disk_full_error(Path(index_dir)) from exc
        raise
    prune_versions(Path(index_dir))
    return final


def _write_files(tmp: Path, versions: Path, name: str, manifest: Manifest,
                 documents: list[DocumentMeta], raw_documents: dict[str, dict], texts: dict[str, str],
                 stored: list[StoredChunk], vectors: np.ndarray) -> Path:
    """Write every file of a version into ``tmp``, then rename it ``versions/name``."""
    import bm25s
    import faiss

    _write_sqlite(tmp / "index.sqlite", documents, raw_documents, texts, stored, vectors)
    faiss.write_index(build_dense_index(vectors, manifest.index_type), str(tmp / "dense.faiss"))
    retriever = bm25s.BM25()
    corpus_tokens = [s.tokens if s.tokens else [""] for s in stored] or [[""]]
    retriever.index(corpus_tokens, show_progress=False)
    retriever.save(str(tmp / "bm25"), allow_pickle=False)
    (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=1),
                                       encoding="utf-8")
    _fsync_tree(tmp)
    final = versions / name
    os.replace(tmp, final)
    _fsync_dir(versions)
    return final


def _write_sqlite(path: Path, documents: list[DocumentMeta], raw_documents: dict[str, dict],
                  texts: dict[str, str], stored: list[StoredChunk], vectors: np.ndarray) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(
            "CREATE TABLE documents (doc_id TEXT PRIMARY KEY, meta TEXT, raw_meta TEXT, text TEXT);"
            "CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE, doc_id TEXT,"
            " data TEXT, tokens TEXT, embed_hash TEXT, vector BLOB);"
        )
        con.executemany("INSERT INTO documents VALUES (?, ?, ?, ?)", [
            (d.doc_id, json.dumps(asdict(d), ensure_ascii=False),
             json.dumps(raw_documents[d.doc_id], ensure_ascii=False), texts[d.doc_id])
            for d in documents
        ])
        con.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (i, s.chunk.chunk_id, s.chunk.doc_id, json.dumps(asdict(s.chunk), ensure_ascii=False),
             " ".join(s.tokens), s.embed_hash, np.asarray(vectors[i], dtype=np.float32).tobytes())
            for i, s in enumerate(stored)
        ])
        con.commit()
    finally:
        con.close()


def _switch_current(index_dir: Path, name: str) -> None:
    tmp = index_dir / f"CURRENT.{uuid.uuid4().hex[:6]}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(name)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    _fsync_dir(index_dir)


def prune_versions(index_dir: Path, keep: int = 2) -> None:
    """Delete old versions (keeping the live one and the one before) and abandoned temp folders."""
    versions = index_dir / "versions"
    try:
        live = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except OSError:
        return
    complete = sorted((p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")),
                      key=lambda p: p.name)
    keepers = {live} | {p.name for p in complete[-keep:]}
    for path in complete:
        if path.name not in keepers:
            shutil.rmtree(path, ignore_errors=True)
    for path in versions.glob(".tmp-*"):  # left by a killed build (callers hold the build lock)
        shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob("CURRENT.*.tmp"):
        path.unlink(missing_ok=True)


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Catalog:
    """Documents and clauses of the live version, without the search indexes (fast to load:
    no FAISS, no BM25, no model), for listing, browsing and phrase-only topic coverage."""

    path: Path
    manifest: Manifest
    documents: dict[str, DocumentMeta]
    chunks: list[Chunk]

    @property
    def name(self) -> str:
        return self.path.name

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        """Every clause of one document, in reading order."""
        return [c for c in self.chunks if c.doc_id == doc_id]


def load_catalog(index_dir: Path) -> Catalog:
    """The live version's manifest, documents and clauses; the same errors as `load_index`."""
    index_dir = Path(index_dir)
    path, manifest = live_manifest(index_dir)
    if manifest.store == "qdrant":  # documents and clauses live in Qdrant
        from indexer.index.qdrant_backend import open_qdrant

        return open_qdrant(index_dir, manifest)
    try:
        con = sqlite3.connect(f"file:{path / 'index.sqlite'}?mode=ro", uri=True)
        try:
            documents = {doc_id: DocumentMeta(**json.loads(meta)) for doc_id, meta in
                         con.execute("SELECT doc_id, meta FROM documents ORDER BY rowid")}
            chunks = [Chunk(**json.loads(data)) for (data,) in con.execute("SELECT data FROM chunks ORDER BY row")]
        finally:
            con.close()
    except Exception as exc:  # sqlite and json raise many kinds on damaged files
        raise IndexCorrupt(f"The index in {index_dir} is damaged ({type(exc).__name__}: {exc}). "
                           f"{rebuild_hint(index_dir)}") from exc
    return Catalog(path, manifest, documents, chunks)
