"""Document-level filters (province, level, type, year, document) resolved into document ids."""
from __future__ import annotations

import re

from indexer.records import DocumentMeta, Filters
from indexer.text.normalize import fold


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


def allowed_documents(documents: dict[str, DocumentMeta], filters: Filters | None) -> set[str] | None:
    """Ids of the documents that pass the filters; None when there is no filter (all pass)."""
    if filters is None or filters.is_empty():
        return None
    return {doc_id for doc_id, meta in documents.items() if doc_allowed(meta, filters)}
