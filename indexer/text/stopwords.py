"""The one stopword list: function words that carry no topic (Vietnamese and English)."""
from __future__ import annotations

from indexer.text.normalize import fold

VIETNAMESE = frozenset({
    "và", "của", "các", "những", "cho", "với", "trong", "được", "là", "có", "đến", "về", "theo",
    "để", "từ", "tại", "một", "này", "đó", "như", "nào", "gì", "bao", "nhiêu", "thì",
})
ENGLISH = frozenset({
    "the", "of", "and", "in", "for", "to", "a", "an", "on", "what", "which", "how", "is", "are",
})
STOPWORDS = VIETNAMESE | ENGLISH
FOLDED = frozenset(fold(w) for w in STOPWORDS)  # accent-folded forms ("cua", "duoc" …)


def is_stopword(word: str) -> bool:
    """Whether a word (any case, with or without diacritics) is a stopword."""
    return word.lower() in STOPWORDS or fold(word) in FOLDED
