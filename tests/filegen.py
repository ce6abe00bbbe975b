"""Generate real test files (PDF, DOCX, HTML, encoded text) from plain text.

Shared by the whole test-suite: tests write a Vietnamese text into the format they need
under ``tmp_path`` and feed the file to the pipeline, so nothing is mocked.

Conventions understood by `write_docx` and `write_html`:

* one paragraph per non-empty line;
* consecutive lines that look like a markdown table row (``| a | b |``) become one real
  table; separator rows such as ``|---|---|`` are skipped.

Every helper returns the path it wrote.
"""
from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_NAME = "DejaVuSans"

_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|[\s:|-]*-[\s:|-]*\|\s*$")
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


# --------------------------------------------------------------------------- helpers


def _blocks(text: str) -> list[str | list[list[str]]]:
    """Non-empty lines, with runs of markdown-table rows grouped into a list of rows."""
    blocks: list[str | list[list[str]]] = []
    table: list[list[str]] | None = None
    for line in text.splitlines():
        if _TABLE_ROW.match(line):
            if _TABLE_SEPARATOR.match(line):
                continue
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if table is None:
                table = []
                blocks.append(table)
            table.append(cells)
            continue
        table = None
        if line.strip():
            blocks.append(line.strip())
    return blocks


def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))
    return FONT_NAME


def _wrap(line: str, width: float, font: str, size: float) -> list[str]:
    """Greedy word wrap by rendered width, like a word processor would."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    words = line.split()
    if not words:
        return [""]
    out: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, font, size) <= width or not current:
            current = candidate
        else:
            out.append(current)
            current = word
    out.append(current)
    return out


# --------------------------------------------------------------------------- writers


def write_pdf(
    text: str,
    path: Path,
    *,
    page_numbers: bool = True,
    header: str | None = None,
    lines_per_page: int = 40,
    font_size: float = 11,
) -> Path:
    """A text-layer PDF (A4, DejaVuSans so Vietnamese renders).

    Long lines are wrapped to the page width, so sentences break across lines as in a real
    PDF; empty lines are kept as vertical gaps. Each page optionally gets a running
    ``header`` at the top and its page number centred at the bottom.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _register_font()
    page_w, page_h = A4
    margin = 72.0
    leading = font_size * 1.35
    body_width = page_w - 2 * margin

    lines: list[str] = []
    for raw in unicodedata.normalize("NFC", text).splitlines():
        lines.extend(_wrap(raw.strip(), body_width, font, font_size) if raw.strip() else [""])
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        lines = [""]

    pdf = canvas.Canvas(str(path), pagesize=A4)
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    for number, page in enumerate(pages, start=1):
        pdf.setFont(font, font_size)
        if header:
            pdf.setFont(font, font_size - 2)
            pdf.drawCentredString(page_w / 2, page_h - margin / 2, header)
            pdf.setFont(font, font_size)
        y = page_h - margin
        for line in page:
            if line:
                pdf.drawString(margin, y, line)
            y -= leading
        if page_numbers:
            pdf.setFont(font, font_size - 2)
            pdf.drawCentredString(page_w / 2, margin / 2, str(number))
        pdf.showPage()
    pdf.save()
    return path


def write_scanned_pdf(path: Path, *, pages: int = 1) -> Path:
    """A PDF without any text layer: each page only has drawn shapes (like a scan)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for page in range(pages):
        for i in range(30):
            y = 770 - i * 22
            pdf.rect(72, y, 300 + (i * 37 + page * 11) % 150, 9, stroke=0, fill=1)
        pdf.circle(300, 100, 20)
        pdf.showPage()
    pdf.save()
    return path


def write_docx(text: str, path: Path) -> Path:
    """One Word paragraph per non-empty line; markdown-table lines become a real table."""
    import docx

    document = docx.Document()
    for block in _blocks(text):
        if isinstance(block, str):
            document.add_paragraph(block)
            continue
        n_cols = max(len(row) for row in block)
        table = document.add_table(rows=len(block), cols=n_cols)
        for r, row in enumerate(block):
            for c, cell in enumerate(row):
                table.cell(r, c).text = cell
    document.save(str(path))
    return path


def write_html(text: str, path: Path, *, title: str = "Văn bản", encoding: str = "utf-8") -> Path:
    """A complete HTML page: one ``<p>`` per non-empty line, markdown tables as ``<table>``.

    The page has a ``<head>`` with a title, a style sheet and a script, none of which are
    document text.
    """
    parts = [
        "<!DOCTYPE html>",
        "<html lang=\"vi\">",
        "<head>",
        f"<meta charset=\"{encoding}\">",
        f"<title>{html.escape(title)}</title>",
        "<style>p { margin: 0 0 1em; }</style>",
        "<script>var tracker = 'không phải văn bản';</script>",
        "</head>",
        "<body>",
    ]
    for block in _blocks(text):
        if isinstance(block, str):
            parts.append(f"<p>{html.escape(block)}</p>")
            continue
        parts.append("<table>")
        for row in block:
            cells = "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table>")
    parts += ["</body>", "</html>", ""]
    path.write_bytes("\n".join(parts).encode(encoding))
    return path


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 bytes the way Windows writes them: base letter + combining tone mark.

    Python's ``cp1258`` codec has no precomposed toned letters (``ệ``), so each character
    that does not encode directly is split into its shaped base letter (``ê``) followed by
    its tone mark (U+0323), both of which exist in the code page.
    """
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in decomposed if c in _TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
        out += (base + tones).encode("cp1258")
    return bytes(out)


def write_text(text: str, path: Path, encoding: str = "utf-8", *, newline: str = "\n") -> Path:
    """Write ``text`` with the given encoding and line ending.

    ``utf-8-sig`` and ``utf-16`` write a BOM, ``utf-16-le``/``utf-16-be`` do not, and
    ``cp1258``/``windows-1258`` use :func:`encode_cp1258`.
    """
    text = text.replace("\r\n", "\n").replace("\n", newline)
    if encoding.lower().replace("_", "-") in {"cp1258", "windows-1258"}:
        data = encode_cp1258(text)
    else:
        data = text.encode(encoding)
    path.write_bytes(data)
    return path
