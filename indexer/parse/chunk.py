"""Cut a structured document into clauses: one chunk per bullet, point or paragraph.

Each chunk carries its section breadcrumb and labels for citation. Clauses too long
for the embedding model are split at sentence boundaries; fragments too small to
stand alone join a neighbour from the same section.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.records import Chunk, Section
from indexer.parse.header import DOC_TYPES
from indexer.parse.structure import ancestors
from indexer.settings import MAX_CLAUSE_CHARS, MIN_CLAUSE_CHARS

PREAMBLE_SECTION = "Phần mở đầu"
CLOSING_SECTION = "Phần cuối (nơi nhận, chữ ký)"
ENGLISH_SECTION = "Bản dịch tiếng Anh (English translation)"
SITE_SECTION = "Thông tin văn bản (trang nguồn)"
_ZONE_SECTIONS = {"preamble": PREAMBLE_SECTION, "closing": CLOSING_SECTION, "en": ENGLISH_SECTION}
_ZONE_GROUPS = {"preamble": -1, "closing": -2, "en": -4}
SEPARATOR = " › "

_SENTENCE_BREAK = re.compile(r"(?<=[.;!?…])\s+(?=\S)")
# The first line of a document's body (Nghị định 30/2020, Phụ lục I: after the header's issuer,
# number, place and date, type and trích yếu come the addressees, the legal bases or the text)
_BODY_START = re.compile(r"^\W*(?:Kính gửi|Căn cứ|Thực hiện|Theo đề nghị|Xét\s|Để\s|Nhằm\s|Trong\s|"
                         r"Ngày\s+\d|Vừa qua|Hiện nay|Sau khi|Điều\s+1\b|Chương\s+I\b|Phần\s+(?:I|thứ)\b|"
                         r"Mục\s+1\b|[IVX]+\s*[.:]|\d+\s*[.)]|[a-zđ]\)|[-–+•]\s|.*\bđiện\s*:\s*$)", re.I)
_TYPE_HEADINGS = {t.upper() for t in DOC_TYPES}  # "KẾ HOẠCH", "QUYẾT ĐỊNH" printed alone on a line
_HEADER_LINE_CHARS = 250  # a longer line is prose, not a header item


@dataclass
class ChunkConfig:
    max_chars: int = MAX_CLAUSE_CHARS  # ≈ 150 model tokens: short enough to read, room for the breadcrumb
    min_chars: int = MIN_CLAUSE_CHARS
    heading_chars: int = 90  # a heading longer than this is shortened in breadcrumbs
    prose_heading_chars: int = 160  # a heading this long is also a clause of its own


DEFAULT_CONFIG = ChunkConfig()


@dataclass
class _Piece:
    start: int
    end: int
    section: str
    labels: list[str]
    zone: str
    group: int  # pieces merge only within the same group (same parent section)
    header: bool = False  # the document's header block: kept whole, nothing joins it
    node: int = -1  # the section whose text ends the piece


def chunk_document(doc_id: str, text: str, sections: list[Section],
                   config: ChunkConfig | None = None) -> list[Chunk]:
    """Clauses of one document, in reading order."""
    config = config or DEFAULT_CONFIG
    pieces = [p for i, s in enumerate(sections) for p in _pieces(text, sections, i, config)]
    pieces = _merge_small(text, _header_piece(text, pieces, config), config)
    return [
        Chunk(chunk_id=f"{doc_id}:{n:04d}", doc_id=doc_id, ordinal=n, section=p.section,
              section_labels=p.labels, text=text[p.start:p.end], start=p.start, end=p.end,
              zone=p.zone)
        for n, p in enumerate(pieces)
    ]


def site_chunk(doc_id: str, ordinal: int, lines: list[str]) -> Chunk | None:
    """The legal site's information block and captions as a last clause of their own (zone
    "site"): outside the document's text, so its offsets are -1."""
    if not lines:
        return None
    return Chunk(chunk_id=f"{doc_id}:{ordinal:04d}", doc_id=doc_id, ordinal=ordinal, section=SITE_SECTION,
                 section_labels=[], text="\n".join(lines), start=-1, end=-1, zone="site")


def header_end(text: str, limit: int) -> int:
    """End of the document's header block: the short lines before the first body line. The
    line after the type heading ("KẾ HOẠCH", "QUYẾT ĐỊNH") is the trích yếu, whatever it starts with."""
    end, pos, after_type = 0, 0, False
    for line in text[:limit].split("\n"):
        stripped = line.strip()
        if stripped and not after_type and (_BODY_START.match(stripped) or len(stripped) > _HEADER_LINE_CHARS):
            break
        pos += len(line) + 1
        if stripped:
            end = pos - 1
            after_type = re.sub(r"^\W+|\W+$", "", stripped) in _TYPE_HEADINGS
    return min(end, len(text))


def _header_piece(text: str, pieces: list[_Piece], config: ChunkConfig) -> list[_Piece]:
    """The header block (issuer, number, place and date, type, trích yếu or V/v) as one clause,
    so that what identifies a document is found and quoted together."""
    end = header_end(text, int(config.max_chars * 1.5))
    inside = [p for p in pieces if p.start < end]
    if len(inside) < 2 or any(p.end > end + 1 for p in inside):
        return pieces
    head = _Piece(inside[0].start, max(p.end for p in inside), PREAMBLE_SECTION, [], "preamble", -1, True)
    return [head] + pieces[len(inside):]


def _pieces(text: str, sections: list[Section], index: int, config: ChunkConfig) -> list[_Piece]:
    node = sections[index]
    has_children = index + 1 < len(sections) and sections[index + 1].parent == index
    if has_children and len(node.heading) < config.prose_heading_chars:
        return []  # a heading: it lives in the breadcrumbs of its clauses
    if node.zone != "body":
        section = _ZONE_SECTIONS.get(node.zone, CLOSING_SECTION)
        labels: list[str] = []
        group = _ZONE_GROUPS.get(node.zone, -2)
    else:
        chain = ancestors(sections, index)
        section = breadcrumb(sections, chain, node, config)
        labels = citation_labels(sections, chain + [index])
        group = node.parent if node.parent is not None else -3
    spans = split_long(text, node.start, node.head_end, config.max_chars)
    return [_Piece(s, e, section, labels, node.zone, group, node=index) for s, e in spans]


_LEGAL_UNITS = {"part": "Phần", "chapter": "Chương", "subchapter": "Mục", "subsection": "Tiểu mục",
                "article": "Điều"}
_IN_ARTICLE = {"item": "khoản", "point": "điểm"}


def citation_labels(sections: list[Section], chain: list[int]) -> list[str]:
    """Labels of a clause's units for its citation, outermost first.

    Legal units carry their name (Luật Ban hành VBQPPL: Phần, Chương, Mục, Tiểu mục, Điều,
    and inside an article khoản and điểm): ["Chương II", "Điều 5", "khoản 2", "điểm a"].
    Administrative numbering stays bare ("II", "2", "b" → "mục II.2.b"); an attached
    regulation or appendix is named: "Quy định ban hành kèm theo".
    """
    labels: list[str] = []
    in_article = False
    for i in chain:
        node = sections[i]
        if not node.label:
            continue
        if node.kind in _LEGAL_UNITS:
            labels.append(f"{_LEGAL_UNITS[node.kind]} {node.label}")
        elif node.kind in _IN_ARTICLE and in_article:
            labels.append(f"{_IN_ARTICLE[node.kind]} {node.label}")
        else:
            labels.append(node.label)
        in_article = in_article or node.kind == "article"
    return labels


def breadcrumb(sections: list[Section], chain: list[int], node: Section, config: ChunkConfig) -> str:
    """"II. Nhiệm vụ … › 2. Nâng cao … › b)" for a clause."""
    parts = [_heading(sections[i], config) for i in chain]
    if node.label:
        parts.append(node.marker)
    return SEPARATOR.join(parts)


def _heading(section: Section, config: ChunkConfig) -> str:
    heading = section.heading
    if len(heading) > config.heading_chars:
        cut = heading[: config.heading_chars].rsplit(" ", 1)[0]
        heading = cut.rstrip(" ,;:") + " …"
    return f"{section.marker} {heading}".strip() if section.marker not in "-–+•" else heading



def split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split a span at sentence boundaries into parts of at most ``max_chars`` where possible."""
    if end - start <= max_chars:
        return [(start, end)]
    boundaries = [m.start() for m in _SENTENCE_BREAK.finditer(text, start, end)]
    spans, begin, last = [], start, None
    for b in boundaries + [end]:
        if b - begin > max_chars and last is not None and last > begin:
            spans.append((begin, last))
            begin = _skip_space(text, last)
        last = b
    spans.append((begin, end))
    return [(s, e) for s, e in spans if e > s]


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _merge_small(text: str, pieces: list[_Piece], config: ChunkConfig) -> list[_Piece]:
    """Join fragments shorter than ``min_chars`` to a neighbour of the same group; a last
    fragment under a section whose own text is right before it (the tail of a long item that
    a line break cut off) joins that text."""
    merged: list[_Piece] = []
    for k, piece in enumerate(pieces):
        prev = merged[-1] if merged else None
        small = piece.end - piece.start < config.min_chars
        prev_small = prev is not None and prev.end - prev.start < config.min_chars
        last_child = k + 1 == len(pieces) or pieces[k + 1].group != piece.group
        kin = prev is not None and (prev.group == piece.group and (small or prev_small) or small and last_child
                                    and piece.group == prev.node and prev.zone == piece.zone)
        if prev and kin and not prev.header and piece.end - prev.start <= config.max_chars:
            if prev_small and not small and prev.zone == "body":
                prev.section, prev.labels = piece.section, piece.labels
            prev.end, prev.node = piece.end, piece.node
            continue
        merged.append(piece)
    return merged
