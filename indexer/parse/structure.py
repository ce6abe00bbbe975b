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
_MARKERS: list[tuple[str, int, re.Pattern[str]]] = [
    ("part", 0, re.compile(r"^(PHẦN|Phần)\s+(?P<label>[IVXLC]+|\d+|THỨ\s+\w+|thứ\s+\w+)\b[.:]?\s*")),
    ("chapter", 1, re.compile(r"^(CHƯƠNG|Chương)\s+(?P<label>[IVXLC]+|\d+)\b[.:]?\s*")),
    ("subchapter", 2, re.compile(r"^(MỤC|Mục)\s+(?P<label>\d+|[IVXLC]+)\b[.:]?\s*")),
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


def match_marker(line: str) -> tuple[str, int, str, str] | None:
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


def parse_sections(text: str) -> list[Section]:
    """Every line of the document as a section node with its parent, in reading order."""
    lines = split_lines(text)
    body_start, closing_start = find_zones(lines)
    sections: list[Section] = []
    stack: list[tuple[int, int]] = []  # (rank, index into sections)
    for i, line in enumerate(lines):
        zone = "preamble" if i < body_start else "closing" if i >= closing_start else "body"
        if zone != "body":
            sections.append(_leaf(line, zone, parent=None, depth=0))
            continue
        found = match_marker(line.text)
        if found:
            kind, rank, marker, label = found
            while stack and stack[-1][0] >= rank:
                stack.pop()
        else:
            kind, rank, marker, label = "paragraph", _PARAGRAPH_RANK, "", ""
            while stack and stack[-1][0] >= 8:  # a paragraph ends a run of bullets
                stack.pop()
        parent = stack[-1][1] if stack else None
        heading = line.text[len(marker):].strip() if marker else line.text
        sections.append(
            Section(kind=kind, marker=marker, label=label, heading=heading, depth=len(stack),
                    start=line.start, end=line.end, head_end=line.end, parent=parent, zone=zone)
        )
        if kind != "paragraph":
            stack.append((rank, len(sections) - 1))
    _extend_spans(sections)
    return sections


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
