"""Vietnamese word segmentation (underthesea) and the tokens that BM25 indexes."""
from __future__ import annotations

import re
from functools import lru_cache

from indexer.text.normalize import fold, normalize_text

_WORD = re.compile(r"[^\W_]+(?:[_'’-][^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _word_tokenize():
    from underthesea import word_tokenize

    return word_tokenize


def segment_text(text: str) -> str:
    """Word-segment with underthesea, joining the syllables of a word by "_".

    Segmentation runs on the original casing, so proper nouns (Quảng Ngãi) survive.
    """
    text = normalize_text(text)
    if not text.strip():
        return ""
    lines = []
    for line in text.splitlines():
        if line.strip():
            lines.append(_word_tokenize()(line, format="text"))
    return "\n".join(lines)


def words(segmented: str) -> list[str]:
    """Lower-cased words of a segmented text (punctuation dropped)."""
    return [w.lower() for w in _WORD.findall(segmented)]


def bm25_tokens(segmented: str) -> list[str]:
    """Tokens for BM25: segmented words with diacritics, plus folded syllables.

    The folded syllables let queries typed without diacritics match.
    """
    ws = words(segmented)
    syllables = [fold(s) for w in ws for s in w.split("_") if s]
    return ws + [f"~{s}" for s in syllables]
