"""Query understanding: normalisation, diacritic restoration, typo fixes, English glossary terms."""
from __future__ import annotations

import re
from collections.abc import Container
from functools import lru_cache

from indexer.errors import QueryError
from indexer.index.backend import QueryStats
from indexer.settings import MAX_QUERY_CHARS
from indexer.text import gazetteer
from indexer.text.accents import edits1
from indexer.text.glossary import english_pairs, everyday_pairs, match_key
from indexer.text.normalize import fold, normalize_text
from indexer.text.segment import bm25_tokens, segment_text

_MAX_CORRECTED = 25  # longer "syllables" are not words (and their 54·n edits cost n² memory)


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


def glossary() -> list[tuple[str, str]]:
    """(English key, Vietnamese phrases) pairs of the shipped glossary (text/glossary.yaml)."""
    return list(english_pairs())


def expand_query(query: str) -> str:
    """Add the Vietnamese wording of English policy terms the query uses ("smart city") and the
    documents' wording of everyday phrases ("có bầu" → "mang thai")."""
    folded = f" {match_key(query)} "
    plain = " " + " ".join(re.findall(r"[^\W_]+", fold(query))) + " "
    additions = [vi for key, vi in english_pairs() if f" {key} " in folded]
    additions += [vi for key, vi in everyday_pairs() if f" {key} " in plain]
    if query.isascii():  # "Cao Bang province": the name as documents print it
        additions += list(dict.fromkeys(name for key, name in _province_keys() if f" {key} " in plain))
    return query if not additions else f"{query} ({'; '.join(dict.fromkeys(additions))})"


@lru_cache(maxsize=1)
def _province_keys() -> list[tuple[str, str]]:
    """(folded name, name) of every province and centrally-run city, for queries typed in ASCII."""
    spaced = [(" ".join(re.findall(r"[^\W_]+", fold(n))), n) for n in gazetteer.province_names()]
    return spaced + [(key.replace(" ", ""), n) for key, n in spaced if " " in key]  # "Hanoi", "Danang"


_REFERENCE = re.compile(r"(\S*\d\S*/\S+)")  # "456/QĐ-UBND", "06-NQ/TW": kept as typed


def understand(query: str, stats: QueryStats) -> str:
    """The query as searched: normalised, accents restored, English terms glossed. Document
    numbers and symbols are kept as written (restoration works on the words around them)."""
    pieces = _REFERENCE.split(prepare_query(query))
    restored = [p if i % 2 else stats.restorer.restore(p) if p.strip() else p for i, p in enumerate(pieces)]
    return expand_query(re.sub(r"\s+", " ", " ".join(x.strip() for x in restored if x.strip())))


def query_tokens(vocabulary: Container[str], query: str) -> list[str]:
    """Sparse tokens of a query; unknown unaccented words are corrected to a close indexed one."""
    corrected = []
    for token in bm25_tokens(segment_text(query)):
        if token in vocabulary or not token.startswith("~") or not 5 <= len(token) <= _MAX_CORRECTED:
            corrected.append(token)
            continue
        corrected.append(_closest(token, vocabulary) or token)
    return corrected


def _closest(token: str, vocabulary: Container[str]) -> str | None:
    """The first vocabulary token at edit distance 1 (typo tolerance), deletions first."""
    for candidate in edits1(token[1:]):
        if "~" + candidate in vocabulary:
            return "~" + candidate
    return None
