"""Hybrid retrieval: dense (FAISS) and BM25 fused, with filters, near-duplicate grouping,
highlights and citations.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np

from indexer.errors import NotFound, QueryError
from indexer.text.accents import AccentRestorer, edits1
from indexer.parse.cite import cite
from indexer.text.normalize import fold, normalize_text
from indexer.records import AlsoIn, Chunk, Context, DocumentMeta, Filters, Result  # noqa: F401 (re-exported)
from indexer.text.segment import bm25_tokens, segment_text
from indexer.index.store import IndexVersion, current_version_path, load_index
from indexer.settings import MAX_QUERY_CHARS

RRF_K = 60
POOL = 100  # candidates taken from each retriever before fusion

_STOPWORDS = {
    "và", "của", "các", "những", "cho", "với", "trong", "được", "là", "có", "đến", "về", "theo",
    "để", "từ", "tại", "một", "này", "đó", "như", "nào", "gì", "bao", "nhiêu", "thì",
    "the", "of", "and", "in", "for", "to", "a", "an", "on", "what", "which", "how", "is", "are",
}


class SearchEngine:
    """Searches the live index version; follows new versions as builds publish them."""

    def __init__(self, index_dir: Path, embedder, *, version: IndexVersion | None = None):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self._lock = threading.Lock()
        self._unloadable: Path | None = None  # a published version that failed to load
        self._version = version or load_index(self.index_dir, embedder.model_id)
        self._restorers: dict[str, AccentRestorer] = {}

    def restorer(self, version: IndexVersion) -> AccentRestorer:
        """Diacritic restoration learnt from this version's text (built once per version)."""
        if version.name not in self._restorers:
            self._restorers = {version.name: AccentRestorer([c.text for c in version.chunks])}
        return self._restorers[version.name]

    def understand(self, query: str, version: IndexVersion | None = None) -> str:
        """The query as searched: normalised, accents restored, English topic terms glossed."""
        version = version or self._version
        query = prepare_query(query)
        return expand_query(self.restorer(version).restore(query))

    @property
    def version(self) -> IndexVersion:
        return self._version

    def refresh(self) -> IndexVersion:
        """Switch to a newer version if a build published one (cheap when nothing changed)."""
        try:
            path = current_version_path(self.index_dir)
        except Exception:
            return self._version  # keep serving the loaded version
        if path != self._version.path and path != self._unloadable:
            with self._lock:
                if path != self._version.path and path != self._unloadable:
                    try:
                        self._version = load_index(self.index_dir, self.embedder.model_id)
                    except Exception:
                        # a damaged new version never replaces a good loaded one, and is not
                        # loaded again at every query
                        self._unloadable = path
        return self._version

    # -- public API ----------------------------------------------------------

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               group_duplicates: bool = True, mode: str = "hybrid") -> list[Result]:
        """Top-k clauses for a query. ``mode``: "hybrid" (default), "dense" or "bm25"."""
        version = self.refresh()
        query = self.understand(query, version)
        mask = filter_mask(version, filters or Filters())
        if not mask.any() or k <= 0:
            return []
        if mode == "dense":
            ranked = self.dense_scores(version, query, mask)
        elif mode == "bm25":
            ranked = self.bm25_scores(version, query, mask)
        elif mode == "hybrid":
            ranked = self._fused(version, query, mask)
        else:
            raise QueryError(f"unknown search mode {mode!r}", "choose hybrid, dense or bm25")
        return build_results(version, query, ranked, k, group_duplicates)

    def context(self, chunk_id: str, before: int = 2, after: int = 2) -> Context:
        """A clause with its neighbours and its parent section, for "show in document"."""
        version = self._version
        rows = {c.chunk_id: i for i, c in enumerate(version.chunks)}
        if chunk_id not in rows:
            raise NotFound(f"unknown clause {chunk_id}", "take a clause id from search results or `chunks DOC_ID`")
        row = rows[chunk_id]
        chunk = version.chunks[row]
        same_doc = [c for c in version.chunks if c.doc_id == chunk.doc_id]
        pos = next(i for i, c in enumerate(same_doc) if c.chunk_id == chunk_id)
        meta = version.documents[chunk.doc_id]
        section = [c for c in same_doc if c.section == chunk.section]
        return Context(chunk=chunk, citation=cite(meta, chunk),
                       before=same_doc[max(0, pos - before):pos], after=same_doc[pos + 1:pos + 1 + after],
                       section=chunk.section, section_chunks=section, document=meta)

    # -- retrieval -------------------------------------------------------------

    def dense_scores(self, version: IndexVersion, query: str, mask: np.ndarray,
                     n: int = POOL) -> list[tuple[int, float]]:
        """Top rows by cosine similarity among the allowed rows (filter before the cut)."""
        import faiss

        vector = self.embedder.encode_queries([query]).astype(np.float32)
        n = min(n, int(mask.sum()))
        params = None
        if not mask.all():
            ids = np.flatnonzero(mask).astype(np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))
        scores, rows = version.dense.search(vector, n, params=params)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def bm25_scores(self, version: IndexVersion, query: str, mask: np.ndarray,
                    n: int = POOL) -> list[tuple[int, float]]:
        tokens = query_tokens(version, query)
        if not tokens:
            return []
        scores = version.bm25.get_scores(tokens) * mask
        top = np.argsort(-scores)[:n]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]

    def _fused(self, version: IndexVersion, query: str, mask: np.ndarray) -> list[tuple[int, float]]:
        dense = self.dense_scores(version, query, mask)
        sparse = self.bm25_scores(version, query, mask)
        return reciprocal_rank_fusion([dense, sparse])


def reciprocal_rank_fusion(rankings: list[list[tuple[int, float]]],
                           k: int = RRF_K) -> list[tuple[int, float]]:
    """Fuse ranked lists of (row, score) by reciprocal rank."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (row, _score) in enumerate(ranking):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank + 1)
    return sorted(fused.items(), key=lambda kv: -kv[1])


def prepare_query(query: str) -> str:
    """Normalise a query like a document; QueryError when nothing searchable is left."""
    if query is None:
        raise QueryError("Empty query: type a few words.")
    query = normalize_text(str(query))
    query = "".join(ch if ch.isprintable() else " " for ch in query)
    query = re.sub(r"\s+", " ", query).strip()[:MAX_QUERY_CHARS]
    if not query:
        raise QueryError("Empty query: type a few words.")
    if not re.search(r"\w", query):
        raise QueryError("The query has no letters or digits to search for.")
    return query


def _english_keys(label: str, phrases: list[str]) -> list[str]:
    parts = re.split(r"\(|\)|,|\band\b|/", label) + [p for p in phrases if p.isascii()]
    return [_stem(fold(p)) for p in parts if len(p.strip()) >= 3]


def _stem(text: str) -> str:
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"\w+", text))


_GLOSSARY: list[tuple[str, str]] | None = None


def glossary() -> list[tuple[str, str]]:
    """(English key, Vietnamese phrases) pairs taken from the shipped topic definitions."""
    global _GLOSSARY
    if _GLOSSARY is None:
        from indexer.features.topics import load_topics

        pairs = []
        try:
            topics = load_topics()
        except Exception:  # a broken topics file must not break search
            topics = []
        for topic in topics:
            vietnamese = [p for p in topic.phrases if not p.isascii()][:2]
            if vietnamese:
                pairs += [(key, "; ".join(vietnamese)) for key in _english_keys(topic.label_en, topic.phrases)]
        _GLOSSARY = pairs
    return _GLOSSARY


def expand_query(query: str) -> str:
    """Add the Vietnamese wording of English policy terms the query uses ("smart city")."""
    folded = f" {_stem(fold(query))} "
    additions = [vi for key, vi in glossary() if key and f" {key} " in folded]
    return query if not additions else f"{query} ({'; '.join(dict.fromkeys(additions))})"


def query_tokens(version: IndexVersion, query: str) -> list[str]:
    """BM25 tokens of a query; unknown unaccented words are corrected to a close indexed one."""
    tokens = bm25_tokens(segment_text(query))
    vocab = version.bm25.vocab_dict
    corrected = []
    for token in tokens:
        if token in vocab or not token.startswith("~") or not 5 <= len(token) <= _MAX_CORRECTED:
            corrected.append(token)
            continue
        near = _closest(token, vocab)
        corrected.append(near or token)
    return corrected


_MAX_CORRECTED = 25  # longer "syllables" are not words (and their 54·n edits cost n² memory)


def _closest(token: str, vocab: dict) -> str | None:
    """The first vocabulary token at edit distance 1 (typo tolerance), deletions first."""
    for candidate in edits1(token[1:]):
        if "~" + candidate in vocab:
            return "~" + candidate
    return None


# -- filters -------------------------------------------------------------------

def _key(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(value or ""))


def _matches_province(meta: DocumentMeta, wanted: set[str]) -> bool:
    names = {_key(meta.province), _key(meta.province_current), _key(meta.locality)} - {""}
    return bool(names & wanted)  # "" (a missing name, or a filter of punctuation) never matches


def doc_allowed(meta: DocumentMeta, filters: Filters) -> bool:
    """Whether a document passes the filters."""
    if filters.provinces and not _matches_province(meta, {_key(p) for p in filters.provinces}):
        return False
    if filters.levels and _key(meta.level) not in {_key(x) for x in filters.levels} - {""}:
        return False
    if filters.doc_types and _key(meta.doc_type) not in {_key(x) for x in filters.doc_types} - {""}:
        return False
    if filters.doc_ids and meta.doc_id not in set(filters.doc_ids):
        return False
    year = document_year(meta)
    if filters.year_from and (year is None or year < filters.year_from):
        return False
    if filters.year_to and (year is None or year > filters.year_to):
        return False
    return True


def document_year(meta: DocumentMeta) -> int | None:
    """Year of issue (``DocumentMeta.year``: from the date, else from a dated line left blank)."""
    return meta.year


def filter_mask(version: IndexVersion, filters: Filters) -> np.ndarray:
    """Boolean mask over the clause rows that pass the filters."""
    if filters.is_empty():
        return np.ones(len(version.chunks), dtype=bool)
    allowed = {doc_id for doc_id, meta in version.documents.items() if doc_allowed(meta, filters)}
    return np.fromiter((c.doc_id in allowed for c in version.chunks), dtype=bool,
                       count=len(version.chunks))


# -- results -------------------------------------------------------------------

_SHINGLE_WORDS = 3


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", fold(text))
    return {tuple(words[i:i + _SHINGLE_WORDS]) for i in range(max(1, len(words) - _SHINGLE_WORDS + 1))}


def near_duplicate(a: set, b: set, threshold: float = 0.7) -> bool:
    """Whether two clauses say the same thing (shingle overlap of the shorter one)."""
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= threshold and \
        min(len(a), len(b)) / max(len(a), len(b)) >= 0.5


def build_results(version: IndexVersion, query: str, fused: list[tuple[int, float]], k: int,
                  group_duplicates: bool = True) -> list[Result]:
    """Turn fused rows into results, folding near-duplicates into 'also in'."""
    results: list[Result] = []
    groups: list[tuple[set, Result]] = []
    for row, score in fused:
        chunk = version.chunks[row]
        meta = version.documents[chunk.doc_id]
        shingles = _shingles(chunk.text) if group_duplicates else set()
        if group_duplicates:
            owner = next((r for s, r in groups if near_duplicate(s, shingles)), None)
            if owner is not None:
                if owner.doc_id != chunk.doc_id and all(a.doc_id != chunk.doc_id for a in owner.also_in):
                    owner.also_in.append(AlsoIn(doc_id=chunk.doc_id, chunk_id=chunk.chunk_id,
                                                file=meta.file, province=meta.province,
                                                citation=cite(meta, chunk), text=chunk.text))
                continue
        if len(results) >= k:
            if not group_duplicates:
                break
            continue  # keep scanning so that later copies still join their group
        result = make_result(len(results) + 1, score, chunk, meta, query)
        results.append(result)
        groups.append((shingles, result))
    return results


def make_result(rank: int, score: float, chunk: Chunk, meta: DocumentMeta, query: str) -> Result:
    return Result(rank=rank, score=round(score, 6), chunk_id=chunk.chunk_id, doc_id=chunk.doc_id,
                  file=meta.file, title=meta.title, province=meta.province, issuer=meta.issuer,
                  number=meta.number, date=meta.date, section=chunk.section, text=chunk.text,
                  citation=cite(meta, chunk), highlights=highlight_spans(chunk.text, query))


def _fold_chars(text: str) -> str:
    """Accent-folded text of exactly the same length (one character for one)."""
    return "".join((fold(ch) or ch)[:1] if len(fold(ch)) else ch for ch in text)


def highlight_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` whose words occur in the query (accent-insensitive)."""
    terms = {fold(w) for w in re.findall(r"\w+", query.lower()) if w not in _STOPWORDS}
    terms = {t for t in terms if len(t) > 1 or t.isdigit()} - {fold(s) for s in _STOPWORDS}
    if not terms:
        return []
    folded = _fold_chars(text)
    spans: list[tuple[int, int]] = []
    for m in re.finditer(r"\w+", folded):
        if m.group(0).lower() in terms:
            if spans and text[spans[-1][1]:m.start()].strip() == "":
                spans[-1] = (spans[-1][0], m.end())
            else:
                spans.append((m.start(), m.end()))
    return spans
