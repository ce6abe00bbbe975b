"""Unicode and tone-mark normalisation shared by documents and queries.

Documents and queries pass through the same functions so that "hoá"/"hóa",
"thuỷ"/"thủy" and decomposed/precomposed text all meet on one form.
"""
from __future__ import annotations

import re
import unicodedata

# Combining tone marks (after NFD, tone marks follow the vowel and its shape marks).
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

# Old-style placement puts the tone on the second vowel of an open "oa", "oe", "uy"
# (hoá, khoẻ, thuỷ); the convention we normalise to puts it on the first (hóa, khỏe, thủy).
# Only open syllables: in "hoàn", "thuyền" both styles agree. "quý" is q+uý: left alone.
_OLD_STYLE = re.compile(
    r"(?<![qQ])([oOuU])([aAeEyY])([\u0300\u0301\u0303\u0309\u0323])(?![^\W\d_])",
)


def _move_tone(match: re.Match[str]) -> str:
    first, second, tone = match.group(1), match.group(2), match.group(3)
    if first.lower() == "u" and second.lower() != "y":
        return match.group(0)
    if first.lower() == "o" and second.lower() not in "ae":
        return match.group(0)
    return first + tone + second


def normalize_text(text: str) -> str:
    """NFC with one tone-mark convention (hóa, khỏe, thủy)."""
    decomposed = unicodedata.normalize("NFD", text)
    moved = _OLD_STYLE.sub(_move_tone, decomposed)
    return unicodedata.normalize("NFC", moved)


def fold(text: str) -> str:
    """Accent-insensitive form: no diacritics, đ → d, lower case."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")
