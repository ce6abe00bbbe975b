"""Document facts with their evidence: number, date, signer, issuer, validity of one document.

Values come from the document record (DocumentMeta) when it has them, else from the printed
header and signature block of the cleaned text (Nghị định 30/2020/NĐ-CP layout: "Số: …",
"<place>, ngày … tháng … năm …", the signing position over the signer's name). Every fact
carries a quote — the exact header or signature lines it was read from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.records import DocumentMeta
from indexer.text.normalize import fold

_NUMBER_LINE = re.compile(r"(?m)^[\s|*]*Số\s*(?:hiệu)?\s*[:：]?[\s|*]*(\d[^\s|*]*(?:\s?/\s?[^\s|*]+)*)")
_DATE_LINE = re.compile(r"([A-ZĐÀ-Ỹ][^\n,|*()]{1,40}),\s*\**\s*ngày\s*\**\s*(\d{1,2})\s+tháng\s+(\d{1,2})\s+"
                        r"năm\s+(\d{4})")
_POSITION = re.compile(r"^(?:(?:TM|KT|TL|TUQ|Q|T/M)\.?\s+[^\n]*|[A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ \-]{3,60})$")
_SITE_FIELD = r"(?m)^\**{label}\**\s*:?\s*\**\s*\n?[\s|]*([^\n|]+)"
_EFFECT = re.compile(r"[^.\n]*có hiệu lực(?: thi hành)?(?: kể)? từ (?:ngày )?[^.\n;]*")
_TITLES = ("chủ tịch", "thủ tướng", "bộ trưởng", "thứ trưởng", "cục trưởng", "giám đốc", "bí thư",
           "trưởng ban", "chủ nhiệm", "tổng kiểm toán", "chánh văn phòng", "vụ trưởng", "hiệu trưởng",
           "tổng cục trưởng", "trưởng", "phó")


@dataclass
class Fact:
    field: str  # signer | number | date | issuer | doc_type | validity
    value: str
    quote: str  # the printed lines it was read from
    where: str  # "header" | "signature" | "site" | "body" | "record"


def squeeze(text: str) -> str:
    """Lines of a block joined with spaces, table pipes and markup stars dropped."""
    return re.sub(r"\s+", " ", re.sub(r"[|*]+", " ", text)).strip()


def number_fact(meta: DocumentMeta, text: str) -> Fact | None:
    for m in _NUMBER_LINE.finditer(text[:20000]):
        value = re.sub(r"\s+", "", m.group(1))
        if re.search(r"[A-Za-zĐđ]", value):
            return Fact("number", value, squeeze(m.group(0)), "header")
    if meta.number:
        return Fact("number", meta.number, meta.number, "record")
    return _site(text, "number", "Số hiệu")


def date_fact(meta: DocumentMeta, text: str) -> Fact | None:
    m = _DATE_LINE.search(text[:20000])
    if m:
        day, month, year = (int(m.group(i)) for i in (2, 3, 4))
        return Fact("date", f"{day}/{month}/{year}", squeeze(m.group(0)), "header")
    if meta.date:
        y, mo, d = meta.date.split("-")
        return Fact("date", f"{int(d)}/{int(mo)}/{y}", meta.date, "record")
    return _site(text, "date", "Ngày ban hành")


def signer_fact(meta: DocumentMeta, text: str) -> Fact | None:
    block = signature_block(text)
    if block:
        name, position, quote = block
        if not meta.signer or fold(meta.signer) == fold(name):
            value = f"{name} ({position})" if position else name
            return Fact("signer", value, quote, "signature")
    if meta.signer:
        position = getattr(meta, "signer_title", None)
        value = f"{meta.signer} ({position})" if position else meta.signer
        return Fact("signer", value, _around(text, meta.signer) or meta.signer, "record")
    return _site(text, "signer", "Người ký")


def issuer_fact(meta: DocumentMeta, text: str) -> Fact | None:
    if meta.issuer:
        parent = getattr(meta, "issuer_parent", None)
        value = f"{meta.issuer} ({parent})" if parent else meta.issuer
        return Fact("issuer", value, _header_organ(text) or meta.issuer, "header")
    organ = _header_organ(text)
    if organ:
        return Fact("issuer", organ.title() if organ.isupper() else organ, organ, "header")
    return _site(text, "issuer", "Nơi ban hành")


def doc_type_fact(meta: DocumentMeta, text: str) -> Fact | None:
    if meta.doc_type:
        return Fact("doc_type", meta.doc_type, meta.doc_type, "record")
    return _site(text, "doc_type", "Loại văn bản")


def validity_fact(meta: DocumentMeta, text: str) -> Fact | None:
    for m in _EFFECT.finditer(text):
        sentence = squeeze(m.group(0))
        if "Nghị định 13/2023" in sentence or "…" in sentence or "..." in sentence:
            continue  # site notices and blank templates
        return Fact("validity", sentence, sentence, "body")
    return _site(text, "validity", "Ngày hiệu lực")


FACTS = {"number": number_fact, "date": date_fact, "signer": signer_fact, "issuer": issuer_fact,
         "doc_type": doc_type_fact, "validity": validity_fact}


def document_fact(field: str, meta: DocumentMeta, text: str) -> Fact | None:
    """One fact of a document, with the printed lines that show it."""
    return FACTS[field](meta, text or "")


def signature_block(text: str) -> tuple[str, str, str] | None:
    """(signer, position, quoted block) of the first signature block: positions over a name."""
    lines = [ln.strip(" *|") for ln in text.split("\n")]
    for i, line in enumerate(lines):
        if not _is_position(line):
            continue
        j = i
        while j + 1 < len(lines) and _is_position(lines[j + 1]):
            j += 1
        name_lines = []
        k = j + 1
        while k < len(lines) and len(name_lines) < 3 and _name_part(lines[k]):
            name_lines.append(lines[k])
            k += 1
        name = " ".join(name_lines)
        if 2 <= len(name.split()) <= 5:
            start = max(i - 2, 0) if lines[max(i - 1, 0)].startswith(("TM", "T/M", "KT")) else i
            start = max(start, next((s for s in range(i, max(i - 3, -1), -1)
                                     if lines[s].startswith(("TM", "T/M"))), i))
            quote = " / ".join(x for x in lines[start:k] if x)
            position = lines[j]
            return name, position[:1] + position[1:].lower(), quote
    return None


def _is_position(line: str) -> bool:
    if not line or not _POSITION.match(line) or line != line.upper():
        return False
    low = line.lower()
    return any(t in low for t in _TITLES) or low.startswith(("tm", "kt", "tl", "t/m"))


def _name_part(line: str) -> bool:
    words = line.split()
    return bool(words) and len(words) <= 5 and all(w[0].isupper() and not w.isupper() or len(w) == 1
                                                   for w in words if w[0].isalpha()) and \
        all(w[0].isalpha() for w in words)


def _around(text: str, needle: str, width: int = 80) -> str | None:
    i = text.find(needle)
    if i < 0:
        return None
    return squeeze(text[max(0, i - width):i + len(needle)])


def _header_organ(text: str) -> str | None:
    """The issuing body's lines printed above "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"."""
    i = text.find("CỘNG HÒA XÃ HỘI")
    if i < 0:
        return None
    before = [ln.strip(" |*") for ln in text[max(0, i - 200):i].split("\n")]
    organ = [ln for ln in before if ln and ln == ln.upper() and re.search(r"[A-ZĐ]", ln)
             and "Tình trạng" not in ln]
    return " ".join(organ[-2:]) or None


def _site(text: str, field: str, label: str) -> Fact | None:
    m = re.search(_SITE_FIELD.format(label=re.escape(label)), text[:6000])
    if not m or not m.group(1).strip() or "cập nhật" in m.group(1) or "Đã biết" in m.group(1):
        return None
    return Fact(field, m.group(1).strip(), squeeze(m.group(0)), "site")
