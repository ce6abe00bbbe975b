"""The one sentence splitter (answers quote sentences; search highlights and cards use it too)."""
from __future__ import annotations

import re

# a sentence ends at . ; ! ? followed by a capital, digit, quote or dash, or at a line break;
# numbers such as 13,3-16% or 5.000 ha never split (no space after their separators)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[\"“(]?[A-ZĐÀ-Ỹ0-9-])|\n+")


def split_sentences(text: str, min_chars: int = 15) -> list[str]:
    """Sentences of a clause, list markers stripped; fragments under ``min_chars`` dropped."""
    parts = [p.strip(" -–+•\t") for p in _SENTENCE_END.split(text)]
    return [p for p in parts if len(p) >= min_chars]
