"""The one front of the package: `Library`. The CLI, the page and the benchmarks call only this
and the public records (`indexer.records`, `Answer`, `CompareRow`, `Coverage`, `ExportRow`).

Nothing heavy happens in the constructor: listing documents and clauses, facets, status and
phrase-only topic coverage read the index's SQLite catalogue; the model and the search
indexes load on the first search, answer, comparison, semantic coverage or build, once per
`Library`.
"""
from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from indexer import settings
from indexer.errors import CorpusError, IndexMismatch, IndexProblem, NotFound, PolicySearchError
from indexer.records import (BuildReport, Chunk, Context, DocumentMeta, Facets, Filters, IndexStatus,
                             ProvinceFacet, Result, Skipped, UploadReport)
from indexer.text.normalize import fold

if TYPE_CHECKING:  # imported lazily at run time (start-up speed)
    from indexer.features.answer import Answer
    from indexer.features.compare import CompareRow
    from indexer.features.export import ExportRow
    from indexer.features.topics import Coverage
    from indexer.index.store import Catalog
    from indexer.search.engine import SearchEngine

Progress = Callable[[str, int, int], None]  # (stage, done, total)

__all__ = ["Library", "Filters", "Result", "DocumentMeta", "Chunk", "Context", "Facets", "IndexStatus",
           "BuildReport", "UploadReport", "PolicySearchError"]


class Library:
    """An index folder and its corpus folder, searched, asked, compared and rebuilt."""

    def __init__(self, index_dir: str | Path | None = None, corpus_dir: str | Path | None = None,
                 model=None, precision: str | None = None):
        """``model``: a model name or path (None: the configured one), or an already loaded
        `Embedder` to share between libraries."""
        self.index_dir = settings.index_dir(index_dir)
        self.corpus_dir = settings.corpus_dir(corpus_dir)
        loaded = model is not None and not isinstance(model, (str, Path))
        self.model = None if loaded else (str(model) if model else None)
        self.precision = settings.model_precision(precision)
        self._lock = threading.RLock()
        self._embedder = model if loaded else None
        self._engine: SearchEngine | None = None
        self._catalog: Catalog | None = None
        self._hashes = None

    # -- loading (lazy, once per instance) ----------------------------------------------------

    @property
    def embedder(self):
        """The embedding model (loaded on first use)."""
        with self._lock:
            if self._embedder is None:
                from indexer.index.embed import load_embedder

                self._embedder = load_embedder(self.model, self.precision)
            return self._embedder

    @property
    def engine(self) -> SearchEngine:
        """The search engine on the live index version (follows new versions)."""
        with self._lock:
            if self._engine is None:
                from indexer.search.engine import SearchEngine

                self._engine = SearchEngine(self.index_dir, self.embedder)
            self._engine.refresh()
            return self._engine

    def _live(self):
        """The live version's documents and clauses: the engine's if loaded, else the catalogue."""
        with self._lock:
            if self._engine is not None:
                return self.engine.version
            from indexer.index.store import current_version_path, load_catalog

            path = current_version_path(self.index_dir)
            if self._catalog is None or self._catalog.path != path:
                self._catalog = load_catalog(self.index_dir)
            return self._catalog

    # -- reading ----------------------------------------------------------------------------------

    def status(self, check_corpus: bool = True) -> IndexStatus:
        """The live index (or why there is none) and what changed in the corpus folder since."""
        from indexer.index.corpus import HashCache, corpus_changes

        status = IndexStatus(exists=False, index_dir=str(self.index_dir), corpus_dir=str(self.corpus_dir))
        manifest = None
        try:
            live = self._live()
            manifest = live.manifest
            status.exists, status.version = True, live.name
            status.n_docs, status.n_chunks = manifest.n_docs, manifest.n_chunks
            status.model, status.index_type, status.built_at = manifest.model_id, manifest.index_type, manifest.built_at
            status.skipped = [Skipped(s.get("file", ""), s.get("reason", ""), s.get("sha256"))
                              for s in manifest.skipped]
        except IndexProblem as exc:
            status.problem = exc
        if check_corpus:
            with self._lock:
                self._hashes = self._hashes or HashCache()
            status.changes = corpus_changes(self.corpus_dir, manifest, hasher=self._hashes)
        return status

    def documents(self) -> list[DocumentMeta]:
        """Every indexed document, in index order."""
        return list(self._live().documents.values())

    def document(self, doc_id: str) -> DocumentMeta:
        documents = self._live().documents
        if doc_id not in documents:
            raise NotFound(f"no document '{doc_id}'", "see `python -m indexer docs`")
        return documents[doc_id]

    def chunks(self, doc_id: str) -> list[Chunk]:
        """A document's clauses in order."""
        live = self._live()
        if doc_id not in live.documents:
            raise NotFound(f"no document '{doc_id}'", "see `python -m indexer docs`")
        return live.document_chunks(doc_id)

    def facets(self) -> Facets:
        """Filter choices: provinces (old and post-2025 names), levels, types, years."""
        return facets_of(self.documents())

    def allowed_documents(self, filters: Filters | None = None) -> list[str]:
        """Ids of the indexed documents that pass ``filters`` (rows of the page's topic table)."""
        from indexer.search.filters import doc_allowed

        filters = filters or Filters()
        return [doc_id for doc_id, meta in self._live().documents.items() if doc_allowed(meta, filters)]

    # -- searching ----------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, filters: Filters | None = None, group: bool = True,
               mode: str = "hybrid") -> list[Result]:
        """Top-k clauses for a query (near-duplicates folded into ``also_in`` when ``group``)."""
        return self.engine.search(query, k=min(k, settings.MAX_K), filters=filters,
                                  group_duplicates=group, mode=mode)

    def search_batch(self, path: str | Path, k: int = 10, filters: Filters | None = None,
                     group: bool = True) -> Iterator[dict]:
        """``{"id", "results"[, "error"]}`` per non-blank line of a JSONL batch file; a malformed line
        or a bad query gets an "error" naming its line number and does not stop the batch."""
        from indexer.errors import QueryError
        from indexer.features.batch import read_batch

        for item in read_batch(path):
            out: dict = {"id": item.id, "results": []}
            if item.error:
                out["error"] = item.error
            else:
                try:
                    out["results"] = [r.to_dict() for r in self.search(item.query, k=k, filters=filters,
                                                                        group=group)]
                except QueryError as exc:
                    out["error"] = f"line {item.line}: {exc}"
            yield out

    def ask(self, question: str, filters: Filters | None = None, k: int = settings.ANSWER_K) -> Answer:
        """An extractive answer with citations, or "not found"."""
        from indexer.features.answer import answer

        return answer(self.engine, question, filters=filters, k=k)

    def generate(self, answer_: Answer, endpoint: str, model: str | None,
                 timeout: float | None = None) -> Answer:
        """Add generated sentences from an OpenAI-compatible endpoint; a failure only warns."""
        from indexer.features.generation import generate_safely

        return generate_safely(answer_, endpoint, model, timeout or settings.llm_timeout())

    def compare(self, query: str, by: str = "province", filters: Filters | None = None,
                k: int = 1) -> list[CompareRow]:
        """The best clause(s) of each province or document for ``query``."""
        from indexer.features.compare import compare

        return compare(self.engine, query, by=by, filters=filters, k=k)

    def coverage(self, topic_ids: list[str] | None = None, adhoc: Iterable[str] = (), semantic: bool = True,
                 topics_file: str | Path | None = None) -> Coverage:
        """Which documents mention which topics (the shipped topics, or ``topic_ids``, plus ad-hoc
        phrases); ``semantic`` also matches topic descriptions with the model."""
        from indexer.features.topics import Coverage, adhoc_topic, coverage, load_topics, select_topics

        topics = select_topics(load_topics(topics_file), list(topic_ids or []))
        topics += [adhoc_topic(text) for text in adhoc]
        if semantic and any(t.description for t in topics):
            version = self.engine.version
            try:
                return Coverage(topics, coverage(version, topics, embedder=self.embedder), version.documents, True)
            except IndexMismatch:  # vectors of another model: phrases only
                pass
        live = self._live()
        return Coverage(topics, coverage(live, topics), live.documents, False)

    def context(self, chunk_id: str, before: int = 2, after: int = 2) -> Context:
        """A clause with its neighbours and its section."""
        return self.engine.context(chunk_id, before=before, after=after)

    # -- changing ----------------------------------------------------------------------------------

    def build(self, progress: Progress | None = None, force: bool = False,
              index_type: str | None = None, store: str | None = None,
              qdrant_location: str | None = None) -> BuildReport:
        """Build or update the index of the corpus folder; ``progress(stage, done, total)``.
        ``store``: embedded (default) or qdrant, at ``qdrant_location`` (URL or folder)."""
        from indexer.index.build import build_index
        from indexer.index.stores import make_store

        if not self.corpus_dir.is_dir():
            raise CorpusError(f"corpus folder not found: {self.corpus_dir}",
                              "create it, or give the folder: python -m indexer build FOLDER")
        target = make_store(settings.store(store), self.index_dir, settings.qdrant_location(qdrant_location),
                            settings.qdrant_alias())
        report = build_index(self.corpus_dir, self.index_dir, self.embedder,
                             index_type=settings.index_type(index_type), progress=progress, force=force,
                             store=target)
        with self._lock:
            self._catalog = None
        return report

    def save_uploads(self, files: list[tuple[str, bytes]]) -> UploadReport:
        """Save uploaded files into the corpus folder (never overwriting); rebuild to index them."""
        from indexer.features.upload import store_uploads

        return store_uploads(files, self.corpus_dir)

    # -- exporting ----------------------------------------------------------------------------------

    def export_rows(self, items, note: str | None = None) -> list[ExportRow]:
        """Export rows (text, citation, document metadata) for search results, the sentences of
        an `Answer`, or the evidence of a topic `Cell`."""
        from indexer.features.answer import Answer
        from indexer.features.export import rows_from_answer, rows_from_cell, rows_from_results
        from indexer.features.topics import Cell

        documents = self._live().documents
        if isinstance(items, Answer):
            return rows_from_answer(items, documents, note)
        if isinstance(items, Cell):
            return rows_from_cell(items, documents, note)
        return rows_from_results(items, documents, note or "")

    def export(self, rows: Iterable[ExportRow | Result], fmt: str) -> bytes:
        """``rows`` (export rows, or search results) as csv | xlsx | docx | md | json bytes."""
        from indexer.features.export import export

        rows = list(rows)
        if any(isinstance(r, Result) for r in rows):
            rows = [self.export_rows([r])[0] if isinstance(r, Result) else r for r in rows]
        return export(rows, fmt)[0]


def facets_of(metas: list[DocumentMeta]) -> Facets:
    """The filter choices a set of documents offers (names sorted accent-insensitively)."""
    counts: Counter[str] = Counter()
    current: dict[str, str | None] = {}
    for meta in metas:
        for name in {meta.province, meta.province_current} - {None, ""}:
            counts[name] += 1
            current.setdefault(name, meta.province_current if name == meta.province else name)
    years = [m.year for m in metas if m.year]
    return Facets(
        provinces=[ProvinceFacet(name, current[name], counts[name]) for name in sorted(counts, key=fold)],
        levels=sorted({m.level for m in metas if m.level}, key=fold),
        doc_types=sorted({m.doc_type for m in metas if m.doc_type}, key=fold),
        year_min=min(years) if years else None, year_max=max(years) if years else None,
        n_undated=sum(1 for m in metas if not m.year), n_docs=len(metas))
