"""Exports of cited passages: CSV, XLSX, DOCX, Markdown and JSON.

Pure functions, no Streamlit: the app (and anyone else) turns search results, answer
sentences or topic evidence into `ExportRow`s — each with its full citation and the
document's metadata — and serialises a list of them.

Spreadsheet safety: a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (their
fullwidth forms ＝ ＋ － ＠ too, or a tab / carriage return) would be read by Excel or
LibreOffice as a formula ("CSV injection"). In CSV, `neutralise_formula` prefixes such cells
with an apostrophe ("- Tỷ lệ …" → "'- Tỷ lệ …"), the only means CSV has. In XLSX every cell is
an explicit string cell (never a formula) and formula-like ones also carry Excel's
"quote prefix" style, so the cell holds exactly the document's text.

XML safety: characters XML 1.0 cannot hold (C0 controls, U+FFFE, U+FFFF, lone surrogates)
are removed from XLSX and DOCX text. Markdown: document text, citations and file names are
escaped (:func:`indexer.text.escape.md_escape`), so no link or image from a document is live.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass, fields
from collections.abc import Iterable, Mapping

from indexer.records import DocumentMeta
from indexer.text.escape import md_escape
from indexer.errors import ExportError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
XLSX_MAX_CELL = 32767  # Excel's limit on characters in one cell
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XML cannot hold
_XML_NONCHAR = re.compile(r"[\ud800-\udfff\ufffe\uffff]")  # not characters in XML 1.0: removed


@dataclass
class ExportRow:
    """One cited passage as it is exported: the text, its citation and its document's metadata."""

    citation: str
    text: str
    section: str = ""
    doc_id: str = ""
    chunk_id: str = ""
    file: str = ""
    title: str = ""
    doc_type: str | None = None
    number: str | None = None
    date: str | None = None
    issuer: str | None = None
    province: str | None = None
    province_current: str | None = None
    level: str | None = None
    note: str = ""  # where the passage comes from: "tìm kiếm: …", "hỏi đáp: …", "chủ đề: …"

    @property
    def key(self) -> str:
        """Identity in an export list: the clause, and the exact text taken from it."""
        return f"{self.chunk_id}\n{self.text}"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> ExportRow:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


COLUMNS = [f.name for f in fields(ExportRow)]


# -- making rows ------------------------------------------------------------------------

def make_row(meta: DocumentMeta | None, *, citation: str, text: str, section: str = "",
             doc_id: str = "", chunk_id: str = "", note: str = "") -> ExportRow:
    """A row for a passage of a document, its metadata looked up in ``meta`` (may be None)."""
    if meta is None:
        return ExportRow(citation=citation, text=text, section=section or "", doc_id=doc_id,
                         chunk_id=chunk_id, note=note)
    return ExportRow(citation=citation, text=text, section=section or "", doc_id=meta.doc_id,
                     chunk_id=chunk_id, file=meta.file, title=meta.title, doc_type=meta.doc_type,
                     number=meta.number, date=meta.date, issuer=meta.issuer, province=meta.province,
                     province_current=meta.province_current, level=meta.level, note=note)


def row_from_result(result, documents: Mapping[str, DocumentMeta], note: str = "") -> ExportRow:
    """A row for one search `Result` (a clause)."""
    meta = documents.get(result.doc_id)
    row = make_row(meta, citation=result.citation, text=result.text, section=result.section,
                   doc_id=result.doc_id, chunk_id=result.chunk_id, note=note)
    if meta is None:  # the result carries most of the metadata itself
        row.file, row.title, row.province = result.file, result.title, result.province
        row.issuer, row.number, row.date = result.issuer, result.number, result.date
    return row


def rows_from_results(results: Iterable, documents: Mapping[str, DocumentMeta],
                      note: str = "") -> list[ExportRow]:
    """Rows for search results, in their order."""
    return [row_from_result(r, documents, note) for r in results]


def row_from_sentence(sentence, answer, documents: Mapping[str, DocumentMeta],
                      note: str | None = None) -> ExportRow:
    """A row for one answer sentence (quoted from the clause of result number ``sentence.ref``)."""
    result = answer.results[sentence.ref - 1] if 0 < sentence.ref <= len(answer.results) else None
    return make_row(documents.get(sentence.doc_id), citation=sentence.citation, text=sentence.text,
                    section=result.section if result is not None else "", doc_id=sentence.doc_id,
                    chunk_id=sentence.chunk_id,
                    note=f"hỏi đáp: {answer.question}" if note is None else note)


def rows_from_answer(answer, documents: Mapping[str, DocumentMeta],
                     note: str | None = None) -> list[ExportRow]:
    """Rows for the sentences of an extractive `Answer` (none when it was not answered)."""
    if not answer.answered:
        return []
    return [row_from_sentence(s, answer, documents, note) for s in answer.sentences]


def row_from_evidence(evidence, doc_id: str, documents: Mapping[str, DocumentMeta],
                      note: str = "") -> ExportRow:
    """A row for one topic `Evidence` clause of document ``doc_id``."""
    return make_row(documents.get(doc_id), citation=evidence.citation, text=evidence.text,
                    section=evidence.section, doc_id=doc_id, chunk_id=evidence.chunk_id, note=note)


def rows_from_cell(cell, documents: Mapping[str, DocumentMeta], note: str | None = None) -> list[ExportRow]:
    """Rows for the evidence of one topic × document `Cell`."""
    note = f"chủ đề: {cell.topic}" if note is None else note
    return [row_from_evidence(e, cell.doc_id, documents, note) for e in cell.evidence]


def add_rows(existing: list[ExportRow], new: Iterable[ExportRow]) -> list[ExportRow]:
    """``existing`` followed by the rows of ``new`` it does not hold yet (same clause and text)."""
    out = list(existing)
    seen = {r.key for r in out}
    for row in new:
        if row.key not in seen:
            seen.add(row.key)
            out.append(row)
    return out


def move(rows: list, index: int, offset: int) -> list:
    """A copy of ``rows`` with item ``index`` moved by ``offset`` places (clamped to the ends)."""
    out = list(rows)
    if not 0 <= index < len(out):
        return out
    target = max(0, min(len(out) - 1, index + offset))
    out.insert(target, out.pop(index))
    return out


# -- spreadsheet safety -------------------------------------------------------------------

def looks_like_formula(value) -> bool:
    """Whether a spreadsheet could read ``value`` as a formula (=, +, -, @, fullwidth forms, tab, CR)."""
    text = "" if value is None else str(value)
    return text.lstrip(" ").startswith(FORMULA_PREFIXES)  # " =1+1" is a formula to some readers


def neutralise_formula(value) -> str:
    """CSV text a spreadsheet shows as text: a leading ' before a formula-like value."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text


def xml_text(value) -> str:
    """Text an XML document can hold: control characters as spaces, non-characters removed."""
    return _XML_NONCHAR.sub("", _XLSX_ILLEGAL.sub(" ", "" if value is None else str(value)))


def _cells(row: ExportRow) -> list[str]:
    return [neutralise_formula(getattr(row, name)) for name in COLUMNS]


def _raw_cells(row: ExportRow) -> list[str]:
    return ["" if getattr(row, name) is None else str(getattr(row, name)) for name in COLUMNS]


# -- formats -------------------------------------------------------------------------------

def to_csv(rows: Iterable[ExportRow]) -> bytes:
    """CSV in UTF-8 with a BOM (so that Excel shows Vietnamese), one header line, every cell neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_cells(row))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Iterable[ExportRow], sheet_title: str = "Trích dẫn") -> bytes:
    """An XLSX workbook: a header row, then one row per passage; every cell an explicit string."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(_raw_cells(row), start=1):
            cell = sheet.cell(row=r, column=c)
            value = xml_text(value)[:XLSX_MAX_CELL]
            cell.value = value
            cell.data_type = "s"  # never a formula, number or date, whatever the text looks like
            if looks_like_formula(value):
                cell.quotePrefix = True  # Excel keeps it text when the cell is edited, too
            if COLUMNS[c - 1] in ("citation", "text", "section"):
                cell.alignment = wrap
    widths = {"citation": 60, "text": 90, "section": 40, "title": 50}
    for c, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=c).column_letter].width = widths.get(name, 16)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_docx(rows: Iterable[ExportRow], title: str = "Danh sách trích dẫn") -> bytes:
    """A Word document: a numbered citation list, each item the quoted text then "— citation"."""
    from docx import Document

    document = Document()
    document.add_heading(_docx_text(title), level=1)
    for row in rows:
        paragraph = document.add_paragraph(style="List Number")
        paragraph.add_run(f"“{_docx_text(row.text)}”")
        paragraph.add_run(" — ")
        paragraph.add_run(_docx_text(row.citation)).italic = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_text(value: str | None) -> str:
    """Text Word can hold (no XML-illegal control characters), on one line."""
    return re.sub(r"\s*\n\s*", " ", xml_text(value)).strip()


def to_markdown(rows: Iterable[ExportRow], title: str = "Danh sách trích dẫn") -> str:
    """Markdown: a numbered list, each item the quoted text then "— citation" and its source."""
    lines = [f"# {md_escape(title)}", ""]
    for i, row in enumerate(rows, start=1):
        quoted = md_escape(" ".join((row.text or "").split()))
        lines.append(f"{i}. “{quoted}”")
        lines.append(f"   — {md_escape(' '.join((row.citation or '').split()))}")
        source = ", ".join(md_escape(" ".join(x.split())) for x in (row.title, row.province, row.file) if x)
        if source:
            lines.append(f"   ({source})")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_json(rows: Iterable[ExportRow]) -> str:
    """JSON: a list of objects with every field of `ExportRow` (Vietnamese kept as is)."""
    return json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2)


FORMATS = {
    "csv": ("text/csv", to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", to_docx),
    "md": ("text/markdown", to_markdown),
    "json": ("application/json", to_json),
}


def export(rows: Iterable[ExportRow], fmt: str) -> tuple[bytes, str]:
    """(content, MIME type) of ``rows`` in format ``fmt`` (csv, xlsx, docx, md or json)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}", f"choose one of {', '.join(FORMATS)}")
    mime, writer = FORMATS[fmt]
    data = writer(list(rows))
    return (data.encode("utf-8") if isinstance(data, str) else data), mime
