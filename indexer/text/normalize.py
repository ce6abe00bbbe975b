"""Unicode and tone-mark normalisation shared by documents and queries.

Documents and queries pass through the same functions so that "hoá"/"hóa",
"thuỷ"/"thủy" and decomposed/precomposed text all meet on one form.

Text is sacred: the only change besides NFC is the documented difference between the
two tone-placement conventions, which exists only in the open rhymes "oa", "oe", "uy"
(hoá/hóa, khoẻ/khỏe, thuỷ/thủy). A syllable with a final consonant (hoặc, hoàng,
khoảng, thuyết), with a vowel that carries its own diacritic (hoặc, quyển) or with the
onset "qu" (quý, where u belongs to the onset) is never touched.
"""
from __future__ import annotations

import re
import unicodedata

# Combining tone marks (after NFD, tone marks follow the vowel and its shape marks).
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")

# Vietnamese onsets (without "q": in "quy", "qua" the u belongs to the onset).
ONSETS = ("", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
          "ngh", "nh", "p", "ph", "r", "s", "t", "th", "tr", "v", "x")
MOVABLE_RHYMES = ("oa", "oe", "uy")  # the only rhymes whose tone placement differs by convention
_WORD = re.compile(r"[^\W\d_]+")
_SYLLABLE = re.compile(r"^(" + "|".join(sorted(ONSETS[1:], key=len, reverse=True)) + r")?(oa|oe|uy)$")


def _move_tone(word: str) -> str:
    """'hoá' → 'hóa' when the word is exactly onset + open oa/oe/uy with the tone on the
    second vowel; any other word is returned unchanged."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [(i, ch) for i, ch in enumerate(decomposed) if ch in _TONES]
    if len(tones) != 1:
        return word
    tone_at, tone = tones[0]
    bare = decomposed[:tone_at] + decomposed[tone_at + 1:]
    if any(unicodedata.combining(ch) for ch in bare):
        return word  # a vowel carrying a shape mark (ă, â, ê, ô, ơ, ư): not an oa/oe/uy rhyme
    m = _SYLLABLE.match(bare.lower())
    if not m or tone_at != len(bare):  # tone must sit on the last letter (the second vowel)
        return word
    first = len(bare) - 2
    return unicodedata.normalize("NFC", bare[:first + 1] + tone + bare[first + 1:])


def normalize_tones(text: str) -> str:
    """Old-style tone placement in open oa/oe/uy moved to the first vowel; nothing else."""
    return _WORD.sub(lambda m: _move_tone(m.group(0)), text)


def normalize_text(text: str) -> str:
    """NFC with one tone-mark convention (hóa, khỏe, thủy)."""
    # NFC again: a moved tone next to a stray combining mark can leave a composable pair behind
    return unicodedata.normalize("NFC", normalize_tones(unicodedata.normalize("NFC", text)))


def fold(text: str) -> str:
    """Accent-insensitive form: no diacritics, đ → d, lower case."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")
