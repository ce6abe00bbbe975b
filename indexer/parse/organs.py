"""Names and levels of issuing bodies as printed in a header ('ỦY BAN NHÂN DÂN / TỈNH BẮC NINH').

Short names follow the usual written forms: 'UBND tỉnh Bắc Ninh', 'HĐND thành phố Hà Nội',
'Tỉnh ủy Hà Tĩnh', 'Cục Hải quan', 'Bộ Văn hóa, Thể thao và Du lịch'. Levels: 'trung ương'
for national bodies and their departments; 'tỉnh' for provinces and centrally-run cities
and their departments; 'thành phố' / 'huyện' / 'quận' / 'thị xã' / 'xã' below.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.parse.layout import title_case
from indexer.text import gazetteer
from indexer.text.normalize import fold, normalize_text

_UNITS = r"TỈNH|THÀNH PHỐ|TP\.?|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG|ĐẶC KHU|THỊ TRẤN"
_LOCAL = re.compile(rf"^(?P<body>ỦY BAN NHÂN DÂN|UBND|HỘI ĐỒNG NHÂN DÂN|HĐND)\s+(?P<unit>{_UNITS})\s+(?P<name>.+)$")
_PARTY = re.compile(r"^(?:(?P<standing>BAN THƯỜNG VỤ)\s+)?(?P<body>TỈNH ỦY|THÀNH ỦY|HUYỆN ỦY|QUẬN ỦY|"
                    r"THỊ ỦY|ĐẢNG ỦY)\s+(?P<name>.+)$")
_PARTY_UNIT = {"TỈNH ỦY": "TỈNH", "THÀNH ỦY": "THÀNH PHỐ", "HUYỆN ỦY": "HUYỆN", "QUẬN ỦY": "QUẬN",
               "THỊ ỦY": "THỊ XÃ", "ĐẢNG ỦY": "XÃ"}
_PARTY_COMMITTEE = re.compile(rf"^ĐẢNG BỘ\s+(?P<unit>{_UNITS})\s+(?P<name>.+)$")
_UNIT_SUFFIX = re.compile(rf"\b(?P<unit>{_UNITS})\s+(?P<name>[^,]+)$")
HEADS = ("Bộ Chỉ huy quân sự", "Kho bạc Nhà nước", "Bảo hiểm xã hội", "Ban Chỉ đạo", "Tổng cục",
          "Chi cục", "Cục", "Sở", "Trung tâm", "Văn phòng", "Ban", "Vụ", "Viện", "Thuế", "Bộ",
          "Ủy ban", "Hội đồng", "Thanh tra", "Công an", "Đảng bộ", "Đảng ủy", "Trường", "Bệnh viện")
# (the heads of body names: "Sở Tài chính", "Cục Hải quan", "Bộ Chỉ huy quân sự tỉnh …")
_CENTRAL_HEADS = ("BỘ ", "CỤC ", "TỔNG CỤC ", "VỤ ", "BAN CHỈ ĐẠO TRUNG ƯƠNG", "BAN CHỈ ĐẠO QUỐC GIA")
_LEVEL_OF_UNIT = {"TỈNH": "tỉnh", "HUYỆN": "huyện", "QUẬN": "quận", "THỊ XÃ": "thị xã", "XÃ": "xã",
                  "PHƯỜNG": "xã", "ĐẶC KHU": "xã", "THỊ TRẤN": "xã"}


@dataclass
class Place:
    level: str | None
    province: str | None
    locality: str | None


def short_name(organ: str) -> str:
    """'ỦY BAN NHÂN DÂN THÀNH PHỐ CẦN THƠ' → 'UBND thành phố Cần Thơ'."""
    organ = normalize_text(re.sub(r"\s+", " ", organ).strip(" ,.*"))
    national = gazetteer.national_body(organ)
    if national:
        return national
    upper = organ.upper()
    m = _LOCAL.match(upper)
    if m:
        body = "UBND" if m.group("body") in ("ỦY BAN NHÂN DÂN", "UBND") else "HĐND"
        return f"{body} {_unit(m.group('unit'))} {title_case(m.group('name'))}"
    m = _PARTY.match(upper)
    if m:
        body = m.group("body").capitalize()
        standing = "Ban Thường vụ " if m.group("standing") else ""
        return f"{standing}{body} {title_case(m.group('name'))}"
    m = _PARTY_COMMITTEE.match(upper)
    if m:
        return f"Đảng bộ {_unit(m.group('unit'))} {title_case(m.group('name'))}"
    for head in sorted(HEADS, key=len, reverse=True):
        if upper.startswith(head.upper() + " "):
            return f"{head} {_rest(organ[len(head):].strip())}"
    return organ if not organ.isupper() else organ.capitalize()


def _unit(unit: str) -> str:
    return "thành phố" if unit.startswith("TP") else unit.lower()


def _rest(rest: str) -> str:
    """The specific part of a name: first word capitalised, place names kept."""
    if _LOCAL.match(rest.upper()):
        return short_name(rest)
    m = _UNIT_SUFFIX.search(rest.upper())
    before, place = rest, ""
    if m and _is_place(m.group("name")):
        before = rest[:m.start()].strip()
        place = f"{_unit(m.group('unit'))} {title_case(m.group('name'))}"
    words = before.lower().split()
    if words:
        words[0] = words[0].capitalize()
    return " ".join(words + ([place] if place else [])).strip()


def _is_place(name: str) -> bool:
    key = fold(name)
    return any(fold(p.name) == key for p in gazetteer.places()) or \
        any(fold(c) == key for c in gazetteer.CENTRAL_CITIES)


def place_of(organ: str) -> Place | None:
    """Level, province and locality of a local body; None when the name has no local unit."""
    upper = re.sub(r"\s+", " ", organ).strip().upper()
    unit, name = None, None
    for pattern in (_LOCAL, _PARTY_COMMITTEE):
        m = pattern.match(upper)
        if m:
            unit, name = m.group("unit"), m.group("name")
            break
    if unit is None:
        m = _PARTY.match(upper)
        if m:
            unit, name = _PARTY_UNIT[m.group("body")], m.group("name")
    if unit is None:
        m = _UNIT_SUFFIX.search(upper)
        if m and _is_place(m.group("name")):
            unit, name = m.group("unit"), m.group("name")
    if unit is None or name is None:
        return None
    name = title_case(name.strip(" ,."))
    unit = "THÀNH PHỐ" if unit.startswith("TP") else unit
    if unit == "TỈNH" or unit == "THÀNH PHỐ" and name in gazetteer.CENTRAL_CITIES:
        return Place("tỉnh", name, None)
    if unit == "THÀNH PHỐ":
        province = name if name in gazetteer.province_names() else gazetteer.district_province(name)
        return Place("thành phố", province, name)
    level = _LEVEL_OF_UNIT.get(unit)
    province = gazetteer.district_province(name) if level in ("huyện", "quận", "thị xã") else None
    return Place(level, province, name)


def is_national(organ: str) -> bool:
    """A national body, or a department of one (Bộ …, Cục …, Vụ …)."""
    upper = re.sub(r"\s+", " ", organ).strip().upper()
    return bool(gazetteer.national_body(organ)) or upper.startswith(_CENTRAL_HEADS)


def organ_of_authority(line: str) -> str | None:
    """The body in an enacting-authority line: 'CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH X' → 'ỦY BAN …'."""
    plain = re.sub(r"\s+", " ", line).strip(" :")
    if gazetteer.national_body(plain):
        return plain
    title = gazetteer.position(plain)
    if title:
        rest = plain[len(title):].strip()
        return rest or None
    return plain if _LOCAL.match(plain.upper()) or _PARTY.match(plain.upper()) else None
