"""Grounding: which documents of the index a question is about, or which named entity is missing.

A question naming a province, a district or a document number is answered only from the
documents of that entity; when the index holds none, the entity is reported missing so that
the answer can say so instead of quoting another entity's figure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from indexer.features.docfacts import number_fact
from indexer.features.question import Question, current_names, number_key
from indexer.records import DocumentMeta
from indexer.text.normalize import fold

MERGER_DATE = "2025-07-01"  # provinces merged on 1 July 2025 (Nghị quyết 202/2025/QH15)
_UNIT_WORDS = r"(?:huyện|quận|thị xã|thành phố|tp\.?|district|town)\s+$"


@dataclass
class Scope:
    doc_ids: list[str] | None = None  # None: the whole index
    missing: list[str] = field(default_factory=list)  # named entities the index does not hold
    notes: list[str] = field(default_factory=list)  # e.g. "Quảng Nam: từ 2025 thuộc Đà Nẵng"
    by: str = ""  # what narrowed the scope: number | mention | province | district | ""


def key(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text or ""))


class DocIndex:
    """Per index version: each document's own number and folded text, computed once."""

    def __init__(self, version):
        self.documents: dict[str, DocumentMeta] = version.documents
        self.texts: dict[str, str] = version.texts
        self.own: dict[str, str] = {}
        for doc_id, meta in self.documents.items():
            fact = number_fact(meta, self.texts.get(doc_id, ""))
            number = meta.number or (fact.value if fact else None)
            if number:
                self.own[doc_id] = number_key(number)
        self.skeletons = {d: key(t) for d, t in self.texts.items()}


_CACHE: dict[str, DocIndex] = {}


def doc_index(version) -> DocIndex:
    name = str(version.path)
    if name not in _CACHE:
        _CACHE.clear()
        _CACHE[name] = DocIndex(version)
    return _CACHE[name]


def resolve(question: Question, version) -> Scope:
    """The documents a question is about (None: all) and the named entities that are missing."""
    index = doc_index(version)
    entity = question.entity
    scope = Scope()
    by_number: set[str] | None = None
    for number in entity.doc_numbers:
        own = {d for d, n in index.own.items() if n == number_key(number)}
        if own:
            by_number = (by_number or set()) | own
    if by_number is None and entity.doc_numbers:
        mentioned = set()
        for number in entity.doc_numbers:
            found = {d for d, s in index.skeletons.items() if key(number) in s}
            if not found:
                scope.missing.append(number)
            mentioned |= found
        if mentioned and not scope.missing:
            by_number = mentioned
            scope.by = "mention"
    elif by_number is not None:
        scope.by = "number"
    for kind, bare in entity.doc_refs:
        if by_number is None:
            refs = {d for d, n in index.own.items() if re.match(rf"{bare}[/-]", n)}
            typed = {d for d in refs if key(kind) in key(index.documents[d].doc_type) or
                     key(kind) in index.skeletons[d][:3000]}
            if typed or refs:
                by_number, scope.by = (typed or refs), "number"
    by_place = _places(question, index, scope)
    if scope.missing:
        return scope
    if by_number is not None and by_place is not None:
        both = by_number & by_place
        chosen = both or by_number
    else:
        chosen = by_number if by_number is not None else by_place
    if chosen is not None:
        scope.doc_ids = sorted(chosen)
        scope.by = scope.by or "place"
    return scope


def _places(question: Question, index: DocIndex, scope: Scope) -> set[str] | None:
    entity = question.entity
    found: set[str] | None = None
    for province in entity.provinces:
        docs = province_documents(province, index)
        current = current_name(province)
        if current and current != province:
            scope.notes.append(f"{province} → {current} (2025)")
        if not docs:
            scope.missing.append(province)
        else:
            found = (found or set()) | docs | national_mentions(province, index)
    for district in entity.districts:
        docs = {d for d, t in index.texts.items() if district in t}
        if docs:
            if not entity.provinces:
                found = (found or set()) | _most_about(district, docs, index)
        elif re.search(_UNIT_WORDS.replace("$", "") + re.escape(district), question.text, re.I):
            scope.missing.append(district)
    return found


def national_mentions(province: str, index: DocIndex) -> set[str]:
    """National documents that name the province as a unit ("tỉnh Cao Bằng", "thành phố Huế"):
    a question about a province's gate, project or aid may be answered by them."""
    probes = {key(f"{unit} {province}") for unit in ("tỉnh", "thành phố")}
    return {d for d, meta in index.documents.items() if meta.level == "trung ương"
            and any(p in index.skeletons.get(d, "") for p in probes)}


def _most_about(name: str, docs: set[str], index: DocIndex) -> set[str]:
    """The documents where a place is named most (its own documents, not passing mentions)."""
    counts = {d: index.texts[d].count(name) for d in docs}
    top = max(counts.values())
    return {d for d, c in counts.items() if c >= max(2, top // 3)} or set(docs)


def province_documents(province: str, index: DocIndex) -> set[str]:
    """Documents of a province: issued by it (old or post-2025 name), or titled about it."""
    wanted = key(province)
    is_current = province in current_names()
    current = key(current_name(province))
    docs = set()
    for doc_id, meta in index.documents.items():
        names = {key(meta.province), key(meta.locality)} - {""}
        if wanted in names or (is_current and key(meta.province_current) == wanted):
            docs.add(doc_id)
        elif not is_current and current and key(meta.province_current) == current and \
                (meta.date or "") >= MERGER_DATE:
            docs.add(doc_id)  # issued by the merged province that now includes the old one
        elif wanted and wanted in key(meta.title):
            docs.add(doc_id)
    return docs


@lru_cache(maxsize=256)
def current_name(province: str) -> str | None:
    from indexer.text.gazetteer import current_province

    if province in current_names():
        return province
    return current_province(province)
