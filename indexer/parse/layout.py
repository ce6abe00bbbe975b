"""Printed lines of a document as laid out: cells, rules and blank lines kept apart.

Documents copied from legal sites put the header and the signature in Markdown or
HTML tables (``|`` between cells), wrap lines inside phrases and put bold markers
inside words. The header reader needs the printed lines with those boundaries, not
the joined paragraphs of the cleaned text, so this module keeps them.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from indexer.parse.clean import strip_markup, strip_invisible
from indexer.text.normalize import fold, normalize_text

_BR = re.compile(r"<br\s*/?>", re.I)
_RULE_RUN = re.compile(r"(?:_{3,}|-{3,}|–{3,}|—{3,}|={3,})")
_CELL = re.compile(r"\s*[|\t]\s*")


@dataclass
class PrintedLine:
    text: str  # markup removed, spaces collapsed
    bold: bool  # the whole line was bold
    italic: bool  # the whole line was italic
    cell_before: bool  # a table-cell boundary precedes the line
    blank_before: bool  # a blank line or a rule precedes the line

    @property
    def folded(self) -> str:
        return fold(self.text)


_TWO_CELLS = re.compile(r"^\s*\|?([^|\t]+)(?:\t|\s\|\s)([^|\t]+?)\|?\s*$")
_COLUMN_BREAK = re.compile(r"(?<=\S)\s+(?=CỘNG HÒA XÃ HỘI|ĐẢNG CỘNG SẢN VIỆT NAM|Độc lập\s*[-–]\s*Tự do)")
_NUMBER_THEN_PLACE = re.compile(r"^(\W*Số\s*:?\s*\S+)\s+(?=[^\W\d_][^,;:]{1,40},\s*ngày)")


def header_columns(lines: list[str], limit: int = 40) -> list[str]:
    """A header laid out row by row in two columns (tab- or pipe-separated rows from DOCX,
    HTML or Markdown tables, or PDF text with both columns on one line) read column by
    column: issuer, number, ... then motto, place and date."""
    lines = [_NUMBER_THEN_PLACE.sub(r"\1\t", _COLUMN_BREAK.sub("\t", ln, count=1)) if i < limit else ln
             for i, ln in enumerate(lines)]
    lines = [_SIGN_COLUMN.sub("\t", ln) for ln in lines]
    out: list[str] = []
    i = 0
    while i < len(lines):
        run, j = [], i
        while j < min(len(lines), limit):
            if _TABLE_RULE.match(lines[j]):  # "|---|---|" between Markdown rows
                j += 1
                continue
            m = _TWO_CELLS.match(lines[j])
            if not m:
                break
            run.append(m)
            j += 1
        if len(run) >= 2:
            out.extend(m.group(1) for m in run)
            out.append("|")
            out.extend(m.group(2) for m in run)
            out.append("|")
            i = j
        else:
            out.append(lines[i])
            i += 1
    return out


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")
# PDF text with the recipients and the signature on one line: "Nơi nhận: KT. CHỦ TỊCH",
# "- Như Điều 2; PHÓ CHỦ TỊCH".
_SIGN_COLUMN = re.compile(r"(?<=[:;,.])\s+(?=(?:TM|KT|TL|TUQ)\.\s|T/M\s|(?:PHÓ\s+)?(?:CHỦ TỊCH|THỦ TƯỚNG|"
                          r"BỘ TRƯỞNG|THỨ TRƯỞNG|GIÁM ĐỐC|CỤC TRƯỞNG|BÍ THƯ|TRƯỞNG BAN|CHỦ NHIỆM)\s*$)")


def printed_lines(raw: str) -> list[PrintedLine]:
    """The non-empty printed lines of a raw document, in order, with their boundaries."""
    text = normalize_text(strip_invisible(raw.replace("\r\n", "\n").replace("\r", "\n")))
    out: list[PrintedLine] = []
    cell, blank = False, False
    for raw_line in header_columns(text.split("\n")):
        if _TABLE_RULE.match(raw_line):
            blank = True
            continue
        parts = _CELL.split(raw_line)
        for k, part in enumerate(parts):
            if k > 0:
                cell = True
            pieces = [p for chunk in _BR.split(part) for p in _RULE_RUN.split(chunk)]
            for j, piece in enumerate(pieces):
                if j > 0:
                    blank = True
                line, bold, italic = _styled(piece)
                if not line:
                    blank = blank or not piece.strip() or bool(re.fullmatch(r"[\s*_#>]*", piece))
                    continue
                out.append(PrintedLine(line, bold, italic, cell, blank))
                cell, blank = False, False
        if not raw_line.strip():
            blank = True
    return out


def _styled(piece: str) -> tuple[str, bool, bool]:
    stripped = piece.strip()
    bold = stripped.startswith(("**", "__")) and stripped.endswith(("**", "__")) and len(stripped) > 4
    italic = not bold and stripped.startswith("*") and stripped.endswith("*") and len(stripped) > 2
    line = strip_markup(piece)
    line = re.sub(r"^[*_\s]+|[*_\s]+$", "", line.replace("**", ""))
    return re.sub(r"\s+", " ", line).strip(), bold, italic


def is_upper(text: str, share: float = 0.8) -> bool:
    """Whether most letters of a line are capitals (headings, organ names, positions)."""
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(ch.isupper() for ch in letters) >= share * len(letters)


def sentence_case(text: str) -> str:
    """'VỀ VIỆC … TỈNH CAO BẰNG' → 'Về việc … tỉnh Cao Bằng'; mixed-case text keeps its capitals.

    Text printed in capitals loses its proper-name capitals; names of provinces and
    centrally-run cities after their unit word, and 'Việt Nam', get them back.
    """
    text = re.sub(r"\s+", " ", text).strip()
    if is_upper(text, 0.6):
        text = _restore_names(text.lower())
    return text[:1].upper() + text[1:]


def _restore_names(text: str) -> str:
    from indexer.text import gazetteer

    names = sorted({*gazetteer.province_names(), *gazetteer.CENTRAL_CITIES}, key=len, reverse=True)
    pattern = r"\b(tỉnh|thành phố) (" + "|".join(re.escape(n.lower()) for n in names) + r")\b"
    text = re.sub(pattern, lambda m: f"{m.group(1)} {title_case(m.group(2))}", text)
    return re.sub(r"\bviệt nam\b", "Việt Nam", text)


def title_case(name: str) -> str:
    """A place or person name in capitals as printed: 'HỒ CHÍ MINH' → 'Hồ Chí Minh'."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in name.split())


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
