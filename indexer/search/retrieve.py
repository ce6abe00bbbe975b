"""The retrievers: dense (query embedding) and sparse (BM25 tokens) over one backend."""
from __future__ import annotations

import numpy as np

from indexer.index.backend import Backend
from indexer.search.query import query_tokens

POOL = 100  # candidates taken from each retriever before fusion


def encode(embedder, query: str) -> np.ndarray:
    """The query's embedding (one vector)."""
    return embedder.encode_queries([query]).astype(np.float32)[0]


def encode_many(embedder, texts: list[str]) -> np.ndarray:
    """Embeddings of several query texts in one batch."""
    return embedder.encode_queries(texts).astype(np.float32)


def dense(backend: Backend, embedder, query: str, doc_ids: set[str] | None,
          n: int = POOL, vector: np.ndarray | None = None) -> list[tuple[str, float]]:
    """Top clauses by cosine similarity of the query embedding (filter before the cut)."""
    return backend.dense_search(encode(embedder, query) if vector is None else vector, n, doc_ids)


def sparse(backend: Backend, query: str, doc_ids: set[str] | None, n: int = POOL,
           tokens: list[str] | None = None) -> list[tuple[str, float]]:
    """Top clauses by BM25 over segmented words and folded syllables."""
    if tokens is None:
        tokens = query_tokens(backend.query_stats().vocabulary, query)
    return backend.sparse_search(tokens, n, doc_ids) if tokens else []
