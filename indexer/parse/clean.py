"""Clean extracted text: Unicode, markup, LaTeX, page furniture, broken lines, OCR junk.

The result is one logical line per paragraph, heading or list item; every later
offset points into it.
"""
from __future__ import annotations

import html
import re
from collections import Counter

from indexer.parse.boilerplate import cut_site_material, flatten_pipe_tables, markdown_rows, site_information
from indexer.text import gazetteer
from indexer.text.normalize import normalize_text
from indexer.records import CleanDocument, Notice, RawDocument

_SUPERSCRIPT = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")

# Characters that are not text: XML-invalid code points (C0 controls except tab, line
# feed, form feed; lone surrogates; U+FFFE/U+FFFF), DEL, zero-width and invisible
# bidirectional-control and tag characters. Dropping them never changes a visible word.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff\U000e0000-\U000e007f]"
)


def strip_invisible(text: str) -> str:
    """Remove XML-invalid, control, zero-width, bidi-control and tag characters."""
    return _CONTROL.sub("", text)

# --- markup -----------------------------------------------------------------

_SUP = re.compile(r"<sup>\s*([^<]{0,12}?)\s*</sup>", re.I)
_SUB = re.compile(r"<sub>\s*([^<]{0,12}?)\s*</sub>", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]{0,500})?/?>")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)|(?<=\S)(\*\*|__)")
_MD_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]{1,400}?)(?<=[^\s*])\*(?![\w*])")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")
_BOLD_RUN = re.compile(r"\*{2,}")
_ITALIC_EDGE = re.compile(r"^\s*\*(?=[^\s*])|(?<=\S)\*\s*$|\s\*\s*$")
HARD_BREAK = "\x1e"  # a rule line: never join across it
_RULE = re.compile(r"^\s*(?:[-*_=~.·•]\s*){3,}$|^\s*[*·•]\s*$")

# --- LaTeX --------------------------------------------------------------------

_MATH = re.compile(r"\$\$?([^$\n]{1,300}?)\$\$?")
_LATEX_SYMBOLS = {
    r"\rightarrow": "→", r"\to": "→", r"\leftarrow": "←", r"\Rightarrow": "⇒",
    r"\leq": "≤", r"\le": "≤", r"\geq": "≥", r"\ge": "≥", r"\times": "×",
    r"\div": "÷", r"\pm": "±", r"\approx": "≈", r"\neq": "≠", r"\%": "%",
    r"\cdot": "·", r"\sim": "~", r"\circ": "°", r"\,": " ", r"\;": " ", r"\ ": " ",
}
_LATEX_TEXT = re.compile(r"\\(?:text|mathrm|textbf|textit|mathbf|operatorname)\s*\{([^{}]*)\}")
_LATEX_POWER = re.compile(r"\^\s*(?:\{([^{}]{1,8})\}|([0-9n+\-]))")
_LATEX_INDEX = re.compile(r"_\s*(?:\{([^{}]{1,8})\}|([0-9]))")
_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+")

# --- page furniture and structure hints -----------------------------------------

_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:trang|page)?\s*\d{1,4}\s*(?:/\s*\d{1,4})?\s*(?:[-–—])?\s*$", re.I
)
_STRUCTURE_START = re.compile(
    r"^(?:[IVXLC]{1,6}\s*[.)/]|\d{1,2}(?:\.\d{1,2})*\s*[.)]|[a-zđ]\s*\)|[-–+•*]\s"
    r"|(?:chương|mục|điều|phần)\s+[\dIVXLC]+\b|nơi nhận|t/?m\.?\s|tm\.|kt\.|tl\.|q\.\s"
    r"|căn cứ\b|xét đề nghị|theo đề nghị|kính gửi|phụ lục\b)",
    re.I,
)
_SENTENCE_END = re.compile(r"[.;:!?…]\s*[\"”’»)]*\s*$")
_VIETNAMESE = re.compile(
    r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I
)
_ENGLISH_FUNCTION_WORDS = {
    "the", "of", "and", "or", "a", "an", "at", "to", "with", "in", "on", "is", "are",
    "this", "that", "be", "by", "for", "as", "its", "from", "below", "across", "possibly",
    "appearing", "page", "text", "written", "document",
}


def clean(raw: RawDocument) -> CleanDocument:
    """Run every cleaning step on one raw document."""
    warnings: list[str] = []
    text = clean_text(raw.text, warnings)
    site = site_information(normalize_text(strip_invisible(raw.text)).split("\n"))
    return CleanDocument(raw=raw, text=text, warnings=warnings, site=site)


def clean_text(text: str, warnings: list[str] | None = None) -> str:
    """Clean a raw text; appends what was dropped to ``warnings``.

    Idempotent: a pass can reveal markup (an unescaped ``\\*``, lines joined into a
    paragraph), so passes repeat until the text no longer changes.
    """
    warnings = warnings if warnings is not None else []
    text = _clean_pass(text, warnings)
    for _ in range(_MAX_PASSES - 1):
        again = _clean_pass(text, warnings)
        if again == text:
            break
        text = again
    return text


_MAX_PASSES = 6


def _clean_pass(text: str, warnings: list[str]) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = strip_invisible(text)
    text = normalize_text(text)
    pages = text.split("\f")
    if len(pages) > 1:
        pages = remove_running_lines(pages, warnings)
    lines = [line for page in pages for line in page.split("\n")]
    lines = cut_site_material(lines, warnings)
    lines = flatten_pipe_tables(lines, HARD_BREAK)
    lines = markdown_rows(lines, HARD_BREAK)
    lines = [ln for line in lines for ln in _isolate_bold(line)]
    lines = [line if line == HARD_BREAK else strip_markup(line) for line in lines]
    lines = drop_page_numbers(lines)
    paragraphs = join_broken_lines(lines)
    paragraphs = drop_junk(paragraphs, warnings)
    return "\n".join(paragraphs)


def _isolate_bold(line: str) -> list[str]:
    """A line printed entirely in bold (a heading, an organ, a position) is its own paragraph."""
    stripped = line.strip()
    if len(stripped) > 4 and stripped.startswith("**") and stripped.endswith("**") \
            and "**" not in stripped[2:-2].replace("****", ""):
        return [HARD_BREAK, line, HARD_BREAK]
    return [line]


def strip_markup(line: str) -> str:
    """Remove HTML, markdown and LaTeX from one line, keeping what they meant."""
    line = line.replace("\t", " ").replace("\u00a0", " ")
    if "<" in line:
        line = _SUP.sub(lambda m: m.group(1).translate(_SUPERSCRIPT), line)
        line = _SUB.sub(lambda m: m.group(1).translate(_SUBSCRIPT), line)
        line = _BR.sub(" ", line)
        line = _TAG.sub("", line)
    if "&" in line:
        line = html.unescape(line)
    if "$" in line:
        line = _MATH.sub(lambda m: " " + latex_to_text(m.group(1)) + " ", line)
    if _RULE.match(line):
        return HARD_BREAK
    line = _MD_HEADING.sub("", line)
    line = _MD_EMPHASIS.sub("", line)
    line = _MD_ITALIC.sub(r"\1", line)
    line = _BOLD_RUN.sub("", line)  # bold markers left at a line end or between spaces
    line = _ITALIC_EDGE.sub("", line)  # italics opened or closed on another line
    line = _MD_ESCAPE.sub(r"\1", line)
    line = re.sub(r"^\s*\*\s+", "- ", line)  # markdown "* item" bullets
    line = re.sub(r"\s+([,.;:%²³])", r"\1", re.sub(r"\s{2,}", " ", line))
    return line.strip()


def latex_to_text(expr: str) -> str:
    """Render a small LaTeX fragment as plain text: ``28\\text{m}^2`` → ``28 m²``."""
    expr = _LATEX_TEXT.sub(lambda m: " " + m.group(1) + " ", expr)
    for command, symbol in sorted(_LATEX_SYMBOLS.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(command, f" {symbol} " if symbol in "→←⇒≤≥×÷±≈≠" else symbol)
    expr = _LATEX_POWER.sub(lambda m: (m.group(1) or m.group(2)).translate(_SUPERSCRIPT), expr)
    expr = _LATEX_INDEX.sub(lambda m: (m.group(1) or m.group(2)).translate(_SUBSCRIPT), expr)
    expr = _LATEX_COMMAND.sub("", expr).replace("{", "").replace("}", "")
    expr = re.sub(r"\s*/\s*", "/", expr)
    expr = re.sub(r"\s+([²³⁰¹⁴-⁹%])", r"\1", expr)
    return re.sub(r"\s+", " ", expr).strip()


def remove_running_lines(pages: list[str], warnings: list[str]) -> list[str]:
    """Drop headers/footers repeated at the top or bottom of most PDF pages."""
    edges: Counter[str] = Counter()
    for page in pages:
        lines = [ln.strip() for ln in page.split("\n") if ln.strip()]
        for line in {lines[i] for i in _edge_indices(len(lines))}:
            if len(line) <= 100:
                edges[_digits_to_hash(line)] += 1
    threshold = max(2, int(0.5 * len(pages)))
    running = {key for key, n in edges.items() if n >= threshold}
    if not running:
        return pages
    cleaned = []
    for page in pages:
        lines = page.split("\n")
        nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
        edge_idx = {nonblank[i] for i in _edge_indices(len(nonblank))}
        cleaned.append(
            "\n".join(
                ln for i, ln in enumerate(lines)
                if not (i in edge_idx and _digits_to_hash(ln.strip()) in running)
            )
        )
    warnings.append(Notice("running_lines", f"removed {len(running)} running header/footer line(s) repeated on PDF pages"))
    return cleaned


def _edge_indices(n: int) -> set[int]:
    """Positions where running headers and footers sit: two lines at each end of a full page."""
    width = 2 if n >= 6 else 1
    return {i for i in range(n) if i < width or i >= n - width}


def _digits_to_hash(line: str) -> str:
    return re.sub(r"\d+", "#", line)


def drop_page_numbers(lines: list[str]) -> list[str]:
    """Drop lines that are only a page number ("3", "- 3 -", "Trang 3/12")."""
    return [ln for ln in lines if not _PAGE_NUMBER.match(ln)]


def join_broken_lines(lines: list[str]) -> list[str]:
    """Join lines that PDF extraction broke mid-sentence; return logical paragraphs."""
    width = _typical_width(lines)
    compounds = _hyphen_compounds(lines) if width <= _WRAPPED_WIDTH else set()
    paragraphs: list[str] = []
    last_line = ""
    gap = False
    for line in lines:
        if line == HARD_BREAK:
            last_line = ""
            paragraphs.append(HARD_BREAK)
            continue
        if not line:
            gap = True
            continue
        if paragraphs and (_continues(paragraphs[-1], last_line, line, width, gap)
                           or _wrapped_at_hyphen(paragraphs[-1], last_line, line, width, gap, compounds)):
            paragraphs[-1] = paragraphs[-1] + " " + line
        else:
            paragraphs.append(line)
        last_line, gap = line, False
    return [p for p in paragraphs if p != HARD_BREAK]


_WRAPPED_WIDTH = 150  # a text whose typical line is at most this long is hard-wrapped


def _typical_width(lines: list[str]) -> int:
    """Width of a hard-wrapped text (10**6 when lines are paragraphs, not wrapped)."""
    lengths = sorted(len(ln) for ln in lines if len(ln) > 20)
    if len(lengths) < 5 or _wrap_evidence(lines) < 0.08:
        return 10**6
    return lengths[int(0.8 * (len(lengths) - 1))]


def _wrap_evidence(lines: list[str]) -> float:
    """Share of lines followed by a line starting in lower case (not a point "a)"): text wrapped
    inside sentences.
    Cleaned text has none (such lines are joined), which keeps cleaning idempotent."""
    text_lines = [ln for ln in lines if ln and ln != HARD_BREAK]
    pairs = list(zip(text_lines, text_lines[1:]))
    if not pairs:
        return 0.0
    return sum(nxt[:1].islower() and not _STRUCTURE_START.match(nxt) for _, nxt in pairs) / len(pairs)


def _continues(previous: str, last_line: str, line: str, width: int, gap: bool = False) -> bool:
    """Whether ``line`` is the rest of ``previous`` rather than a new paragraph."""
    if previous == HARD_BREAK:
        return False
    if _SPLIT_MARKER.match(last_line):
        return True  # "Điều" / "1. Phạm vi …": a marker word cut from its number
    if _STRUCTURE_START.match(line) or _SPLIT_MARKER.match(line):
        return False
    if width < 10**6 and previous == last_line and re.fullmatch(r"[^\W\d_]{1,6}", previous) \
            and _is_caps(previous) and _is_caps(line):
        return True  # a heading broken after its first word: "QUY" / "CHẾ", "VỀ" / "VIỆC …"
    first = line[0]
    if first.islower() or first in ",;–&%":
        return True  # paragraphs never start in lower case
    wrapped = width <= _WRAPPED_WIDTH  # hard-wrapped text (PDF extraction): lines have a typical width
    if _SENTENCE_END.search(previous):
        # a sentence that happens to end at the right margin does not end the paragraph
        return wrapped and len(last_line) >= 0.92 * width and not previous.endswith(":")
    if first == "(" and wrapped:
        return True
    if first.isdigit() and wrapped:
        return not re.match(r"^\d{1,2}\s*[.)]", line)
    if wrapped and not gap and _is_caps(last_line) and _is_caps(line) and len(last_line) >= 0.75 * width \
            and not _is_authority(line):
        return True  # a heading in capitals wrapped over lines
    if wrapped and not gap and len(last_line) >= 0.5 * width and not _is_caps(last_line) \
            and not _is_caps(line):
        return True  # a line wrapped inside a phrase: "… tỉnh Lạng" / "Sơn;"
    return wrapped and len(last_line) >= 0.75 * width  # "… tỉnh Lâm" / "Đồng"


_DASH_START = re.compile(r"^([-–])\s+(\S+)")
_COMPOUND = re.compile(r"(\w+) ([-–]) (?=(\w+))")


def _hyphen_compounds(lines: list[str]) -> set[tuple[str, str, str]]:
    """Words joined by a spaced hyphen inside one line: ("Cảng", "-", "Petro"), ("tế", "-", "xã")."""
    return {m for line in lines for m in _COMPOUND.findall(line)}


def _wrapped_at_hyphen(previous: str, last_line: str, line: str, width: int, gap: bool,
                       compounds: set[tuple[str, str, str]]) -> bool:
    """Whether a line opening with "- " is the rest of a hyphenated phrase that hard wrapping
    broke at its hyphen ("… Công ty Tân Cảng" / "- Petro Cam Ranh …", "kinh tế" / "- xã hội"),
    not a bullet. A bullet follows a line that ends a sentence or introduces a list, or a
    blank line; here the paragraph runs on (it ends in a letter or digit, no punctuation)
    and the document prints the two words joined by that hyphen on one line elsewhere, or
    (when the paragraph is no bullet itself: a bullet follows a bullet) the word after the
    dash is in lower case (a list item starts with a capital or a number), or two numbers
    meet at the dash (a range "05 - 06%"), or the line before is full (longer than most lines)."""
    m = _DASH_START.match(line)
    if not m or gap or previous == HARD_BREAK or width > _WRAPPED_WIDTH or not previous[-1:].isalnum():
        return False
    dash, word = m.groups()
    before, after = re.search(r"\w+$", previous), re.match(r"\w+", word)
    if before and after and (before.group(), dash, after.group()) in compounds:
        return True  # the document prints "Tân Cảng - Petro" on one line elsewhere
    if _DASH_START.match(previous):
        return False  # a bullet after a bullet ("- 01 bản sao …" / "- 02 bản chính …"), wrapped or not
    numeric_range = word[0].isdigit() and bool(before) and before.group().isdigit()  # "05" / "- 06%/năm"
    return word[0].islower() or numeric_range or len(last_line) > width


_SPLIT_MARKER = re.compile(r"^(?:Điều|ĐIỀU|Chương|CHƯƠNG|Mục|MỤC|Phần|PHẦN|Khoản|Điểm|Phụ lục|PHỤ LỤC)$")


def _is_authority(line: str) -> bool:
    """'CHÍNH PHỦ', 'CHỦ TỊCH ỦY BAN NHÂN DÂN …': an enacting-authority line, never a continuation."""
    plain = line.strip(" :")
    return bool(gazetteer.national_body(plain) or gazetteer.position(plain)
                or re.match(r"^(ỦY BAN NHÂN DÂN|HỘI ĐỒNG NHÂN DÂN|BAN THƯỜNG VỤ|BAN CHẤP HÀNH)\b", plain))


def _is_caps(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return bool(letters) and sum(ch.isupper() for ch in letters) >= 0.8 * len(letters)


MAX_PARAGRAPH_CHARS = 20_000  # longer without a line break: embedded data or a dump, not prose


def drop_junk(paragraphs: list[str], warnings: list[str]) -> list[str]:
    """Drop paragraphs that are not part of the document (English OCR placeholders, and
    "paragraphs" of more than MAX_PARAGRAPH_CHARS such as base64 data or minified markup)."""
    sized = [p for p in paragraphs if len(p) <= MAX_PARAGRAPH_CHARS]
    if len(sized) < len(paragraphs):
        warnings.append(Notice("dropped_long", f"dropped {len(paragraphs) - len(sized)} paragraph(s) longer than "
                        f"{MAX_PARAGRAPH_CHARS} characters: embedded data, not text"))
    english = [p for p in sized if is_ocr_junk(p)]
    if is_translation(english):
        warnings.append(Notice("english_translation", f"kept {len(english)} paragraph(s) of an English "
                               f"translation; they are marked as language 'en', not Vietnamese clauses"))
        return sized
    kept = [p for p in sized if not is_ocr_junk(p)]
    if len(kept) < len(sized):
        warnings.append(Notice("dropped_ocr", f"dropped {len(sized) - len(kept)} paragraph(s) of non-Vietnamese OCR text"))
    return kept


_LEGAL_ENGLISH = re.compile(r"\b(article|decree|decision|resolution|circular|clause|ministry|government|"
                            r"people's committee|pursuant|hereby|promulgat\w*|law on)\b", re.I)


def is_translation(english: list[str]) -> bool:
    """English paragraphs that are a translation of a legal text (not OCR layout notes)."""
    return len(english) >= 3 and sum(bool(_LEGAL_ENGLISH.search(p)) for p in english) >= 2


def is_ocr_junk(paragraph: str) -> bool:
    """English prose without a single Vietnamese letter, like OCR layout descriptions."""
    if _VIETNAMESE.search(paragraph):
        return False
    words = re.findall(r"[A-Za-z]+", paragraph.lower())
    if len(words) < 5:
        return False
    function_words = sum(w in _ENGLISH_FUNCTION_WORDS for w in words)
    return function_words >= 2 and function_words / len(words) >= 0.15
