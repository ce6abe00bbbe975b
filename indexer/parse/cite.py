"""Citations written the way Vietnamese analysts cite a clause.

"Kế hoạch số 151/KH-UBND ngày 22/9/2022 của UBND tỉnh Quảng Ngãi, mục II.2.b"
Documents without a number or date are still cited unambiguously (year, file).
"""
from __future__ import annotations

from indexer.records import Chunk, DocumentMeta


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


def section_reference(chunk: Chunk) -> str:
    """'mục II.2.b', 'phần mở đầu' or 'phần cuối'."""
    if chunk.zone == "preamble":
        return "phần mở đầu"
    if chunk.zone == "closing":
        return "phần cuối"
    if chunk.section_labels:
        return "mục " + ".".join(chunk.section_labels)
    return "phần nội dung"


def cite(meta: DocumentMeta, chunk: Chunk) -> str:
    """Full citation of a clause."""
    return f"{cite_document(meta)}, {section_reference(chunk)}"
