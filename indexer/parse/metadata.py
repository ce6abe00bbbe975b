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

from indexer.parse import organs
from indexer.parse.header import read_header
from indexer.parse.layout import printed_lines
from indexer.text import gazetteer
from indexer.records import DocumentMeta, Notice, Section

_CODE_TYPES = {"CTr": "Chương trình hành động", "KH": "Kế hoạch", "NQ": "Nghị quyết",
               "QĐ": "Quyết định", "CT": "Chỉ thị", "TB": "Thông báo", "BC": "Báo cáo",
               "ĐA": "Đề án", "HD": "Hướng dẫn", "KL": "Kết luận", "TTr": "Tờ trình",
               "CĐ": "Công điện", "TT": "Thông tư", "NĐ": "Nghị định", "CV": "Công văn"}
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


def extract_metadata(doc_id: str, file: str, sha256: str, text: str,
                     sections: list[Section], raw_text: str | None = None) -> DocumentMeta:
    """Read every metadata field from the printed header and signature block.

    ``raw_text`` (the file as read, before cleaning) keeps the header's table cells and
    line breaks; without it the cleaned text is read. Fields not printed stay None and
    are reported in ``warnings``; a document without a printed issuer falls back to the
    issuing sentence of its introduction and to place names (marked ``inferred``).
    """
    meta = DocumentMeta(doc_id=doc_id, file=file, sha256=sha256)
    head = read_header(printed_lines(raw_text if raw_text is not None else text))
    meta.number, meta.date, meta.title = head.number, head.date, head.title or ""
    meta.year = head.year
    meta.doc_type = _doc_type(head)
    meta.signer, meta.signer_title, meta.structure = head.signer, head.signer_title, head.structure
    organs = head.organs or _authority_organs(head)
    if organs:
        _issuer_from_header(meta, organs)
    else:
        _issuer_from_text(meta, text, sections, head.place)
    meta.province_current = gazetteer.current_province(meta.province)
    _site_block_fallback(meta, raw_text or "")
    _warn_missing(meta, head)
    return meta


def _doc_type(head) -> str | None:
    """The printed type heading; a VBHN number makes a Văn bản hợp nhất; V/v a Công văn."""
    if head.number and re.search(r"[/-]VBHN\b", head.number):
        return "Văn bản hợp nhất"
    if head.doc_type:
        return head.doc_type
    if head.vv:
        return "Công văn"
    code = re.split(r"[-/]", head.number.split("/", 1)[1])[0] if head.number and "/" in head.number else ""
    return _CODE_TYPES.get(code)


def _authority_organs(head) -> list[str]:
    """The body named in the enacting line when the header's issuer cell is empty."""
    organ = organs.organ_of_authority(head.enacting) if head.enacting else None
    return [organ] if organ else []


def _issuer_from_header(meta: DocumentMeta, printed: list[str]) -> None:
    meta.issuer = organs.short_name(printed[-1])
    meta.issuer_parent = organs.short_name(printed[-2]) if len(printed) > 1 else None
    for organ in reversed(printed):
        place = organs.place_of(organ)
        if place:
            meta.level, meta.province, meta.locality = place.level, place.province, place.locality
            return
    if any(organs.is_national(o) for o in printed):
        meta.level = "trung ương"


def _issuer_from_text(meta: DocumentMeta, text: str, sections: list[Section], place: str | None) -> None:
    """No printed issuer: the issuing sentence ('UBND tỉnh ban hành …') and place names."""
    preamble = [text[s.start:s.end] for s in sections if s.zone == "preamble"]
    closing = [text[s.start:s.end] for s in sections if s.zone == "closing"]
    level, organ = _issuing_body(text, preamble[:15], closing)
    meta.level = level
    _locate(meta, text, preamble[:15], place, level)
    meta.issuer = _issuer(organ, level, meta)


def _warn_missing(meta: DocumentMeta, head) -> None:
    if meta.date is None and head.year:
        meta.warnings.append(Notice("date_blank", f"issue date left blank (draft?); year {head.year}"))
    if meta.number is None:
        meta.warnings.append(Notice("number_missing", "document number left blank or not found"
                                    if head.number_blank or not head.has_motto
                                    else "document number not found in the header"))
    for name, label in (("doc_type", "document type"), ("date", "issue date"), ("issuer", "issuer"),
                        ("signer", "signer"), ("title", "title (trích yếu)")):
        if not getattr(meta, name) and not any(label in w for w in meta.warnings):
            meta.warnings.append(Notice(f"{name}_missing", f"{label} not printed or not readable: chưa ghi"))


_SITE_FIELD = re.compile(r"^\**\s*(Số hiệu|Ngày ban hành|Người ký|Loại văn bản)\s*:?\**\s*:?\s*$", re.I)


def _site_block_fallback(meta: DocumentMeta, raw: str) -> None:
    """Low-priority fallback: the legal site's information block ('**Số hiệu:** …') fills
    number, date or signer only when the printed document lacks them; marked inferred."""
    if not raw or "Số hiệu" not in raw[:20000]:
        return
    values: dict[str, str] = {}
    lines = [ln.strip().strip("|").strip() for ln in raw[:20000].split("\n")]
    lines = [ln for ln in lines if ln]
    for i, line in enumerate(lines[:-1]):
        m = _SITE_FIELD.match(line)
        if m:
            values.setdefault(m.group(1).lower(), lines[i + 1].strip("* "))
    number = values.get("số hiệu", "")
    if meta.number is None and re.fullmatch(r"\d+[\w/.-]*[/-][\w/.-]+", number):
        meta.number = number
        meta.inferred.append("number")
    date = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", values.get("ngày ban hành", ""))
    if meta.date is None and date:
        meta.date = f"{date.group(3)}-{int(date.group(2)):02d}-{int(date.group(1)):02d}"
        meta.year = int(date.group(3))
        meta.inferred.append("date")
    signer = values.get("người ký", "")
    if meta.signer is None and re.fullmatch(r"[^\W\d_]+(?: [^\W\d_]+){1,4}", signer):
        meta.signer = signer
        meta.inferred.append("signer")
    for name in ("number", "date", "signer"):
        if name in meta.inferred:
            meta.warnings.append(Notice("site_block", f"{name} not printed in the document; taken from "
                                        f"the legal site's information block"))


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
            meta.warnings.append(Notice("province_inferred", f"province inferred from place names in the text: {inferred}"))
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
    """Rows of ``metadata.csv`` keyed by ``file`` (or ``doc_id``); dates turned into ISO.

    A date the user wrote as 22/9/2022 (or "ngày 22 tháng 9 năm 2022") is accepted; a value
    that is not a real date stops the build with CorrectionsError naming its line and column.
    """
    if not path.exists():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        _check_correction_dates(path, line, row)
    return {(r.get("file") or r.get("doc_id") or "").strip(): r for r in rows if r}


def _check_correction_dates(path: Path, line: int, row: dict) -> None:
    """Rewrite the date column of one corrections row as ISO, or raise CorrectionsError."""
    from indexer.errors import CorrectionsError
    from indexer.text.dates import DateError, parse_vn_date

    value = row.get("date")
    if value is None or not str(value).strip():
        return
    try:
        row["date"] = parse_vn_date(value)
    except DateError as exc:
        raise CorrectionsError(f"{path.name}, dòng {line}, cột date: {exc}",
                               "viết ngày dạng 22/9/2022 hoặc 2022-09-22 rồi chạy lại build "
                               "(write the date as 22/9/2022 or 2022-09-22, then build again)") from None
