"""From ranked clause ids to result cards: near-duplicate grouping, highlights, citations."""
from __future__ import annotations

import re
from functools import lru_cache

from indexer.index.backend import Backend
from indexer.parse.cite import cite
from indexer.records import AlsoIn, Chunk, DocumentMeta, Result
from indexer.text.normalize import fold, normalize_text
from indexer.text.stopwords import FOLDED as FOLDED_STOPWORDS, STOPWORDS

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


def build_results(backend: Backend, query: str, ranked: list[tuple[str, float]], k: int,
                  group_duplicates: bool = True) -> list[Result]:
    """Turn ranked clause ids into results, folding near-duplicates into 'also in'."""
    chunks = {c.chunk_id: c for c in backend.fetch_chunks([cid for cid, _ in ranked])}
    results: list[Result] = []
    groups: list[tuple[set, Result]] = []
    for chunk_id, score in ranked:
        chunk = chunks.get(chunk_id)
        if chunk is None:
            continue
        meta = backend.documents[chunk.doc_id]
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
    return "".join(map(_fold_char, text))


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    folded = fold(ch)
    return folded[:1] if folded else ch


_EXPANSION = re.compile(r"^(.*\S)\s+\(([^()]*)\)$", re.S)  # "query (phrase; phrase)" from expand_query


def _lower_chars(text: str) -> str:
    """Lower-cased text of exactly the same length (one character for one)."""
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


def highlight_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` to highlight for a (understood) query.

    The words the user typed are marked, and the Vietnamese phrases added for an English term
    ("TOD" → "đô thị theo định hướng giao thông") only where the whole phrase occurs, so their
    single words ("thông", "hướng") are never marked. A word written with diacritics marks only
    itself ("thành" never marks the "thanh" of "thanh toán"); a word typed without them marks
    any accented form. Case is ignored; adjacent marks merge.
    """
    query = normalize_text(query or "")
    phrases: list[str] = []
    expansion = _EXPANSION.match(query)
    if expansion:
        query = expansion.group(1)
        phrases = [p for p in (x.strip() for x in expansion.group(2).split(";")) if p]
    exact, folded = _lower_chars(text), _lower_chars(_fold_chars(text))
    spans: list[tuple[int, int]] = []
    for word in dict.fromkeys(re.findall(r"\w+", query.lower())):
        if word in STOPWORDS or fold(word) in FOLDED_STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        haystack = exact if fold(word) != word else folded  # typed with or without diacritics
        spans += [m.span() for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", haystack)]
    for phrase in phrases:
        words = re.findall(r"\w+", phrase.lower())
        if words:
            pattern = r"(?<!\w)" + r"[\W_]+".join(map(re.escape, words)) + r"(?!\w)"
            spans += [m.span() for m in re.finditer(pattern, exact)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or text[merged[-1][1]:start].strip() == ""):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
