"""SearchEngine: follows the published index version and runs a search end to end.

Query understanding is in `search.query`, the retrievers in `search.retrieve`, fusion in
`search.fusion`, filters in `search.filters` and result cards in `search.results`. The engine
talks to the index only through the `index.backend.Backend` protocol.
"""
from __future__ import annotations

import re
import threading

import numpy as np
from pathlib import Path

from indexer.index.backend import Backend, live_version_name, open_backend
from indexer.parse.cite import cite
from indexer.text.normalize import fold
from indexer.errors import NotFound, QueryError  # noqa: F401 (re-exported)
from indexer.records import AlsoIn, Context, Filters, Result  # noqa: F401 (re-exported)
from indexer.search import retrieve
from indexer.search.documents import (DocumentIndex, QueryDocuments, asked_value, facet_chunks, phrase_key,
                                      query_phrases, value_chunks)
from indexer.search.sections import SectionIndex
from indexer.search.filters import allowed_documents, doc_allowed, document_year  # noqa: F401
from indexer.search.fusion import RRF_K, WEIGHTS, Weights, add_priors, reciprocal_rank_fusion  # noqa: F401
from indexer.search.query import (MAX_QUERY_CHARS, expand_query, glossary, prepare_query,  # noqa: F401
                                  query_tokens, understand)
from indexer.search.results import build_results, highlight_spans, make_result, near_duplicate  # noqa: F401
from indexer.search.retrieve import POOL  # noqa: F401

MODES = ("hybrid", "dense", "bm25")
# a question about what a document is based on or was proposed by (its preamble)
_ASKS_BASIS = re.compile(r"\b(can cu|theo de nghi|to trinh|co so phap ly|legal basis|pursuant)\b")
IDENTITY = {"number", "date", "signer"}  # facets printed by the header and signature blocks


def best_of_each_first(ranked: list[tuple[str, float]], doc_ids: set[str]) -> list[tuple[str, float]]:
    """Several documents asked about (compared): the best clause of each leads, then the rest."""
    firsts: dict[str, tuple[str, float]] = {}
    for cid, score in ranked:
        doc_id = cid.rsplit(":", 1)[0]
        if doc_id in doc_ids and doc_id not in firsts:
            firsts[doc_id] = (cid, score)
    lead = list(firsts.values())
    chosen = {cid for cid, _ in lead}
    return lead + [(cid, score) for cid, score in ranked if cid not in chosen]


class SearchEngine:
    """Searches the live index version; follows new versions as builds publish them."""

    def __init__(self, index_dir: Path, embedder, *, version: Backend | None = None):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self._lock = threading.Lock()
        self._unloadable: str | None = None  # a published version that failed to load
        self._version: Backend = version or open_backend(self.index_dir, embedder.model_id)
        self._documents: tuple[str, DocumentIndex] | None = None
        self._sections: tuple[str, SectionIndex | None] | None = None
        self.weights = WEIGHTS

    def section_index(self, version: Backend) -> SectionIndex | None:
        """Breadcrumb index of this version, when the backend keeps its clauses in memory."""
        if self._sections is None or self._sections[0] != version.name:
            chunks = getattr(version, "chunks", None)
            self._sections = (version.name, SectionIndex(chunks) if isinstance(chunks, list) else None)
        return self._sections[1]

    def document_index(self, version: Backend) -> DocumentIndex:
        """Cards and numbers of this version's documents (built once per version)."""
        if self._documents is None or self._documents[0] != version.name:
            self._documents = (version.name, DocumentIndex(version.documents))
        return self._documents[1]

    @property
    def version(self) -> Backend:
        return self._version

    def understand(self, query: str, version: Backend | None = None) -> str:
        """The query as searched: normalised, accents restored, English topic terms glossed."""
        return understand(query, (version or self._version).query_stats())

    def refresh(self) -> Backend:
        """Switch to a newer version if a build published one (cheap when nothing changed)."""
        try:
            name = live_version_name(self.index_dir)
        except Exception:
            return self._version  # keep serving the loaded version
        if name != self._version.name and name != self._unloadable:
            with self._lock:
                if name != self._version.name and name != self._unloadable:
                    try:
                        self._version = open_backend(self.index_dir, self.embedder.model_id)
                    except Exception:
                        # a damaged new version never replaces a good loaded one, and is not
                        # loaded again at every query
                        self._unloadable = name
        return self._version

    # -- public API ----------------------------------------------------------

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               group_duplicates: bool = True, mode: str = "hybrid") -> list[Result]:
        """Top-k clauses for a query. ``mode``: "hybrid" (default), "dense" or "bm25"."""
        version = self.refresh()
        query = self.understand(query, version)
        allowed = allowed_documents(version.documents, filters)
        if (allowed is not None and not allowed) or k <= 0:
            return []
        if mode not in MODES:
            raise QueryError(f"unknown search mode {mode!r}", "choose hybrid, dense or bm25")
        ranked = self.ranked(version, query, allowed, mode)
        return build_results(version, query, ranked, k, group_duplicates)

    def ranked(self, version: Backend, query: str, allowed: set[str] | None,
               mode: str = "hybrid") -> list[tuple[str, float]]:
        """(chunk_id, score) best first for an understood query."""
        if mode == "dense":
            return retrieve.dense(version, self.embedder, query, allowed)
        if mode == "bm25":
            return retrieve.sparse(version, query, allowed)
        return self._hybrid(version, query, allowed)

    def _hybrid(self, version: Backend, query: str, allowed: set[str] | None) -> list[tuple[str, float]]:
        """Dense + sparse over everything, plus both again inside the documents the query names,
        and inside each targeted document with the words off its card; fused, then document
        priors and the clauses that print asked facts or values."""
        w = self.weights
        tokens = retrieve.query_tokens(version.query_stats().vocabulary, query)
        docs = self.document_index(version).match(query, tokens)
        focus, targets = self._focus(docs, allowed), self._targets(docs, allowed)
        residual = {d: docs.residual.get(d) or [] for d in targets}
        texts = {d: " ".join(t.replace("_", " ") for t in r if not t.startswith("~")) for d, r in residual.items()}
        texts = {d: t for d, t in texts.items() if w.residual_dense and len(t.split()) >= 2}
        distinct = list(dict.fromkeys(texts.values()))
        vectors = retrieve.encode_many(self.embedder, [query] + distinct)  # one forward pass
        vector, by_text = vectors[0], dict(zip(distinct, vectors[1:]))
        lists = [retrieve.dense(version, self.embedder, query, allowed, vector=vector),
                 retrieve.sparse(version, query, allowed, tokens=tokens)]
        weights = [w.dense, w.sparse]
        sections = self.section_index(version) if w.section else None
        if sections is not None:
            lists.append(sections.search(query, retrieve.POOL, allowed))
            weights.append(w.section)
        half = retrieve.POOL // 2
        if focus:
            lists += [retrieve.dense(version, self.embedder, query, focus, n=half, vector=vector),
                      retrieve.sparse(version, query, focus, n=half, tokens=tokens)]
            weights += [w.focused, w.focused]
        for doc_id in targets:
            if residual[doc_id] and w.residual:
                lists.append(retrieve.sparse(version, query, {doc_id}, n=half, tokens=residual[doc_id]))
                weights.append(w.residual)
            if doc_id in texts:
                lists.append(retrieve.dense(version, self.embedder, texts[doc_id], {doc_id}, n=half,
                                            vector=by_text[texts[doc_id]]))
                weights.append(w.residual_dense)
        fused = reciprocal_rank_fusion(lists, weights=weights)
        ranked = add_priors(fused, self._priors(version, fused, docs, focus, allowed))
        return best_of_each_first(ranked, targets) if len(targets) > 1 else ranked  # each one's best leads

    def _focus(self, docs: QueryDocuments, allowed: set[str] | None) -> set[str]:
        """Documents the query names by number (searched again on their own)."""
        return set(docs.named) if allowed is None else docs.named & allowed

    def _targets(self, docs: QueryDocuments, allowed: set[str] | None) -> set[str]:
        """Documents named or clearly described, searched again with the words off their cards."""
        found = docs.targets(self.weights.focus_margin, self.weights.target_coverage)
        return found if allowed is None else found & allowed

    def _described(self, docs: QueryDocuments) -> str | None:
        """The document the query describes, when its card clearly leads the others."""
        if not docs.scores:
            return None
        ranked = sorted(docs.scores.values(), reverse=True)
        if len(ranked) > 1 and ranked[0] < self.weights.focus_margin * ranked[1]:
            return None
        best = max(docs.scores, key=docs.scores.get)
        return best if docs.coverage.get(best, 0.0) >= self.weights.card_coverage else None

    def _priors(self, version: Backend, fused: list[tuple[str, float]], docs: QueryDocuments,
                focus: set[str], allowed: set[str] | None) -> dict[str, float]:
        w = self.weights
        described = self._described(docs)
        chunks = version.fetch_chunks([cid for cid, _ in fused])
        priors: dict[str, float] = {}
        def document_prior(doc_id: str) -> float:
            return w.named * (doc_id in docs.named) + w.card * (doc_id == described)

        basis = w.basis if not docs.facets and not _ASKS_BASIS.search(fold(docs.query)) else 0.0
        for chunk in chunks:
            if document_prior(chunk.doc_id):
                priors[chunk.chunk_id] = document_prior(chunk.doc_id)
            if basis and chunk.zone == "preamble" and chunk.ordinal > 0:
                priors[chunk.chunk_id] = priors.get(chunk.chunk_id, 0.0) - basis
        value = asked_value(docs.query) if w.value else None
        described_allowed = {described} if described and (allowed is None or described in allowed) else set()
        targets = (focus or described_allowed) | self._targets(docs, allowed)  # asked facts: in every target
        for doc_id in targets:
            chunks_of, meta = version.document_chunks(doc_id), version.documents[doc_id]
            asked = docs.facets or ({"number"} if docs.content.get(doc_id, 1) == 0 else set())
            if not asked & IDENTITY and docs.content.get(doc_id, 0) >= w.content_syllables:
                for cid in facet_chunks(chunks_of, meta, IDENTITY):  # a content question
                    priors[cid] = priors.get(cid, 0.0) - w.identity
            elif asked & IDENTITY and w.other_facts:  # "ai ký": the header prints the number, not the signer
                printing = set(facet_chunks(chunks_of, meta, asked))
                for cid in facet_chunks(chunks_of, meta, IDENTITY - asked):
                    if cid not in printing:
                        priors[cid] = priors.get(cid, 0.0) - w.other_facts
            for cid in facet_chunks(chunks_of, meta, asked):  # the fact asked, or the header of a
                priors[cid] = document_prior(doc_id) + w.facet  # document the query only names
            if value and w.value:
                for cid in value_chunks(chunks_of, value):
                    priors[cid] = priors.get(cid, 0.0) + w.value
        for cid, prior in self._top_priors(fused, chunks, docs.query, value if not targets else None).items():
            priors[cid] = priors.get(cid, 0.0) + prior
        return priors

    def _top_priors(self, fused: list[tuple[str, float]], chunks: list, query: str,
                    value: str | None) -> dict[str, float]:
        """Priors near the top of the fused list: a topic query's phrases printed word for word, and
        the asked value printed (``value``: given only when no document is targeted)."""
        w = self.weights
        by_id = {c.chunk_id: c for c in chunks}

        def top(depth: float) -> list:
            return [by_id[cid] for cid, _ in fused[:int(depth)] if cid in by_id]

        priors: dict[str, float] = {}
        phrases = query_phrases(query) if w.phrase else []
        for chunk in top(w.phrase_depth) if phrases else []:
            found = sum(p in phrase_key(chunk.text) for p in phrases)
            if found:
                priors[chunk.chunk_id] = w.phrase * found / len(phrases)
        if value and w.value_pool:
            for cid in value_chunks(top(w.value_depth), value):
                priors[cid] = priors.get(cid, 0.0) + w.value_pool
        return priors

    def context(self, chunk_id: str, before: int = 2, after: int = 2) -> Context:
        """A clause with its neighbours and its parent section, for "show in document"."""
        version = self._version
        found = version.fetch_chunks([chunk_id])
        if not found:
            raise NotFound(f"unknown clause {chunk_id}", "take a clause id from search results or `chunks DOC_ID`")
        chunk = found[0]
        same_doc = [c for c in version.document_chunks(chunk.doc_id)  # the site's block is no neighbour
                    if c.zone != "site" or c.chunk_id == chunk_id]
        pos = next(i for i, c in enumerate(same_doc) if c.chunk_id == chunk_id)
        meta = version.documents[chunk.doc_id]
        section = [c for c in same_doc if c.section == chunk.section]
        return Context(chunk=chunk, citation=cite(meta, chunk),
                       before=same_doc[max(0, pos - before):pos], after=same_doc[pos + 1:pos + 1 + after],
                       section=chunk.section, section_chunks=section, document=meta)
