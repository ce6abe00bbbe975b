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

_RULE_RUN = re.compile(r"(?:_{3,}|-{3,}|–{3,}|—{3,}|={3,})")
_CELL = re.compile(r"\s*\|\s*")


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


def printed_lines(raw: str) -> list[PrintedLine]:
    """The non-empty printed lines of a raw document, in order, with their boundaries."""
    text = normalize_text(strip_invisible(raw.replace("\r\n", "\n").replace("\r", "\n")))
    out: list[PrintedLine] = []
    cell, blank = False, False
    for raw_line in text.split("\n"):
        parts = _CELL.split(raw_line)
        for k, part in enumerate(parts):
            if k > 0:
                cell = True
            for j, piece in enumerate(_RULE_RUN.split(part)):
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
