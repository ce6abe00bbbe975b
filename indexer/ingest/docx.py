"""DOCX: paragraphs, numbered and bulleted lists ("- "), tables (rows as tab-separated lines),
after zip-bomb checks; legacy .doc files are recognised and refused."""
from __future__ import annotations

import io
import zipfile

from indexer.ingest.common import Reject, fmt_size
from indexer.ingest.encoding import _legacy_font_warning

# DOCX (zip) limits.
DOCX_MAX_EXPANDED = 256 * 2**20
DOCX_MAX_MEMBERS = 10_000
DOCX_MAX_RATIO = 100  # uncompressed / compressed, checked for members above DOCX_RATIO_MIN_SIZE
DOCX_RATIO_MIN_SIZE = 8 * 2**20

# =========================================================================== DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_docx_zip(data: bytes) -> None:
    if data.startswith(_OLE_MAGIC):
        raise Reject("not a DOCX: legacy Word .doc or password-protected document (OLE2 file)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception as exc:
        raise Reject("not a DOCX (corrupt or wrong extension: not a valid zip archive)") from exc
    if len(members) > DOCX_MAX_MEMBERS:
        raise Reject(f"DOCX has more than {DOCX_MAX_MEMBERS} zip members (zip bomb?)")
    total = 0
    for member in members:
        total += member.file_size
        if total > DOCX_MAX_EXPANDED:
            raise Reject(f"DOCX expands to more than {fmt_size(DOCX_MAX_EXPANDED, limit=True)} (zip bomb?)")
        if member.file_size > DOCX_RATIO_MIN_SIZE and member.file_size > DOCX_MAX_RATIO * max(member.compress_size, 1):
            raise Reject(
                f"DOCX expands to more than {DOCX_MAX_RATIO}x its compressed size "
                f"({member.filename}: {fmt_size(member.file_size)}) (zip bomb?)"
            )
    if "word/document.xml" not in {m.filename for m in members}:
        raise Reject("not a DOCX (no word/document.xml in the zip archive)")


def _read_docx(data: bytes, warnings: list[str]) -> str:
    _check_docx_zip(data)
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise Reject("DOCX support needs the python-docx package") from exc
    try:
        document = docx.Document(io.BytesIO(data))
        numbered_styles = _numbered_styles(document)
        lines: list[str] = []
        _docx_blocks(document.element.body, lines, numbered_styles)
    except Reject:
        raise
    except Exception as exc:
        raise Reject(f"corrupt DOCX ({type(exc).__name__})") from exc
    text = "\n".join(lines)
    _legacy_font_warning(text, warnings)
    return text


def _has_numbering(ppr) -> bool | None:
    """True/False if the paragraph properties say so, None if they do not mention numbering."""
    if ppr is None:
        return None
    num_pr = ppr.find(f"{_W}numPr")
    if num_pr is None:
        return None
    num_id = num_pr.find(f"{_W}numId")
    return not (num_id is not None and num_id.get(f"{_W}val") == "0")


def _numbered_styles(document) -> set[str]:
    """Paragraph style ids whose definition (or a base style's) carries numbering."""
    styles = {}
    for style in document.styles.element.findall(f"{_W}style"):
        sid = style.get(f"{_W}styleId")
        if sid:
            based = style.find(f"{_W}basedOn")
            styles[sid] = (_has_numbering(style.find(f"{_W}pPr")), based.get(f"{_W}val") if based is not None else None)
    numbered = set()
    for sid in styles:
        current, seen = sid, set()
        while current in styles and current not in seen:
            seen.add(current)
            has, based = styles[current]
            if has is not None:
                if has:
                    numbered.add(sid)
                break
            current = based
    return numbered


def _docx_blocks(container, lines: list[str], numbered_styles: set[str]) -> None:
    """Paragraphs and tables of ``container`` in document order."""
    for child in container:
        tag = child.tag
        if tag == f"{_W}p":
            extra: list[str] = []
            text = _paragraph_text(child, extra, numbered_styles)
            ppr = child.find(f"{_W}pPr")
            numbered = _has_numbering(ppr)
            if numbered is None and ppr is not None:
                pstyle = ppr.find(f"{_W}pStyle")
                numbered = pstyle is not None and pstyle.get(f"{_W}val") in numbered_styles
            if numbered and text.strip():
                text = "- " + text.lstrip()
            lines.append(text)
            lines.extend(extra)
        elif tag == f"{_W}tbl":
            _docx_table(child, lines, numbered_styles)
        elif tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                _docx_blocks(content, lines, numbered_styles)
        elif tag in (f"{_W}customXml", f"{_W}ins", f"{_W}moveTo"):
            _docx_blocks(child, lines, numbered_styles)


def _docx_table(table, lines: list[str], numbered_styles: set[str]) -> None:
    for row in _children(table, f"{_W}tr"):
        cells: list[list[str]] = []
        for cell in _children(row, f"{_W}tc"):
            cell_lines: list[str] = []
            _docx_blocks(cell, cell_lines, numbered_styles)
            cell_lines = [line for line in cell_lines if line.strip()]
            if cell_lines:
                cells.append(cell_lines)
        if not cells:
            continue
        if all(len(cell) == 1 for cell in cells):
            lines.append("\t".join(cell[0].strip() for cell in cells))
        else:
            for cell in cells:
                lines.extend(cell)


def _children(element, tag: str):
    """Direct children with ``tag``, looking through content-control wrappers."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _children(content, tag)
        elif child.tag == f"{_W}customXml":
            yield from _children(child, tag)


def _paragraph_text(paragraph, extra: list[str], numbered_styles: set[str]) -> str:
    """Visible text of a ``w:p``; text boxes inside it go to ``extra`` as lines."""
    parts: list[str] = []

    def walk(element) -> None:
        for child in element:
            tag = child.tag
            if tag == f"{_W}t":
                parts.append(child.text or "")
            elif tag == f"{_W}tab":
                parts.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                parts.append("-")
            elif tag in (f"{_W}pPr", f"{_W}rPr", f"{_W}del", f"{_W}moveFrom", _MC_FALLBACK):
                continue
            elif tag == f"{_W}txbxContent":
                _docx_blocks(child, extra, numbered_styles)
            elif isinstance(tag, str):
                walk(child)

    walk(paragraph)
    return "".join(parts)
