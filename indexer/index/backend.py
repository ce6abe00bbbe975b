"""What search needs from one published index version: the `Backend` protocol.

A backend is one immutable, published version of the index (its ``name`` changes when a build
publishes a new one). Documents are few and always in memory; clauses are fetched by id, so a
backend over a server (Qdrant) never needs every clause in memory. Filters are document-level:
search resolves them into a set of document ids before asking a backend.

Implementations: `indexer.index.store.IndexVersion` (embedded: SQLite + FAISS + bm25s).
`open_backend` reads the live version's manifest to know which store holds it.
"""
from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from indexer.records import Chunk, DocumentMeta
from indexer.text.accents import AccentRestorer

STORES = ("embedded", "qdrant")  # values of Manifest.store this program can open


@dataclass
class QueryStats:
    """What query understanding learns from a version's text (computed once per version).

    ``restorer`` restores diacritics and fixes typos from the indexed words; ``vocabulary`` is the
    set of sparse tokens the index knows (unknown unaccented tokens are corrected to a close one).
    """

    restorer: AccentRestorer
    vocabulary: Container[str]

    @classmethod
    def from_texts(cls, texts: list[str], vocabulary: Container[str]) -> "QueryStats":
        return cls(AccentRestorer(texts), vocabulary)

    def to_json(self) -> dict:
        """A JSON-ready form, for backends that store it with the version."""
        best, frequency = self.restorer.tables()
        return {"best": best, "frequency": frequency, "vocabulary": sorted(self.vocabulary)}

    @classmethod
    def from_json(cls, data: dict) -> "QueryStats":
        return cls(AccentRestorer.from_tables(data["best"], data["frequency"]), set(data["vocabulary"]))


@runtime_checkable
class Backend(Protocol):
    """One published index version, as search sees it."""

    name: str  # version name; changes when a build publishes
    manifest: "Manifest"  # indexer.index.store.Manifest
    documents: dict[str, DocumentMeta]  # every document's metadata, in memory

    def dense_search(self, vector: np.ndarray, k: int,
                     doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk_id, cosine) among the clauses of ``doc_ids`` (None: all), best first."""

    def sparse_search(self, tokens: list[str], k: int,
                      doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk_id, BM25 score > 0) for sparse tokens (`text.segment.bm25_tokens`)."""

    def fetch_chunks(self, chunk_ids: list[str]) -> list[Chunk]:
        """The clauses with these ids, in the same order (unknown ids are left out)."""

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        """Every clause of one document, in reading order."""

    def query_stats(self) -> QueryStats:
        """Vocabulary statistics for query understanding (cached per version)."""


def live_version_name(index_dir: Path) -> str:
    """Name of the published version (cheap: reads the CURRENT pointer; for Qdrant, the
    collection its alias names, so processes follow builds made elsewhere)."""
    from indexer.index.store import current_version_path

    path = current_version_path(Path(index_dir))
    if (path / "dense.faiss").exists():
        return path.name
    from indexer.index.qdrant_backend import live_collection

    return live_collection(path) or path.name


def open_backend(index_dir: Path, model_id: str | None = None) -> Backend:
    """Open the live version of an index folder with the store its manifest names."""
    from indexer.index import store

    index_dir = Path(index_dir)
    try:
        manifest = store.read_manifest(store.current_version_path(index_dir))
    except store.IndexProblem:
        return store.load_index(index_dir, model_id)  # raises the same problem, with its hint
    kind = getattr(manifest, "store", "embedded") or "embedded"
    if kind == "embedded":
        return store.load_index(index_dir, model_id)
    if kind == "qdrant":
        from indexer.index.qdrant_backend import open_qdrant

        return open_qdrant(index_dir, manifest, model_id)
    raise store.IndexMismatch(
        f"The index in {index_dir} is kept in a '{kind}' store, which this program cannot open "
        f"(it knows {', '.join(STORES)}). {store.rebuild_hint(index_dir)}")
