"""PROVISIONAL (ui branch): the one front of the package, until arch's `indexer/api.py` lands.

Only the surface the page needs, as planned: `Library` with status, documents, facets, search,
ask, compare, coverage, context, build, save_uploads, export.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from indexer import settings
from indexer.records import DocumentMeta
from indexer.search.engine import Filters, QueryError, Result, SearchEngine, doc_allowed, document_year

__all__ = ["Library", "Filters", "Result", "Status", "Facets", "ProvinceFacet", "CompareRow"]


@dataclass
class ProvinceFacet:
    name: str  # as written in the documents
    current: str | None  # post-2025 name
    count: int  # documents


@dataclass
class Facets:
    provinces: list[ProvinceFacet]
    levels: list[str]
    doc_types: list[str]
    year_range: tuple[int, int] | None
    n_undated: int


@dataclass
class Status:
    exists: bool
    index_dir: Path
    corpus_dir: Path
    version: str = ""
    n_docs: int = 0
    n_chunks: int = 0
    model: str = ""
    built_at: str = ""
    index_type: str = ""
    problem: Exception | None = None
    changes: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)


@dataclass
class CompareRow:
    name: str
    doc_ids: list[str]
    result: Result | None


class Library:
    def __init__(self, index_dir=None, corpus_dir=None, model=None, precision=None):
        self.index_dir = settings.index_dir(index_dir)
        self.corpus_dir = settings.corpus_dir(corpus_dir)
        self.model, self.precision = model, precision
        self._embedder = None
        self._engine: SearchEngine | None = None

    @property
    def embedder(self):
        if self._embedder is None:
            from indexer.index.embed import load_embedder

            self._embedder = load_embedder(self.model, self.precision)
        return self._embedder

    @property
    def engine(self) -> SearchEngine:
        if self._engine is None:
            self._engine = SearchEngine(self.index_dir, self.embedder)
        self._engine.refresh()
        return self._engine

    def status(self) -> Status:
        from indexer.features.upload import corpus_changes

        try:
            engine = self.engine
        except Exception as exc:
            return Status(False, self.index_dir, self.corpus_dir, problem=exc)
        version = engine.version
        manifest = version.manifest
        return Status(True, self.index_dir, self.corpus_dir, version.name, manifest.n_docs,
                      manifest.n_chunks, manifest.model_id, manifest.built_at, manifest.index_type,
                      changes=corpus_changes(self.corpus_dir, manifest), skipped=list(manifest.skipped))

    def documents(self) -> list[DocumentMeta]:
        return list(self.engine.version.documents.values())

    def facets(self) -> Facets:
        metas = self.documents()
        names: dict[str, ProvinceFacet] = {}
        for m in metas:
            if m.province:
                f = names.setdefault(m.province, ProvinceFacet(m.province, m.province_current, 0))
                f.count += 1
        years = [y for m in metas if (y := document_year(m))]
        return Facets(sorted(names.values(), key=lambda f: f.name),
                      sorted({m.level for m in metas if m.level}),
                      sorted({m.doc_type for m in metas if m.doc_type}),
                      (min(years), max(years)) if years else None,
                      sum(1 for m in metas if document_year(m) is None))

    def search(self, query: str, k: int = 10, filters: Filters | None = None, group: bool = True,
               mode: str = "hybrid") -> list[Result]:
        return self.engine.search(query, k=k, filters=filters, group_duplicates=group, mode=mode)

    def ask(self, question: str, filters: Filters | None = None, k: int = 8):
        from indexer.features.answer import answer

        return answer(self.engine, question, filters=filters, k=k)

    def compare(self, query: str, by: str = "province", filters: Filters | None = None) -> list[CompareRow]:
        from indexer.text.normalize import fold

        filters = filters or Filters()
        groups: dict[str, list[str]] = {}
        for meta in self.documents():
            if doc_allowed(meta, filters):
                name = (meta.province or "?") if by == "province" else meta.doc_id
                groups.setdefault(name, []).append(meta.doc_id)
        base = {k: v for k, v in vars(filters).items() if k not in ("provinces", "doc_ids")}
        rows = []
        for name in sorted(groups, key=fold):
            best = self.search(query, 1, Filters(**base, doc_ids=groups[name]))
            rows.append(CompareRow(name, groups[name], best[0] if best else None))
        return rows

    def coverage(self, topic_ids=None, adhoc=(), semantic: bool = True):
        from indexer.features.topics import adhoc_topic, coverage, load_topics

        topics = [t for t in load_topics() if not topic_ids or t.id in topic_ids]
        topics += [adhoc_topic(text) for text in adhoc]
        engine = self.engine
        try:
            cells = coverage(engine.version, topics, embedder=engine.embedder if semantic else None)
        except ValueError:
            cells = coverage(engine.version, topics)
        return topics, cells

    def context(self, chunk_id: str, before: int = 2, after: int = 2):
        return self.engine.context(chunk_id, before, after)

    def build(self, progress=None, force: bool = False):
        from indexer.index.build import build_index

        report = build_index(self.corpus_dir, self.index_dir, self.embedder, progress=progress)
        if self._engine is not None:
            self._engine.refresh()
        return report

    def save_uploads(self, files, t=None):
        from indexer.features.upload import plain, save_uploads

        return save_uploads(files, self.corpus_dir, t=t or plain)

    def export(self, rows, fmt: str):
        from indexer.features.export import export

        return export(rows, fmt)

    def version(self) -> str:
        """Name of the index version served now (cheap: follows a newly published build)."""
        return self.engine.version.name

    def allowed_documents(self, filters: Filters | None) -> list[str]:
        """Ids of the documents that pass the filters."""
        return [m.doc_id for m in self.documents() if doc_allowed(m, filters or Filters())]
