"""Document metadata read from the header, intro and signature block.

Type, number, date, issuer, level, province (old and post-2025), locality and signer.
Fields that are guessed rather than read are listed in ``inferred``; a sidecar CSV
(``corpus/metadata.csv``) lets users correct any field, and corrections win.
"""
from __future__ import annotations

import csv
import re
from dataclasses import fields
from pathlib import Path

from indexer.text import gazetteer
from indexer.records import DocumentMeta, Section

DOC_TYPES = [
    "Chương trình hành động", "Kế hoạch", "Nghị quyết", "Quyết định", "Chỉ thị", "Thông báo",
    "Báo cáo", "Đề án", "Thông tư", "Nghị định", "Luật", "Công văn", "Hướng dẫn", "Kết luận",
    "Chương trình", "Tờ trình",
]
_CODE_TYPES = {"CTr": "Chương trình hành động", "KH": "Kế hoạch", "NQ": "Nghị quyết",
               "QĐ": "Quyết định", "CT": "Chỉ thị", "TB": "Thông báo", "BC": "Báo cáo",
               "ĐA": "Đề án", "HD": "Hướng dẫn", "KL": "Kết luận", "TTr": "Tờ trình"}
_NUMBER = re.compile(r"^Số\s*:?\s*(\d*)\s*([/-])?\s*([A-ZĐ][A-Za-zĐđ]*(?:[-/][A-ZĐ][A-Za-zĐđ]*)+)")
_DATE = re.compile(r"(?:^|,\s*)ngày\s+(\d{1,2}|\s*)\s*tháng\s+(\d{1,2}|\s*)\s*năm\s+(\d{4})", re.I)
_PLACE_DATE = re.compile(r"^(.{2,40}?),\s*ngày\b", re.I)
_SIGN_ORGAN = re.compile(r"^(?:T/?M\.?|TM\.|KT\.|Q\.)\s*(.+)$", re.I)
_ISSUING_BODY = re.compile(
    r"(Ban Chấp hành Đảng bộ|Ban Thường vụ|UBND|Ủy ban nhân dân|Hội đồng nhân dân|HĐND)\s+"
    r"(tỉnh|thành phố|huyện|thị xã|Tỉnh ủy|Thành ủy|Huyện ủy|Thị ủy|quận|xã)\b[^.]{0,60}?\bban hành",
    re.I,
)
_LEVEL_WORDS = {"tỉnh": "tỉnh", "thành phố": "thành phố", "huyện": "huyện", "thị xã": "thị xã",
                "quận": "quận", "xã": "xã", "tỉnh ủy": "tỉnh", "thành ủy": "thành phố",
                "huyện ủy": "huyện", "thị ủy": "thị xã"}
_PARTY_ORGAN = {"tỉnh": "Tỉnh ủy", "thành phố": "Thành ủy", "huyện": "Huyện ủy", "thị xã": "Thị ủy",
                "quận": "Quận ủy", "xã": "Đảng ủy xã"}
_TITLE_CASE = {w.upper(): w for w in DOC_TYPES}


def extract_metadata(doc_id: str, file: str, sha256: str, text: str,
                     sections: list[Section]) -> DocumentMeta:
    """Read every metadata field from a cleaned, structured document."""
    preamble = [text[s.start:s.end] for s in sections if s.zone == "preamble"]
    closing = [text[s.start:s.end] for s in sections if s.zone == "closing"]
    header = preamble[:15]
    meta = DocumentMeta(doc_id=doc_id, file=file, sha256=sha256)
    meta.doc_type, meta.number = _type_and_number(header)
    meta.date, meta.year = _date(header)
    if meta.date is None and meta.year:
        year = meta.year
        meta.warnings.append(f"issue date left blank (draft?); year {year}")
    if meta.number is None:
        meta.warnings.append("document number left blank or not found")
    meta.title = _title(header, meta.doc_type)
    place = _place(header)
    level, organ = _issuing_body(text, header, closing)
    meta.level = level
    meta.signer = _signer(closing)
    _locate(meta, text, header, place, level)
    meta.issuer = _issuer(organ, level, meta)
    meta.province_current = gazetteer.current_province(meta.province)
    return meta


def _type_and_number(header: list[str]) -> tuple[str | None, str | None]:
    number, code = None, None
    for line in header:
        m = _NUMBER.match(line)
        if m:
            digits, sep, suffix = m.group(1), m.group(2) or "/", m.group(3)
            number = f"{digits}{sep}{suffix}" if digits else None
            code = re.split(r"[-/]", suffix)[0]
            break
    for line in header:
        upper = line.strip().upper()
        for candidate in sorted(_TITLE_CASE, key=len, reverse=True):
            if upper.startswith(candidate) and len(upper) <= len(candidate) + 60:
                return _TITLE_CASE[candidate], number
    return _CODE_TYPES.get(code or ""), number


def _date(header: list[str]) -> tuple[str | None, int | None]:
    for line in header:
        m = _DATE.search(line)
        if m and (line.lower().startswith("ngày") or _PLACE_DATE.match(line)):
            day, month, year = m.group(1).strip(), m.group(2).strip(), int(m.group(3))
            if day and month:
                return f"{year:04d}-{int(month):02d}-{int(day):02d}", year
            return None, year
    return None, None


def _title(header: list[str], doc_type: str | None) -> str:
    for i, line in enumerate(header):
        if doc_type and line.strip().upper().startswith(doc_type.upper()):
            rest = line.strip()[len(doc_type):].strip()
            subject = rest or (header[i + 1] if i + 1 < len(header) else "")
            return f"{doc_type} {subject[:1].lower()}{subject[1:]}".strip() if subject else doc_type
    return header[0] if header else ""


def _place(header: list[str]) -> str | None:
    for line in header:
        m = _PLACE_DATE.match(line.strip())
        if m:
            return re.sub(r"^(TP\.|Tp\.|Thành phố|TX\.)\s*", "", m.group(1)).strip()
    return None


def _issuing_body(text: str, header: list[str], closing: list[str]) -> tuple[str | None, str | None]:
    """(level, organ) of the issuer: organ is "party", "standing", "government" or None."""
    m = _ISSUING_BODY.search(text[:6000])
    if m:
        body, unit = m.group(1).lower(), m.group(2).lower()
        organ = "standing" if body == "ban thường vụ" else \
            "government" if body in ("ubnd", "ủy ban nhân dân") else \
            "council" if body in ("hội đồng nhân dân", "hđnd") else "party"
        return _LEVEL_WORDS.get(unit), organ
    for line in header:
        for word, level in (("TỈNH ỦY", "tỉnh"), ("THÀNH ỦY", "thành phố"), ("HUYỆN ỦY", "huyện")):
            if line.strip().upper().startswith(word):
                return level, "party"
        if line.strip().upper().startswith("ỦY BAN NHÂN DÂN"):
            return _level_in(line), "government"
    for line in closing:
        m = _SIGN_ORGAN.match(line.strip())
        if m:
            organ = m.group(1).upper()
            if "ỦY BAN NHÂN DÂN" in organ:
                return _level_in(organ), "government"
            for word, level in (("TỈNH ỦY", "tỉnh"), ("THÀNH ỦY", "thành phố"), ("HUYỆN ỦY", "huyện")):
                if word in organ:
                    return level, "party"
    return None, None


def _level_in(line: str) -> str | None:
    lower = line.lower()
    for word in ("thành phố", "tỉnh", "huyện", "thị xã", "quận", "xã"):
        if word in lower:
            return word
    return None


def _locate(meta: DocumentMeta, text: str, header: list[str], place: str | None,
            level: str | None) -> None:
    """Province and locality: from the header, else inferred from place names in the text."""
    header_text = "\n".join(header)
    province = gazetteer.find_province(header_text)
    locality = None
    if place:
        if place in gazetteer.province_names():
            province = province or place
        else:
            district_of = gazetteer.district_province(place)
            locality = place
            province = province or district_of
    if level in ("thành phố", "huyện", "thị xã", "quận") and not locality:
        locality = place or province
    if province is None:
        inferred, _votes = gazetteer.infer_province(text)
        if inferred:
            province = inferred
            meta.inferred.append("province")
            meta.warnings.append(f"province inferred from place names in the text: {inferred}")
    if locality and province and locality == province and level == "tỉnh":
        locality = None
    meta.province = province
    meta.locality = locality if level != "tỉnh" else None


def _issuer(organ: str | None, level: str | None, meta: DocumentMeta) -> str | None:
    where = meta.locality if level in ("thành phố", "huyện", "thị xã", "quận", "xã") else meta.province
    if not organ or not level or not where:
        return None
    if organ == "government":
        return f"UBND {level} {where}"
    if organ == "council":
        return f"HĐND {level} {where}"
    party = _PARTY_ORGAN.get(level, "Đảng ủy")
    prefix = "Ban Thường vụ " if organ == "standing" else ""
    return f"{prefix}{party} {where}"


def _signer(closing: list[str]) -> str | None:
    """The signer: the last line of the closing block that looks like a person's name."""
    for line in reversed(closing):
        words = line.strip().split()
        if 2 <= len(words) <= 5 and all(w[:1].isupper() and not w.isupper() for w in words):
            return line.strip()
    return None


def apply_corrections(meta: DocumentMeta, corrections: dict[str, dict[str, str]]) -> DocumentMeta:
    """Overwrite fields from the sidecar CSV; corrected fields are no longer 'inferred'."""
    row = corrections.get(meta.file) or corrections.get(meta.doc_id)
    if not row:
        return meta
    editable = {f.name for f in fields(DocumentMeta)} - {"doc_id", "file", "sha256", "inferred",
                                                         "warnings", "n_chunks", "year"}
    for key, value in row.items():
        if key in editable and value is not None and value.strip():
            setattr(meta, key, value.strip())
            if key in meta.inferred:
                meta.inferred.remove(key)
    if (row.get("date") or "").strip():
        meta.year = int(meta.date[:4]) if meta.date[:4].isdigit() else meta.year
    if (row.get("year") or "").strip().isdigit():
        meta.year = int(row["year"].strip())
    if "province" in row and row["province"].strip() and "province_current" not in row:
        meta.province_current = gazetteer.current_province(meta.province)
    return meta


def read_corrections(path: Path) -> dict[str, dict[str, str]]:
    """Rows of ``metadata.csv`` keyed by ``file`` (or ``doc_id``)."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {(r.get("file") or r.get("doc_id") or "").strip(): r for r in rows if r}
