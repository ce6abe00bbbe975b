"""Citations written the way Vietnamese lawyers and analysts cite a clause.

* Legal (Điều-structured) text, unit first: "điểm a khoản 2 Điều 5 Nghị quyết số
  71/2025/NQ-HĐND ngày 27/11/2025 của HĐND thành phố Hà Nội";
* an attached regulation or appendix named: "Điều 3 Quy định ban hành kèm theo Quyết định
  số 71/2025/QĐ-UBND ngày 26/11/2025 của UBND thành phố Hà Nội";
* administrative (section-numbered) text, document first: "Kế hoạch số 151/KH-UBND ngày
  22/9/2022 của UBND tỉnh Quảng Ngãi, mục II.2.b".
Documents without a number or date are still cited unambiguously (year, file).
"""
from __future__ import annotations

from indexer.records import Chunk, DocumentMeta

_LEGAL_PREFIXES = ("Phần ", "Chương ", "Mục ", "Tiểu mục ", "Điều ", "khoản ", "điểm ")
_ZONE_REFERENCES = {"preamble": "phần mở đầu", "closing": "phần cuối", "en": "bản dịch tiếng Anh",
                    "site": "thông tin văn bản trên trang nguồn"}


def format_date(iso: str | None) -> str | None:
    """'2022-09-22' → '22/9/2022' (the usual Vietnamese form)."""
    if not iso:
        return None
    try:
        year, month, day = (int(x) for x in iso.split("-"))
    except ValueError:
        return iso
    return f"{day}/{month}/{year}"


def cite_document(meta: DocumentMeta) -> str:
    """The document part of a citation."""
    parts = [meta.doc_type or "Văn bản"]
    if meta.number:
        parts.append(f"số {meta.number}")
    date = format_date(meta.date)
    if date:
        parts.append(f"ngày {date}")
    if meta.issuer:
        parts.append(f"của {meta.issuer}")
    elif meta.province:
        parts.append(f"({meta.province})")
    text = " ".join(parts)
    if not meta.number or not meta.date:
        missing = "chưa ghi số, ngày" if not meta.number and not meta.date else \
            "chưa ghi số" if not meta.number else "chưa ghi ngày"
        text += f" ({missing}; tệp {meta.file})"
    return text


def _split(labels: list[str]) -> tuple[str | None, list[str]]:
    annex = next((label for label in labels if "kèm theo" in label), None)
    return annex, [label for label in labels if "kèm theo" not in label]


def unit_reference(labels: list[str]) -> str:
    """'điểm a khoản 2 Điều 5' from ['Chương II', 'Điều 5', 'khoản 2', 'điểm a'];
    'mục II.2.b' from ['II', '2', 'b']."""
    if not labels:
        return ""
    if not any(label.startswith(_LEGAL_PREFIXES) for label in labels):
        return "mục " + ".".join(labels)
    articles = [i for i, label in enumerate(labels) if label.startswith("Điều ")]
    units = labels[articles[-1]:] if articles else labels
    words, bare = [], []
    for label in reversed(units):
        if label.startswith(_LEGAL_PREFIXES):
            if bare:
                words.append("mục " + ".".join(reversed(bare)))
                bare = []
            words.append(label)
        else:
            bare.append(label)
    if bare:
        words.append("mục " + ".".join(reversed(bare)))
    return " ".join(words)


def section_reference(chunk: Chunk) -> str:
    """'mục II.2.b', 'điểm a khoản 2 Điều 5', 'phần mở đầu' or 'phần cuối'."""
    if chunk.zone in _ZONE_REFERENCES:
        return _ZONE_REFERENCES[chunk.zone]
    annex, labels = _split(chunk.section_labels)
    reference = unit_reference(labels)
    if annex:
        reference = f"{reference} {annex}".strip()
    return reference or "phần nội dung"


def cite(meta: DocumentMeta, chunk: Chunk) -> str:
    """Full citation of a clause."""
    document = cite_document(meta)
    if chunk.zone in _ZONE_REFERENCES:
        return f"{document}, {_ZONE_REFERENCES[chunk.zone]}"
    annex, labels = _split(chunk.section_labels)
    reference = unit_reference(labels)
    if annex:
        return f"{reference} {annex} {document}".strip()
    if reference and reference.split()[0] in ("Phần", "Chương", "Mục", "Tiểu", "Điều", "khoản", "điểm"):
        return f"{reference} {document}"
    return f"{document}, {reference or 'phần nội dung'}"
