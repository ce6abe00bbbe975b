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


# --- national bodies, positions and ranks (names as the institutions write them) -------------

# Bodies whose documents are national ("trung ương"), with their official short spelling.
NATIONAL_BODIES = (
    "Quốc hội", "Ủy ban Thường vụ Quốc hội", "Hội đồng Dân tộc", "Văn phòng Quốc hội",
    "Chủ tịch nước", "Văn phòng Chủ tịch nước", "Chính phủ", "Thủ tướng Chính phủ",
    "Văn phòng Chính phủ", "Kiểm toán nhà nước", "Tòa án nhân dân tối cao",
    "Viện kiểm sát nhân dân tối cao", "Ngân hàng Nhà nước Việt Nam", "Thanh tra Chính phủ",
    "Ban Chấp hành Trung ương", "Bộ Chính trị", "Ban Bí thư", "Văn phòng Trung ương Đảng",
    "Ủy ban Trung ương Mặt trận Tổ quốc Việt Nam", "Bảo hiểm xã hội Việt Nam",
    "Đài Truyền hình Việt Nam", "Đài Tiếng nói Việt Nam", "Thông tấn xã Việt Nam",
    "Bộ Quốc phòng", "Bộ Công an", "Bộ Ngoại giao", "Bộ Nội vụ", "Bộ Tư pháp", "Bộ Tài chính",
    "Bộ Công Thương", "Bộ Nông nghiệp và Môi trường", "Bộ Xây dựng", "Bộ Văn hóa, Thể thao và Du lịch",
    "Bộ Khoa học và Công nghệ", "Bộ Giáo dục và Đào tạo", "Bộ Y tế", "Bộ Dân tộc và Tôn giáo",
    "Bộ Kế hoạch và Đầu tư", "Bộ Giao thông vận tải", "Bộ Tài nguyên và Môi trường",
    "Bộ Thông tin và Truyền thông", "Bộ Lao động - Thương binh và Xã hội",
    "Bộ Nông nghiệp và Phát triển nông thôn", "Ủy ban Dân tộc",
)
# Centrally-run cities (thành phố trực thuộc trung ương) after 2025: provincial level.
CENTRAL_CITIES = ("Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế")

# Positions printed above a signer's name, longest first when matched (sentence case).
POSITIONS = (
    "Phó Thủ tướng Thường trực", "Phó Thủ tướng", "Thủ tướng", "Phó Chủ tịch nước", "Chủ tịch nước",
    "Phó Chủ tịch Thường trực", "Phó Chủ tịch", "Chủ tịch", "Thứ trưởng", "Bộ trưởng",
    "Phó Chủ nhiệm", "Chủ nhiệm", "Phó Tổng Kiểm toán nhà nước", "Tổng Kiểm toán nhà nước",
    "Phó Tổng cục trưởng", "Tổng cục trưởng", "Phó Cục trưởng", "Cục trưởng",
    "Phó Chi cục trưởng", "Chi cục trưởng", "Phó Trưởng ban", "Trưởng ban", "Phó Giám đốc",
    "Giám đốc", "Phó Tổng Giám đốc", "Tổng Giám đốc", "Phó Bí thư Thường trực", "Phó Bí thư",
    "Bí thư", "Tổng Bí thư", "Phó Chánh Văn phòng", "Chánh Văn phòng", "Phó Chánh án", "Chánh án",
    "Phó Viện trưởng", "Viện trưởng", "Phó Trưởng phòng", "Trưởng phòng", "Phó Thống đốc",
    "Thống đốc", "Phó Tổng Thanh tra", "Tổng Thanh tra", "Phó Chánh Thanh tra", "Chánh Thanh tra",
    "Phó Hiệu trưởng", "Hiệu trưởng", "Phó Vụ trưởng", "Vụ trưởng", "Phó Tổng Giám đốc",
    "Phó Trưởng đoàn", "Trưởng đoàn", "Ủy viên",
)
# Military and police ranks printed before a signer's name (not part of the name).
RANKS = ("Đại tướng", "Thượng tướng", "Trung tướng", "Thiếu tướng", "Đại tá", "Thượng tá",
         "Trung tá", "Thiếu tá", "Đại úy", "Thượng úy", "Trung úy", "Thiếu úy",
         "Đô đốc", "Phó Đô đốc", "Chuẩn Đô đốc")


def national_body(name: str) -> str | None:
    """The official spelling of a national body named (in any case), else None."""
    key = re.sub(r"\s+", " ", name).strip().casefold().replace("uỷ", "ủy")
    for body in NATIONAL_BODIES:
        if body.casefold() == key:
            return body
    return None


def position(line: str) -> str | None:
    """The position a signature line starts with ("PHÓ CHỦ TỊCH" → "Phó Chủ tịch")."""
    key = re.sub(r"\s+", " ", line).strip().casefold()
    for title in sorted(POSITIONS, key=len, reverse=True):
        if key == title.casefold() or key.startswith(title.casefold() + " "):
            return title
    return None
