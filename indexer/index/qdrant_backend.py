"""Search's `Backend` over a Qdrant build: dense and sparse retrieval run in Qdrant, clauses
are fetched by id, documents and query statistics are read once per published build.

Reading a build (documents, clauses with their vectors for incremental builds, manifest and
statistics) is here too. Fusion, filters, grouping and query understanding stay in
`indexer.search`, shared with the embedded store, so both stores answer alike. Filters arrive as document ids and become a
payload filter on ``doc_id`` (indexed on a server).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import numpy as np

from indexer.errors import IndexMismatch, IndexMissing
from indexer.index import qdrant_store as qs
from indexer.records import Chunk, DocumentMeta


# -- reading a build --------------------------------------------------------------------

def kind_filter(kind: str, doc_ids: list[str] | None = None):
    from qdrant_client import models as m

    must = [m.FieldCondition(key="kind", match=m.MatchValue(value=kind))]
    if doc_ids is not None:
        must.append(m.FieldCondition(key="doc_id", match=m.MatchAny(any=list(doc_ids))))
    return m.Filter(must=must)


def scroll(client, location: str, name: str, flt, *, with_payload=True,
           with_vectors=False, page: int = 1024) -> Iterator:
    """Every point that matches a filter, page by page."""
    offset = None
    while True:
        points, offset = qs.call(location, "reading points", client.scroll, name, scroll_filter=flt,
                              limit=page, offset=offset, with_payload=with_payload,
                              with_vectors=with_vectors)
        yield from points
        if offset is None:
            return


def read_meta(client, location: str, name: str, with_stats: bool = True) -> dict:
    """The manifest of a collection, and its statistics (``stats``) when asked."""
    head = qs.call(location, "reading the manifest", client.retrieve, name, [qs.point_id("meta", "0")],
                with_payload=True)
    if not head:
        raise qs.QdrantStoreError(f"Collection {name} at {location} has no manifest (an unfinished build?)",
                               "Rebuild it: python -m indexer build --store qdrant")
    meta = dict(head[0].payload)
    if with_stats:
        ids = [qs.point_id("meta", str(i)) for i in range(1, int(meta["parts"]) + 1)]
        points = qs.call(location, "reading statistics", client.retrieve, name, ids, with_payload=True)
        points.sort(key=lambda p: p.payload["part"])
        meta["stats"] = json.loads("".join(p.payload["blob"] for p in points) or "{}")
    return meta


def open_live(location: str, alias: str, expected_model_id: str | None, rebuild: str) -> tuple:
    """(client, collection name, meta with stats) of the build behind ``alias``; clear errors
    for a missing build or one made with another model."""
    client = qs.client_for(location)
    name = qs.alias_target(client, location, alias)
    if name is None:
        raise IndexMissing(f"Qdrant at {location} has no collection behind alias '{alias}'",
                           f"Build it: {rebuild}")
    meta = read_meta(client, location, name)
    model_id = meta["manifest"]["model_id"]
    if expected_model_id and model_id != expected_model_id:
        raise IndexMismatch(
            f"The Qdrant collection '{alias}' at {location} was built with model '{model_id}', "
            f"but '{expected_model_id}' is configured; nothing was changed",
            f"Use that model (--model / POLICY_MODEL), or rebuild with this one: {rebuild} --force")
    return client, name, meta


def load_documents(client, location: str, name: str, with_text: bool = False
                   ) -> tuple[dict[str, DocumentMeta], dict[str, dict], dict[str, str]]:
    """Documents (metadata, metadata before corrections, and optionally cleaned text)."""
    fields = ["meta", "raw_meta"] + (["text"] if with_text else [])
    documents, raw, texts = {}, {}, {}
    for point in scroll(client, location, name, kind_filter("doc"), with_payload=fields):
        meta = DocumentMeta(**point.payload["meta"])
        documents[meta.doc_id] = meta
        raw[meta.doc_id] = point.payload["raw_meta"]
        if with_text:
            texts[meta.doc_id] = point.payload["text"]
    order = sorted(documents)
    return ({k: documents[k] for k in order}, {k: raw[k] for k in order},
            {k: texts[k] for k in order if k in texts})


def clause_points(client, location: str, name: str, doc_ids: list[str] | None = None,
                  with_vectors: bool = False) -> list:
    """Clause points (of some documents), in document and reading order."""
    vectors = [qs.DENSE] if with_vectors else False
    points = list(scroll(client, location, name, kind_filter("clause", doc_ids),
                         with_payload=["chunk", "embed_hash"], with_vectors=vectors))
    points.sort(key=lambda p: (p.payload["chunk"]["doc_id"], p.payload["chunk"]["ordinal"]))
    return points


def to_chunk(payload: dict) -> Chunk:
    return Chunk(**payload["chunk"])


def previous_version(location: str, alias: str, model_id: str):
    """The live build as an IndexVersion (vectors read back, no search structures), so that an
    incremental build re-embeds only changed clauses; None when there is nothing to reuse."""
    from indexer.index.store import IndexVersion, Manifest

    client = qs.client_for(location)
    name = qs.alias_target(client, location, alias)
    if name is None:
        return None
    meta = read_meta(client, location, name, with_stats=False)
    if meta["manifest"].get("model_id") != model_id:
        return None
    manifest = Manifest(**meta["manifest"])
    documents, raw, texts = load_documents(client, location, name, with_text=True)
    points = clause_points(client, location, name, with_vectors=True)
    chunks = [to_chunk(p.payload) for p in points]
    vectors = (np.asarray([p.vector[qs.DENSE] for p in points], dtype=np.float32) if points
               else np.zeros((0, manifest.dim), dtype=np.float32))
    return IndexVersion(Path(name), manifest, documents, raw, texts, chunks, [[] for _ in chunks],
                        [p.payload["embed_hash"] for p in points], vectors, None, None)


class QdrantBackend:
    """One published Qdrant build (the collection behind the alias when opened)."""

    def __init__(self, location: str, alias: str, expected_model_id: str | None = None,
                 rebuild_hint: str = "python -m indexer build --store qdrant",
                 version_path: Path | None = None):
        from indexer.index.store import Manifest

        self.location, self.alias = location, alias
        self._version_path = version_path
        self.client, self.name, meta = open_live(location, alias, expected_model_id, rebuild_hint)
        self.manifest = Manifest(**meta["manifest"])
        self._overrides: dict[str, int] = {k: int(v) for k, v in meta["overrides"].items()}
        self._vocab: dict[str, int] = meta["stats"].get("vocab", {})
        self._stats_json = meta["stats"].get("query")
        self._stats = None
        self.documents: dict[str, DocumentMeta]
        self.documents, self.raw_documents, _ = load_documents(self.client, location, self.name)
        self._texts: dict[str, str] = {}
        self._chunks: list[Chunk] | None = None

    @property
    def path(self) -> Path:
        """The index folder's version that points here (or the collection's name)."""
        return self._version_path or Path(self.name)

    @property
    def chunks(self) -> list[Chunk]:
        """Every clause in document and reading order (read once; for whole-corpus features
        such as topic coverage: fine for one machine's corpus, not for a national one)."""
        if self._chunks is None:
            self._chunks = [to_chunk(p.payload)
                            for p in clause_points(self.client, self.location, self.name)]
        return self._chunks

    # -- retrieval -----------------------------------------------------------

    def dense_search(self, vector: np.ndarray, k: int,
                     doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk_id, cosine) among the clauses of ``doc_ids`` (None: all)."""
        if k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        return self._query(query, qs.DENSE, k, doc_ids)

    def sparse_search(self, tokens: list[str], k: int,
                      doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk_id, BM25 score > 0): Qdrant's IDF modifier times the stored saturated tf."""
        from qdrant_client import models as m

        indices, values = qs.sparse_query(tokens, self._vocab, self._overrides)
        if k <= 0 or not indices or (doc_ids is not None and not doc_ids):
            return []
        hits = self._query(m.SparseVector(indices=indices, values=values), qs.SPARSE, k, doc_ids)
        return [(c, s) for c, s in hits if s > 0]

    def _query(self, query, using: str, k: int, doc_ids: set[str] | None) -> list[tuple[str, float]]:
        flt = None  # only clause points carry vectors: no filter needed to leave the others out
        if doc_ids is not None:
            from qdrant_client import models as m

            flt = m.Filter(must=[m.FieldCondition(key="doc_id", match=m.MatchAny(any=sorted(doc_ids)))])
        response = qs.call(self.location, "searching", self.client.query_points, self.name,
                           query=query, using=using, limit=k, query_filter=flt,
                           with_payload=["chunk.chunk_id"])
        return [(p.payload["chunk"]["chunk_id"], float(p.score)) for p in response.points]

    # -- clauses and documents -----------------------------------------------

    def fetch_chunks(self, chunk_ids: list[str]) -> list[Chunk]:
        """The clauses with these ids, in the same order (unknown ids are left out)."""
        ids = [qs.point_id("clause", c) for c in chunk_ids]
        points = qs.call(self.location, "reading clauses", self.client.retrieve, self.name, ids,
                         with_payload=["chunk"]) if ids else []
        by_id = {p.payload["chunk"]["chunk_id"]: to_chunk(p.payload) for p in points}
        return [by_id[c] for c in chunk_ids if c in by_id]

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        """Every clause of one document, in reading order."""
        return [to_chunk(p.payload)
                for p in clause_points(self.client, self.location, self.name, [doc_id])]

    def document_text(self, doc_id: str) -> str:
        """The cleaned text of one document (read on demand, then kept)."""
        if doc_id not in self._texts:
            points = qs.call(self.location, "reading a document", self.client.retrieve, self.name,
                             [qs.point_id("doc", doc_id)], with_payload=["text"])
            if not points:
                raise KeyError(doc_id)
            self._texts[doc_id] = points[0].payload["text"]
        return self._texts[doc_id]

    def query_stats(self):
        """Vocabulary statistics for query understanding, as stored with the build."""
        from indexer.index.backend import QueryStats

        if self._stats is None:
            self._stats = QueryStats.from_json(self._stats_json)
        return self._stats


def live_collection(version_path: Path) -> str | None:
    """The collection behind the alias a Qdrant manifest names (None if it names none)."""
    from indexer.index.store import read_manifest

    manifest = read_manifest(version_path)
    if manifest.store != "qdrant":
        return None
    location = manifest.qdrant_location
    return qs.alias_target(qs.client_for(location), location, manifest.qdrant_alias)


def open_qdrant(index_dir: Path, manifest, model_id: str | None = None) -> QdrantBackend:
    """The backend of an index folder whose live manifest names a Qdrant store."""
    rebuild = (f"python -m indexer build --index-dir {index_dir} --store qdrant "
               f"--qdrant-location {manifest.qdrant_location}")
    from indexer.index.store import current_version_path

    return QdrantBackend(manifest.qdrant_location, manifest.qdrant_alias, model_id, rebuild,
                         current_version_path(Path(index_dir)))
