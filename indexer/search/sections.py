"""Breadcrumbs as their own signal: BM25 over section paths ("II. Nhiệm vụ › 3. An toàn thông tin").

A short clause ("- Đơn vị chủ trì: Công an Thành phố") often says what it is about only in its
breadcrumb; the clause's own BM25 tokens do not hold it. Section paths are few and repeat, so they
are indexed once per version (folded syllables, no word segmentation: cheap to build at first use).
Backends that keep every clause in memory (the embedded store) offer this signal; others skip it.
"""
from __future__ import annotations

import re

import numpy as np

from indexer.records import Chunk
from indexer.text.normalize import fold
from indexer.text.stopwords import FOLDED as FOLDED_STOPWORDS


def _syllables(text: str) -> list[str]:
    return [f"~{w}" for w in re.findall(r"[^\W_]+", fold(text)) if w not in FOLDED_STOPWORDS]


class SectionIndex:
    """BM25 over the distinct breadcrumbs of a version's clauses."""

    def __init__(self, chunks: list[Chunk]):
        import bm25s

        self.members: dict[str, list[str]] = {}
        for chunk in chunks:
            key = f"{chunk.doc_id}\x00{chunk.section}"
            self.members.setdefault(key, []).append(chunk.chunk_id)
        self.keys = list(self.members)
        self.doc_of = [k.split("\x00", 1)[0] for k in self.keys]
        self.bm25 = bm25s.BM25()
        if self.keys:
            self.bm25.index([_syllables(k.split("\x00", 1)[1]) or [""] for k in self.keys], show_progress=False)

    def search(self, query: str, k: int, doc_ids: set[str] | None, sections: int = 10) -> list[tuple[str, float]]:
        """Clauses of the best-matching breadcrumbs, best section first (at most ``k`` clauses)."""
        tokens = [t for t in _syllables(query) if t in self.bm25.vocab_dict] if self.keys else []
        if not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        ranked: list[tuple[str, float]] = []
        for i in np.argsort(-scores)[: sections * 4]:
            if scores[i] <= 0 or len(ranked) >= k:
                break
            if doc_ids is not None and self.doc_of[i] not in doc_ids:
                continue
            ranked += [(cid, float(scores[i])) for cid in self.members[self.keys[i]]]
        return ranked[:k]
