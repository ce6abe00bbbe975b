"""Compare provinces or documents on one question: the best clause of each group."""
from __future__ import annotations

from dataclasses import dataclass, field

from indexer.errors import QueryError
from indexer.records import DocumentMeta, Filters, Result
from indexer.search.engine import doc_allowed
from indexer.settings import COMPARE_BY
from indexer.text.normalize import fold

UNKNOWN = "?"


@dataclass
class CompareRow:
    """One province (or document) and its best clauses for the question (none: not found)."""

    group: str
    doc_ids: list[str]
    results: list[Result] = field(default_factory=list)

    @property
    def best(self) -> Result | None:
        return self.results[0] if self.results else None

    def to_dict(self) -> dict:
        return {"group": self.group, "doc_ids": self.doc_ids,
                "results": [r.to_dict() for r in self.results]}


def document_label(meta: DocumentMeta) -> str:
    """Short, readable name of a document: 'Quảng Ngãi · Kế hoạch 151/KH-UBND (2022)'."""
    kind = " ".join(x for x in (meta.doc_type or "Văn bản", meta.number or "") if x)
    place = meta.locality or meta.province or UNKNOWN
    if meta.province and meta.locality and fold(meta.locality) != fold(meta.province):
        place = f"{meta.locality} ({meta.province})"
    return f"{place} · {kind}" + (f" ({meta.year})" if meta.year else "")


def groups(documents: dict[str, DocumentMeta], by: str, filters: Filters | None = None) -> dict[str, list[str]]:
    """Group name → ids of the documents the filters allow, sorted by name (accent-insensitive)."""
    if by not in COMPARE_BY:
        raise QueryError(f"cannot compare by {by!r}", f"choose one of {', '.join(COMPARE_BY)}")
    filters = filters or Filters()
    out: dict[str, list[str]] = {}
    for doc_id, meta in documents.items():
        if doc_allowed(meta, filters):
            name = (meta.province or UNKNOWN) if by == "province" else document_label(meta)
            out.setdefault(name, []).append(doc_id)
    return {name: out[name] for name in sorted(out, key=lambda n: (n == UNKNOWN, fold(n)))}


def compare(engine, query: str, by: str = "province", filters: Filters | None = None,
            k: int = 1) -> list[CompareRow]:
    """The best ``k`` clauses of each province (or document) for ``query``, within ``filters``."""
    filters = filters or Filters()
    base = {name: value for name, value in vars(filters).items() if name not in ("provinces", "doc_ids")}
    rows = []
    for name, doc_ids in groups(engine.version.documents, by, filters).items():
        results = engine.search(query, k=k, filters=Filters(**base, doc_ids=doc_ids))
        rows.append(CompareRow(name, doc_ids, results))
    return rows
