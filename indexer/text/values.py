"""Asked values: which kind of value a question asks for, and how documents print it.

One table shared by search (a prior for the clauses that print the asked value) and answers (the
sentence and the phrase that state it). Every regex here works on folded text (``fold``: no
diacritics, lower case); printed values are looked for in :func:`value_text`, which also reads
superscripts as digits (m² → m2) and blanks the dates of cited documents ("Nghị định
151/2025/NĐ-CP ngày 12/6/2025" dates that decree, it is no deadline).

Each kind has three cues on the question:

* ``asks``: words that alone ask for the kind ("bao lâu", "trước ngày nào", "kích thước");
* ``names``: nouns naming such a value ("lệ phí", "tỷ lệ", "thời hạn"): they ask for it with
  "bao nhiêu / how much / what";
* ``hints``: weaker words, trusted only for a question already known to ask a value ("how much",
  "thời điểm").

A count ("bao nhiêu / mấy / how many" + unit) is printed as digits or spelled out ("một lần",
"0,5 ngày công"); a unit may be one or two syllables ("km", "ngày công", "thủ tục").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from indexer.text.normalize import fold
from indexer.text.stopwords import FOLDED as FOLDED_STOPWORDS, STOPWORDS

__all__ = ["KINDS", "NUMBER", "COUNT", "SEARCH_ORDER", "ValueKind", "asked_kind", "asked_unit", "count_pattern",
           "expected_pattern", "kinds_hinted", "printed", "prints", "search_pattern", "value_text"]

# a number as printed (0,5 / 1.200 / 12), and a count that may be spelled out ("một lần", "hai cấp")
NUMBER = r"\d[\d.,]*\s*"
# (folded: "ba, năm, sáu, bảy, tám" are left out, they fold like "bà, năm (year), sau (after), bay, tạm")
COUNT = r"(\d[\d.,]*|\b(mot|hai|bon|chin|muoi))\s*"
_DATE = (r"ngay \d{1,2}\b|\b\d{1,2}/\d{1,2}(/\d{2,4})?\b|\b\d{1,2}\s*thang\s*\d{1,2}\b|thang \d{1,2}\b|"
         r"quy\s+([ivx]+|[1-4])\b")
_YEAR = r"nam \d{4}\b"


@dataclass(frozen=True)
class ValueKind:
    """A kind of value: the cues that ask for it (folded question) and how it is printed (folded text)."""

    name: str
    printed: str
    asks: str = ""
    names: str = ""
    hints: str = ""


def _words(*alternatives: str) -> str:
    return r"\b(" + "|".join(alternatives) + r")\b" if alternatives else ""


KINDS: dict[str, ValueKind] = {k.name: k for k in [
    ValueKind("duration", NUMBER + r"(gio|ngay|thang|nam|tuan|phut)\b",
              asks=_words("bao lau", "how long", "within how many", r"thoi han (la )?bao nhieu"),
              names=_words("thoi gian", "thoi han", "duration")),
    ValueKind("date", _DATE,
              asks=_words("truoc ngay nao", "ngay nao", "han chot", "deadline", "by when", "by what date",
                          "what date")),
    ValueKind("when", f"({_DATE}|{_YEAR})",
              asks=_words("khi nao", "thoi diem nao", "luc nao", "bao gio", "thoi han nao", "when"),
              hints=_words("thoi diem")),
    ValueKind("year", _YEAR, asks=_words("nam nao", "which year", "what year")),
    ValueKind("distance", NUMBER + r"(km|m|hai ly)\b", asks=_words("bao xa", "how far"),
              names=_words("khoang cach", "distance"), hints=r"\bcach .* bao nhieu\b"),
    ValueKind("percent", NUMBER + r"(%|phan tram\b)", asks=_words("bao nhieu phan tram", "what percentage"),
              names=_words("ty le", "phan tram", "percent", "percentage", "rate", "share")),
    ValueKind("money", NUMBER + r"(dong|trieu|ty|nghin|vnd|usd)\b|\b\d{1,3}(\.\d{3}){1,4}\b",  # 1.400.000 in a table
              names=_words("phi", "le phi", "gia", "muc thu", "so tien", "muc tien", "tien (luong|thuong|phat)",
                           "kinh phi", "von", "chi phi", "muc phat", "phat tien", "muc luong", "luong co so",
                           "tro cap", "muc ho tro", "ngan sach", "amount", "fee", "fees", "cost", "price",
                           "fine", "budget", "allowance", "salary"),
              hints=_words("how much", "bao nhieu tien")),
    ValueKind("size", NUMBER + r"(mm|cm|m|km|m2|km2|ha)\b",
              asks=_words("kich thuoc", "kich co", "rong bao nhieu", "dai bao nhieu", "cao bao nhieu",
                          "what size", "how big", "how large", "how wide", "how long is", "dimensions?"),
              names=_words("size")),
    ValueKind("area", NUMBER + r"(ha|m2|km2)\b", asks=_words("dien tich bao nhieu", "how much area"),
              names=_words("dien tich", "(land|total|floor|forest) area"), hints=_words("area")),
    # a classification code (HS code 7106.92.00, ngành 4933): groups of digits joined by dots
    ValueKind("code", r"\b\d{2,4}(?:\.\d{2,4}){1,3}\b",
              asks=_words("ma hs", "hs code", "ma hang", "ma nganh", "what code", "which code"),
              names=_words("ma so"), hints=_words("code")),
]}

# Search asks for ONE kind, the first found in this order: (kind, which cue); "count" is the unit
# after "bao nhiêu / mấy / how many" (a unit naming a kind — "bao nhiêu tiền" — gives that kind).
SEARCH_ORDER: list[tuple[str, str]] = [
    ("duration", "asks"), ("area", "asks"), ("size", "asks"), ("distance", "asks"), ("percent", "asks"),
    ("percent", "names"), ("count", ""), ("money", "names"), ("duration", "names"), ("area", "names"),
    ("distance", "names"), ("code", "asks"), ("code", "names"), ("date", "asks"), ("when", "asks"),
    ("year", "asks"),
]
_HOW_MUCH = re.compile(r"\b(bao nhieu|how much|how many|what)\b")

# the unit after "bao nhiêu / mấy / how many / how much" ("mấy" with its accents: "máy" is no question word)
_ASKS_COUNT = re.compile(r"\b(?:bao nhi[êe]u|how many|how much)\s+(\w+)(?:\s+(\w+))?")
_NOT_UNITS = {"vào", "cho", "trên", "được", "là", "ở", "tại", "của", "trong", "với", "và", "the", "is", "are",
              "of", "do", "does", "did", "was", "were", "it", "they", "there"} | STOPWORDS
_NOT_SECOND = _NOT_UNITS | {"mỗi", "người", "năm"}  # "bao nhiêu m2 mỗi người", "bao nhiêu lần/người"
_FOLDED_NOT_UNITS, _FOLDED_NOT_SECOND = ({fold(w) for w in ws} | FOLDED_STOPWORDS for ws in (_NOT_UNITS, _NOT_SECOND))
_UNIT_KINDS = {"tien": "money", "dong": "money", "money": "money", "vnd": "money", "phan": "percent",
               "percent": "percent", "lau": "duration"}  # not "xa": "bao nhiêu xã" counts communes


def _lowered(question: str) -> str:
    return re.sub(r"\bmấy\b", "bao nhiêu", unicodedata.normalize("NFC", question).lower())


def _folded_question(question: str) -> str:
    return " ".join(re.findall(r"[\w%]+", fold(_lowered(question))))


def _among(word: str, accented: set[str], folded: set[str]) -> bool:
    """Whether a word is one of a list: "thì" is a stop word, "thị" (đô thị) is not; "đô" is no
    English "do"; an unaccented word is judged folded."""
    return word in accented or (fold(word) == word and word in folded)


def asked_unit(question: str) -> tuple[str, ...] | None:
    """The unit a count question asks for, folded: "mấy lần" → ("lan",), "bao nhiêu ngày công" →
    ("ngay", "cong"), "bao nhiêu tiền" → ("tien",); None if the word after it is no unit."""
    m = _ASKS_COUNT.search(_lowered(question))
    if not m:
        return None
    (first, second), (raw_first, raw_second) = [fold(w) if w else w for w in m.groups()], m.groups()
    if _among(raw_first, _NOT_UNITS, _FOLDED_NOT_UNITS) or first.isdigit() or (second or "").isdigit():
        return None  # "bao nhiêu là đủ", "đạt bao nhiêu năm 2030"
    if second is None or first in _UNIT_KINDS or _among(raw_second, _NOT_SECOND, _FOLDED_NOT_SECOND):
        return (first,)
    return (first, second)


def count_pattern(unit: tuple[str, ...]) -> str:
    """How a count of ``unit`` is printed: digits or a spelled number, then the unit."""
    return COUNT + r"\s+".join(re.escape(w) for w in unit) + r"\b"


def _unit_pattern(question: str) -> str | None:
    unit = asked_unit(question)
    if unit is None:
        return None
    return printed(_UNIT_KINDS[unit[0]]) if unit[0] in _UNIT_KINDS else count_pattern(unit)


def printed(kind: str) -> str:
    """The regex of a value of ``kind`` as documents print it (on :func:`value_text`)."""
    return KINDS[kind].printed


def _matches(cue: str, folded: str) -> bool:
    return bool(cue) and re.search(cue, folded) is not None


def asked_kind(question: str) -> str | None:
    """The one kind of value a question asks for, by :data:`SEARCH_ORDER` ("count": a unit)."""
    folded = _folded_question(question)
    for name, cue in SEARCH_ORDER:
        if name == "count":
            unit = asked_unit(question)
            if unit is not None:
                return _UNIT_KINDS.get(unit[0], "count")
            continue
        kind = KINDS[name]
        if cue == "asks" and _matches(kind.asks, folded):
            return name
        if cue == "names" and _matches(kind.names, folded) and _HOW_MUCH.search(folded):
            return name
    return None


def search_pattern(question: str) -> str | None:
    """The regex of the one value a query asks for (search: a deadline's clause may print any date)."""
    kind = asked_kind(question)
    if kind is None:
        return None
    if kind == "count":
        return count_pattern(asked_unit(question) or ())
    return printed("when" if kind == "date" else kind)


def kinds_hinted(question: str) -> list[str]:
    """Every kind a value question may ask for (any cue: asks, names or hints)."""
    folded = _folded_question(question)
    return [k.name for k in KINDS.values() if any(_matches(c, folded) for c in (k.asks, k.names, k.hints))]


def expected_pattern(question: str) -> str | None:
    """The regex of every value a value question may expect (answers: any cue, and the count's unit)."""
    patterns = [printed(k) for k in kinds_hinted(question)]
    unit = _unit_pattern(question)
    if unit:
        patterns.append(unit)
    return "|".join(f"(?:{p})" for p in dict.fromkeys(patterns)) or None


# "Tờ trình số 6453/TTr-SNV ngày 28 tháng 10 năm 2025", "Nghị định 151/2025/NĐ-CP ngày 12/6/2025" (folded)
_CITED_DATE = re.compile(r"\d{1,6}/[\w./-]{1,40},?\s+ngay\s+(\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}|"
                         r"\d{1,2}\s+thang\s+\d{1,2}\s+nam\s+\d{4})")
_SUPERSCRIPT = str.maketrans("²³", "23")


@lru_cache(maxsize=65536)
def value_text(text: str) -> str:
    """Folded text where values are looked for: m² read as m2, cited documents' dates blanked (cached)."""
    return _CITED_DATE.sub(" ", fold(text).translate(_SUPERSCRIPT))


def prints(pattern: str, text: str) -> bool:
    """Whether a text prints a value matching ``pattern`` (a regex from this module)."""
    return re.search(pattern, value_text(text)) is not None
