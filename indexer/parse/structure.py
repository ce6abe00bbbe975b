"""Parse the hierarchy of Vietnamese administrative documents from cleaned text.

Roman-numeral parts (I., II.), numbered items (1., 1.1.), lettered points (a), đ)),
bullets (-, +), and for legal texts Phần / Chương / Mục / Điều. Markers are found on
the text itself, so bold or markdown headings are not needed. The document is split
into its preamble (header, title, căn cứ), body and closing block (Nơi nhận, signer).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.records import Section

# (kind, rank, pattern). Lower rank = higher in the hierarchy.
_MARKERS: list[tuple[str, float, re.Pattern[str]]] = [
    ("part", 0, re.compile(r"^(PHẦN|Phần)\s+(?P<label>[IVXLC]+|\d+|THỨ\s+\w+|thứ\s+\w+)\b[.:]?\s*")),
    ("chapter", 1, re.compile(r"^(CHƯƠNG|Chương)\s+(?P<label>[IVXLC]+|\d+)\b[.:]?\s*")),
    ("subchapter", 2, re.compile(r"^(MỤC|Mục)\s+(?P<label>\d+|[IVXLC]+)\b[.:]?\s*")),
    ("subsection", 2.5, re.compile(r"^(TIỂU MỤC|Tiểu mục)\s+(?P<label>\d+)\b[.:]?\s*")),
    ("section", 3, re.compile(r"^(?P<label>[IVXL]{1,6})\s*[.)/]\s*")),
    ("article", 4, re.compile(r"^(Điều|ĐIỀU)\s+(?P<label>\d+[a-z]?)\s*[.:]\s*")),
    ("subitem", 6, re.compile(r"^(?P<label>\d{1,2}(?:\.\d{1,2})+)\.?\s+(?=\S)")),
    ("item", 5, re.compile(r"^(?P<label>\d{1,2})\s*[.)]\s*(?=[^\d\s]|$)")),
    ("point", 7, re.compile(r"^(?P<label>[a-zđ])\s*\)\s*")),
    ("bullet", 8, re.compile(r"^[-–—•●▪]\s*(?=\S)")),
    ("plus", 9, re.compile(r"^[+]\s*(?=\S)")),
]
_PARAGRAPH_RANK = 10
_BODY_KINDS = {"part", "chapter", "subchapter", "section", "article", "item"}
_CLOSING = re.compile(
    r"^(?:nơi nhận\b|t/?m\.?\s|tm\.|kt\.\s|q\.\s|thay mặt\b|ký thay\b|"
    r"(?:chủ tịch|phó chủ tịch|bí thư|phó bí thư|giám đốc)\s*$)",
    re.I,
)


@dataclass
class Line:
    start: int
    end: int
    text: str


def split_lines(text: str) -> list[Line]:
    """Non-empty lines of the cleaned text, with their offsets."""
    lines, pos = [], 0
    for raw in text.split("\n"):
        if raw.strip():
            lead = len(raw) - len(raw.lstrip())
            lines.append(Line(pos + lead, pos + len(raw.rstrip()), raw.strip()))
        pos += len(raw) + 1
    return lines


def match_marker(line: str) -> tuple[str, float, str, str] | None:
    """(kind, rank, marker, label) when a line opens a structural unit."""
    for kind, rank, pattern in _MARKERS:
        m = pattern.match(line)
        if not m:
            continue
        if kind == "section" and not _is_roman(m.group("label")):
            continue
        label = m.groupdict().get("label") or ""
        return kind, rank, m.group(0).strip(), label
    return None


def _is_roman(label: str) -> bool:
    return re.fullmatch(r"X{0,3}(IX|IV|V?I{0,3})", label) is not None and label != ""


def find_zones(lines: list[Line]) -> tuple[int, int]:
    """Indices (body_start, closing_start) splitting preamble | body | closing."""
    body_start = len(lines)
    for i, line in enumerate(lines):
        found = match_marker(line.text)
        if found and found[0] in _BODY_KINDS:
            body_start = i
            break
    if body_start == len(lines):
        body_start = 0
        for i, line in enumerate(lines[:12]):  # no numbered parts: body after the title block
            if line.text.rstrip().endswith(":") and len(line.text) > 80:
                body_start = i + 1
                break
    closing_start = len(lines)
    floor = max(body_start + 1, int(len(lines) * 0.5))
    for i in range(floor, len(lines)):
        if _CLOSING.match(lines[i].text):
            closing_start = i
            break
    return body_start, closing_start


_ANNEX = re.compile(r"^(?P<name>QUY ĐỊNH|QUY CHẾ|KẾ HOẠCH|ĐIỀU LỆ|HƯỚNG DẪN|CHƯƠNG TRÌNH(?: HÀNH ĐỘNG)?|ĐỀ ÁN|"
                    r"PHƯƠNG ÁN|DANH MỤC|(?:PHỤ LỤC|Phụ lục)(?:\s+(?:số\s+)?[IVXLC\d]+[a-z]?)?)\s*[.:]?$")
_ATTACHED = re.compile(r"(ban hành )?kèm theo", re.I)
_VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I)
_ENGLISH_WORDS = {"the", "of", "and", "or", "to", "in", "on", "is", "are", "shall", "this", "that", "be",
                  "by", "for", "with", "as", "from", "article", "decree", "decision", "resolution"}


def find_annexes(lines: list[Line], after: int) -> list[tuple[int, str]]:
    """(line index, citation name) of each regulation or appendix attached after the main text:
    'QUY ĐỊNH' + '(Ban hành kèm theo Quyết định số …)' → 'Quy định ban hành kèm theo'."""
    found = []
    for i in range(after, len(lines)):
        m = _ANNEX.match(lines[i].text)
        if not m:
            continue
        window = " ".join(ln.text for ln in lines[i + 1:i + 6])
        attached = _ATTACHED.search(window)
        if attached:
            name = m.group("name").rstrip(" .:")
            name = name[:1] + name[1:].lower() if not name.upper().startswith("PHỤ LỤC") else \
                "Phụ lục" + name[len("PHỤ LỤC"):]
            found.append((i, f"{name} {'ban hành kèm theo' if attached.group(1) else 'kèm theo'}"))
    return found


def english_from(lines: list[Line]) -> int:
    """Index where an appended English translation starts (len(lines) when there is none)."""
    flags = [_is_english(ln.text) for ln in lines]
    for i, flag in enumerate(flags):
        if flag and sum(flags[i:]) >= 3 and sum(flags[i:]) >= 0.6 * (len(flags) - i):
            return i
    return len(lines)


def _is_english(text: str) -> bool:
    if _VIETNAMESE.search(text):
        return False
    words = re.findall(r"[A-Za-z]+", text.lower())
    return len(words) >= 4 and sum(w in _ENGLISH_WORDS for w in words) >= max(1, 0.1 * len(words))


def parse_sections(text: str) -> list[Section]:
    """Every line of the document as a section node with its parent, in reading order.

    Attached regulations and appendices ("QUY ĐỊNH … ban hành kèm theo …", "PHỤ LỤC I")
    open a part of their own (kind "annex", labelled with the name used in citations);
    an appended English translation is zone "en".
    """
    lines = split_lines(text)
    english = english_from(lines)
    body_start, _ = find_zones(lines[:english])
    annexes = find_annexes(lines[:english], body_start + 1)
    bounds = [0] + [a for a, _ in annexes] + [english]
    closing = [_closing_start(lines, bounds[k], bounds[k + 1], body_start if k == 0 else bounds[k])
               for k in range(len(bounds) - 1)]
    names = dict(annexes)
    sections: list[Section] = []
    stack: list[tuple[float, int]] = []  # (rank, index into sections)
    part = 0
    for i, line in enumerate(lines):
        while part + 1 < len(bounds) - 1 and i >= bounds[part + 1]:
            part += 1
        zone = "en" if i >= english else "preamble" if i < body_start else \
            "closing" if i >= closing[part] else "body"
        if zone != "body":
            sections.append(_leaf(line, zone, parent=None, depth=0))
            continue
        if i in names:
            stack = []
            kind, rank, marker, label = "annex", -1.0, "", names[i]
        else:
            kind, rank, marker, label = _node(line.text, stack, sections)
            floor = 8 if kind == "paragraph" else rank  # a paragraph ends a run of bullets
            while stack and stack[-1][0] >= floor and stack[-1][0] >= 0:
                stack.pop()
        parent = stack[-1][1] if stack else None
        heading = label if kind == "annex" else line.text[len(marker):].strip() if marker else line.text
        sections.append(
            Section(kind=kind, marker=marker, label=label, heading=heading, depth=len(stack),
                    start=line.start, end=line.end, head_end=line.end, parent=parent, zone=zone)
        )
        if kind != "paragraph":
            stack.append((rank, len(sections) - 1))
    _extend_spans(sections)
    return sections


def _node(text: str, stack: list[tuple[float, int]], sections: list[Section]) -> tuple[str, float, str, str]:
    """(kind, rank, marker, label) of a body line; a Roman-numbered list inside an article
    ranks below the article (its items stay inside the Điều)."""
    found = match_marker(text)
    if not found:
        return "paragraph", float(_PARAGRAPH_RANK), "", ""
    kind, rank, marker, label = found
    in_article = any(sections[i].kind == "article" for _, i in stack)
    if kind == "section" and in_article:
        rank = 4.5
    return kind, float(rank), marker, label


def _closing_start(lines: list[Line], start: int, end: int, body_start: int) -> int:
    """Where the closing block (Nơi nhận, signature) of one part begins; ``end`` if none."""
    floor = max(body_start + 1, start + int((end - start) * 0.5))
    for i in range(floor, end):
        if _CLOSING.match(lines[i].text):
            return i
    return end


def _leaf(line: Line, zone: str, parent: int | None, depth: int) -> Section:
    return Section(kind="paragraph", marker="", label="", heading=line.text, depth=depth,
                   start=line.start, end=line.end, head_end=line.end, parent=parent, zone=zone)


def _extend_spans(sections: list[Section]) -> None:
    """Make each section's span cover its descendants."""
    for node in reversed(sections):
        if node.parent is not None:
            parent = sections[node.parent]
            parent.end = max(parent.end, node.end)


def ancestors(sections: list[Section], index: int) -> list[int]:
    """Indices of a section's ancestors, outermost first."""
    chain = []
    parent = sections[index].parent
    while parent is not None:
        chain.append(parent)
        parent = sections[parent].parent
    return chain[::-1]
