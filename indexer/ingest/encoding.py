"""Text decoding: BOMs, UTF-8/UTF-16, legacy Vietnamese code pages (Windows-1258 …), chosen by
how Vietnamese the decoded text looks; the same score flags legacy-font (TCVN3/VNI) text."""
from __future__ import annotations

import codecs
import functools
import re
import unicodedata

from indexer.ingest.common import Reject
from indexer.records import Notice


_DETECT_SAMPLE = 256 * 1024  # bytes given to the encoding detector
_SCORE_SAMPLE = 64 * 1024  # characters scored for Vietnamese-ness
_BINARY_SHARE = 0.05  # control characters / replacement characters above this → not text


# =========================================================================== Vietnamese score

_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_SHAPE_MARKS = frozenset("\u0302\u0306\u031b")
_VI_LETTERS = frozenset("aăâbcdđeêghiklmnoôơpqrstuưvxy")
# Vowel nuclei as written (shape marks kept, tone removed). Those ending in a glide
# (ai, ao, ươu …) never take a final consonant.
_NUCLEI_OPEN = "ai ao au ay âu ây eo êu iu oi ôi ơi ui ưi ưu iêu yêu oai oao oay oeo uây uôi ươi ươu uyu"
_NUCLEI_CODA = "a ă â e ê i o ô ơ u ư y ia iê oa oă oe oo ua uâ uê uô uơ uy ưa ươ yê uya uyê"


def _alternation(words: str) -> str:
    return "|".join(sorted(words.split(), key=len, reverse=True))


_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    rf"(?:(?:{_alternation(_NUCLEI_OPEN)})|(?:{_alternation(_NUCLEI_CODA)})(?:ch|ng|nh|[cmnpt])?)"
)
# Split on whitespace and ASCII punctuation only: mojibake characters (», ‡, Ã…) must
# stay inside their token so that they make it invalid.
_TOKEN_SPLIT = re.compile(r"[\s!-/:-@\[-`{-~…“”‘’–—]+")
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f\ufffd]")
_BINARY_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")


@functools.lru_cache(maxsize=65536)
def _is_vietnamese_syllable(token: str) -> bool:
    decomposed = unicodedata.normalize("NFD", token.lower())
    if sum(ch in _TONE_MARKS for ch in decomposed) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    if any(ch not in _VI_LETTERS for ch in base):
        return False
    return _SYLLABLE.fullmatch(base) is not None


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN_SPLIT.split(text) if t and not any(ch.isdigit() for ch in t)]


def _vietnamese_score(text: str) -> float:
    """Share of word tokens that are valid Vietnamese syllables, minus a penalty for
    control and replacement characters. Used to rank candidate decodings."""
    sample = unicodedata.normalize("NFC", text[:_SCORE_SAMPLE])
    tokens = _tokens(sample)
    valid = sum(_is_vietnamese_syllable(t) for t in tokens)
    bad = len(_CONTROL.findall(sample))
    return valid / max(len(tokens), 1) - 5 * bad / max(len(sample), 1)


def _legacy_font_warning(text: str, warnings: list[str]) -> None:
    """Warn when extracted text has many non-ASCII words that are not Vietnamese
    (typical of TCVN3/VNI fonts without a Unicode mapping)."""
    sample = unicodedata.normalize("NFC", text[:_SCORE_SAMPLE])
    accented = [t for t in _tokens(sample) if not t.isascii()]
    if len(accented) >= 20 and sum(map(_is_vietnamese_syllable, accented)) < 0.3 * len(accented):
        warnings.append(Notice("legacy_font", "text does not look like Unicode Vietnamese (legacy TCVN3/VNI font encoding?)"))


# =========================================================================== text decoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _codec_name(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except (LookupError, TypeError, ValueError):
        return None


def _decode_text(data: bytes, warnings: list[str], hint: str | None = None) -> tuple[str, str]:
    """Decode bytes of a text file; returns (text, encoding name)."""
    text: str | None = None
    encoding: str | None = None
    strict = False  # decoded without any replacement: U+FFFD present are the file's own

    for bom, name in _BOMS:
        if data.startswith(bom):
            text, encoding = data.decode(name, errors="replace"), name
            break

    if text is None:
        guess = _utf16_without_bom(data)
        if guess is not None:
            text, encoding = guess

    if text is None:
        try:
            text, encoding, strict = data.decode("utf-8"), "utf-8", True
        except UnicodeDecodeError:
            pass

    if text is None or encoding is None:
        encoding = _best_legacy_encoding(data, hint)
        text = data.decode(encoding, errors="replace")

    if encoding == "cp1258":
        # Windows-1258 stores tone marks as combining characters.
        text = unicodedata.normalize("NFC", text)

    n_nul = text.count("\x00")
    if n_nul:
        text = text.replace("\x00", "")
    n_controls = len(_BINARY_CONTROL.findall(text))
    n_replaced = 0 if strict else text.count("\ufffd")
    if n_controls + n_replaced > _BINARY_SHARE * max(len(text), 1) or (n_nul and not text.strip()):
        if n_controls + n_nul >= n_replaced:
            raise Reject("binary data, not a text file")
        raise Reject("could not detect text encoding")
    if n_nul:
        warnings.append(Notice("nul_removed", f"removed {n_nul} NUL characters"))
    if n_replaced:
        warnings.append(Notice("undecodable", f"{n_replaced} undecodable byte sequences replaced with U+FFFD ({encoding})"))
    return text, encoding


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """BOM-less UTF-16: ASCII-heavy text has a NUL in every other byte."""
    sample = data[: 64 * 1024]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    zero_even, zero_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zero_odd > 0.2 and zero_even < 0.02:
        name = "utf-16-le"
    elif zero_even > 0.2 and zero_odd < 0.02:
        name = "utf-16-be"
    else:
        return None
    text = data.decode(name, errors="replace")
    if len(_CONTROL.findall(text[:_SCORE_SAMPLE])) > 0.01 * min(len(text), _SCORE_SAMPLE):
        return None
    return text, name


def _best_legacy_encoding(data: bytes, hint: str | None) -> str:
    """Not UTF-8: rank the detector's guesses plus cp1258 by how Vietnamese they read."""
    sample = data[:_DETECT_SAMPLE]
    # cp1258 goes first so that it wins ties: on short samples, a Western code page can
    # read Vietnamese bytes as plausible-looking syllables too.
    names: list[str] = [hint] if hint else []
    names.append("cp1258")
    try:
        import charset_normalizer

        names += [match.encoding for match in list(charset_normalizer.from_bytes(sample))[:4]]
    except Exception:  # the detector must never break ingestion
        pass
    names.append("utf-8")

    seen: set[str] = set()
    best_name, best_score = "utf-8", float("-inf")
    for raw in names:
        name = _codec_name(raw)
        if name is None or name in seen:
            continue
        seen.add(name)
        try:
            decoded = sample.decode(name, errors="replace")
        except Exception:  # exotic codecs may not support errors="replace"
            continue
        score = _vietnamese_score(decoded)
        if score > best_score + 1e-9:
            best_name, best_score = name, score
    return best_name
