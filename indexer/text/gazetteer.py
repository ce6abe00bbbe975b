"""Vietnamese provinces and districts from the `vietnamadminunits` package.

Provides the names to look for in a document and the post-2025 province of an old one.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from indexer.text.normalize import normalize_text


@dataclass(frozen=True)
class Place:
    name: str  # short name as written in documents: "Quảng Ngãi", "Thủy Nguyên"
    province: str  # short name of the (pre-2025) province it belongs to
    is_province: bool


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    """Every province and district (pre-2025 units, with the package's current names)."""
    from vietnamadminunits.parser.parser_legacy import DICT_PROVINCE, DICT_PROVINCE_DISTRICT

    found: list[Place] = []
    for key, info in DICT_PROVINCE.items():
        province = normalize_text(info["provinceShort"])
        found.append(Place(province, province, True))
        for district in DICT_PROVINCE_DISTRICT.get(key, {}).values():
            name = normalize_text(district["districtShort"])
            if not name[0].isdigit():
                found.append(Place(name, province, False))
    return tuple(found)


@lru_cache(maxsize=1)
def _place_pattern() -> re.Pattern[str]:
    names = sorted({p.name for p in places()}, key=len, reverse=True)
    return re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in names) + r")(?![\w])")


def province_names() -> list[str]:
    """Short names of the 63 pre-2025 provinces."""
    return [p.name for p in places() if p.is_province]


def find_province(text: str) -> str | None:
    """The province named in a short text (a header line or issuer), if exactly one is."""
    found = {p.province for p in places() if p.is_province and _contains(text, p.name)}
    return found.pop() if len(found) == 1 else None


def district_province(name: str) -> str | None:
    """Province of a district name, when the name is unambiguous."""
    provinces = {p.province for p in places() if not p.is_province and p.name == name}
    return provinces.pop() if len(provinces) == 1 else None


def infer_province(text: str) -> tuple[str | None, Counter[str]]:
    """Most likely province of a text from the places it names (provinces count triple)."""
    by_name: dict[str, list[Place]] = {}
    for p in places():
        by_name.setdefault(p.name, []).append(p)
    votes: Counter[str] = Counter()
    for m in _place_pattern().finditer(text):
        candidates = by_name[m.group(1)]
        provinces = {c.province for c in candidates}
        for c in candidates:
            votes[c.province] += (3 if c.is_province else 1) / len(provinces)
    if not votes:
        return None, votes
    best, score = votes.most_common(1)[0]
    return (best if score >= 2 else None), votes


def current_province(province: str | None) -> str | None:
    """The province's name after the 2025 merger of provinces."""
    if not province:
        return None
    from vietnamadminunits import convert_address

    try:
        unit = convert_address(province)
    except Exception:  # the package raises plain exceptions for unknown names
        return None
    return normalize_text(unit.short_province) if getattr(unit, "short_province", None) else None


def _contains(text: str, name: str) -> bool:
    return re.search(r"(?<![\w])" + re.escape(name) + r"(?![\w])", text, re.I) is not None
