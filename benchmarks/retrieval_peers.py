"""The two quick-start peers the product is compared with on the same documents.

Both read each file's text as it is (no cleaning), split it with a recursive character splitter
(1,000 characters, 200 overlap: the LangChain quick-start settings) and return the top passages:

* ``peer-dense``: multilingual-e5-small (the product's model, "query: "/"passage: " prompts),
  cosine similarity, top-k;
* ``peer-bm25``: plain BM25 (bm25s defaults) over lower-cased word tokens, no word segmentation.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

SEPARATORS = ["\n\n", "\n", " ", ""]
CHUNK_SIZE = 1000
OVERLAP = 200


def recursive_split(text: str, size: int = CHUNK_SIZE, overlap: int = OVERLAP,
                    separators: list[str] = SEPARATORS) -> list[str]:
    """Recursive character splitting (LangChain's algorithm): split on the first separator that
    occurs, merge the pieces into chunks of at most ``size`` characters with ``overlap``."""
    sep = next((s for s in separators if s == "" or s in text), "")
    rest = separators[separators.index(sep) + 1:] if sep else []
    pieces = list(text) if sep == "" else text.split(sep)
    chunks, good = [], []
    for piece in pieces:
        if len(piece) < size:
            good.append(piece)
            continue
        if good:
            chunks += _merge(good, sep, size, overlap)
            good = []
        chunks += recursive_split(piece, size, overlap, rest) if rest else [piece]
    if good:
        chunks += _merge(good, sep, size, overlap)
    return chunks


def _merge(pieces: list[str], sep: str, size: int, overlap: int) -> list[str]:
    chunks, current, length = [], [], 0
    for piece in pieces:
        extra = len(piece) + (len(sep) if current else 0)
        if length + extra > size and current:
            chunk = sep.join(current).strip()
            if chunk:
                chunks.append(chunk)
            while current and (length > overlap or length + extra > size):
                length -= len(current[0]) + (len(sep) if len(current) > 1 else 0)
                current.pop(0)
        current.append(piece)
        length += len(piece) + (len(sep) if len(current) > 1 else 0)
    chunk = sep.join(current).strip()
    if chunk:
        chunks.append(chunk)
    return chunks


class Peers:
    """Both peers over one folder of files."""

    def __init__(self, corpus: Path, embedder, cache_dir: Path):
        self.passages: list[tuple[str, str]] = []  # (file name, text)
        for path in sorted(p for p in Path(corpus).iterdir() if p.is_file()):
            text = path.read_text(encoding="utf-8", errors="replace")
            self.passages += [(path.name, chunk) for chunk in recursive_split(text)]
        self.embedder = embedder
        self.vectors = self._vectors(cache_dir)
        import bm25s

        self.bm25 = bm25s.BM25()
        self.bm25.index(bm25s.tokenize([t for _, t in self.passages], stopwords=None, show_progress=False),
                        show_progress=False)

    def _vectors(self, cache_dir: Path) -> np.ndarray:
        """Passage embeddings, cached by content and model (peers are re-run often)."""
        key = hashlib.sha256(("\x00".join(t for _, t in self.passages) + self.embedder.model_id)
                             .encode("utf-8")).hexdigest()[:16]
        cache = Path(cache_dir) / f"peer-vectors-{key}.npy"
        if cache.exists():
            return np.load(cache)
        vectors = self.embedder.encode_passages([t for _, t in self.passages], batch_size=16)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
        return vectors

    def dense(self, query: str, k: int = 10) -> list[dict]:
        scores = self.vectors @ self.embedder.encode_queries([query])[0]
        return self._cards(np.argsort(-scores)[:k])

    def bm25_search(self, query: str, k: int = 10) -> list[dict]:
        import bm25s

        tokens = bm25s.tokenize([query], stopwords=None, show_progress=False, return_ids=False)[0]
        tokens = [t for t in tokens if t in self.bm25.vocab_dict] or ["\x00"]
        if tokens == ["\x00"]:
            return []
        scores = self.bm25.get_scores(tokens)
        return self._cards([i for i in np.argsort(-scores)[:k] if scores[i] > 0])

    def _cards(self, rows) -> list[dict]:
        return [{"file": self.passages[int(i)][0], "text": self.passages[int(i)][1]} for i in rows]

