"""HTML: visible text with block structure (headings, paragraphs, list items, table rows),
decoded with the declared or detected charset."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from indexer.ingest.common import Reject
from indexer.ingest.encoding import _codec_name, _decode_text

# =========================================================================== HTML

_SUPERSCRIPT = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)


class _HTMLText(HTMLParser):
    BLOCK = frozenset(
        "p div li h1 h2 h3 h4 h5 h6 br tr table ul ol dl dt dd section article header footer "
        "main aside nav blockquote pre hr address figure figcaption caption form fieldset "
        "legend details summary center body html tbody thead tfoot".split()
    )
    SKIP = frozenset("script style title template svg math object iframe".split())
    BODY_ONLY = frozenset("p div li h1 h2 h3 h4 h5 h6 table ul ol span a b i strong em td".split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0
        self.in_head = False
        self.scripts: list[list[str]] = []  # buffers of open <sup>/<sub>
        self.script_kind: list[str] = []
        self.row_has_cell = False
        self.pending_bullet = False  # "- " written, item text not yet seen

    # ---- output
    def _emit(self, text: str) -> None:
        if self.scripts:
            self.scripts[-1].append(text)
        else:
            self.out.append(text)

    def _newline(self) -> None:
        # <li><p>text</p></li> must stay "- text", not "- " and "text" on two lines.
        if not self.pending_bullet:
            self._emit("\n")

    # ---- parser callbacks
    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "head":
            self.in_head = True
            return
        if tag == "body" or tag in self.BODY_ONLY:
            self.in_head = False
        if tag in self.SKIP:
            self.skip_depth += 1
            return
        if self.skip_depth or self.in_head:
            return
        if tag in ("sup", "sub"):
            self.scripts.append([])
            self.script_kind.append(tag)
        elif tag == "li":
            self._emit("\n- ")
            self.pending_bullet = True
        elif tag in ("td", "th"):
            if self.row_has_cell:
                self._emit("\t")
            self.row_has_cell = True
        elif tag in self.BLOCK:
            self._newline()
            if tag == "tr":
                self.row_has_cell = False

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in self.SKIP:
            return
        self.handle_starttag(tag, attrs)
        if tag in ("sup", "sub"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False
            return
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth or self.in_head:
            return
        if tag in ("sup", "sub") and self.script_kind and self.script_kind[-1] == tag:
            self.script_kind.pop()
            inner = "".join(self.scripts.pop())
            table = _SUPERSCRIPT if tag == "sup" else _SUBSCRIPT
            converted = inner.strip().translate(table)
            if converted and all(ord(ch) > 127 for ch in converted if not ch.isspace()):
                inner = converted
            self._emit(inner)
        elif tag in self.BLOCK and tag != "br":
            self.pending_bullet = False
            self._emit("\n")
            if tag == "tr":
                self.row_has_cell = False

    def handle_data(self, data: str) -> None:
        if self.skip_depth or self.in_head:
            return
        if data.strip():
            self.pending_bullet = False
        self._emit(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        while self.scripts:  # unclosed <sup>/<sub>
            inner = "".join(self.scripts.pop())
            self.script_kind.pop()
            self._emit(inner)
        raw = "".join(self.out)
        lines = [re.sub(r" {2,}", " ", line).strip(" ") for line in raw.split("\n")]
        lines = [re.sub(r" *\t *", "\t", line).strip("\t") for line in lines]
        text = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def _read_html(data: bytes, warnings: list[str]) -> tuple[str, str]:
    match = _META_CHARSET.search(data[:4096])
    hint = match.group(1).decode("ascii", errors="ignore") if match else None
    markup, encoding = _decode_text(data, warnings, hint=_codec_name(hint) if hint else None)
    parser = _HTMLText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception as exc:  # html.parser is lenient; this is a safety net
        raise Reject(f"unreadable HTML ({type(exc).__name__})") from exc
    return parser.text(), encoding
