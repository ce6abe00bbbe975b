"""Read the printed header and signature block by the national formats.

Nghị định 30/2020/NĐ-CP (thể thức văn bản hành chính) and the Party rules put, in
order: the issuing body (under its parent body), the national motto ("CỘNG HÒA XÃ HỘI
CHỦ NGHĨA VIỆT NAM" or "ĐẢNG CỘNG SẢN VIỆT NAM"), "Số: <number>", "<place>, ngày …",
the type heading and the subject (trích yếu) — or "V/v <subject>" under the number of
a Công văn — then the body, and at the end the signing formula (TM./KT./TL./Q.), the
position and the signer's name. This module reads those items from the printed lines;
an item that is not printed stays None.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from indexer.parse.layout import PrintedLine, is_upper, sentence_case
from indexer.text import gazetteer

DOC_TYPES = (
    "Chương trình hành động", "Chương trình", "Kế hoạch", "Nghị quyết liên tịch", "Nghị quyết",
    "Quyết định", "Chỉ thị", "Thông báo", "Thông cáo", "Thông tri", "Báo cáo", "Đề án",
    "Phương án", "Dự án", "Thông tư liên tịch", "Thông tư", "Nghị định", "Bộ luật", "Luật",
    "Pháp lệnh", "Lệnh", "Hiến pháp", "Công điện", "Công văn", "Hướng dẫn", "Kết luận",
    "Tờ trình", "Quy định", "Quy chế", "Điều lệ", "Cương lĩnh", "Biên bản", "Giấy mời",
    "Văn bản hợp nhất", "Chiến lược", "Quy hoạch",
)
_TYPE_BY_UPPER = {t.upper(): t for t in DOC_TYPES}
_MOTTO = re.compile(r"^(cong hoa xa|dang cong san viet nam)")
_NUMBER_LINE = re.compile(r"^Số\b\s*[:.]?\s*(?P<rest>.*)$")
_NUMBER = re.compile(r"^\d+[A-Za-z]?(?:\s*[/-]\s*[^\W_][\w.&]*)+")
_PLACE_DATE = re.compile(
    r"^(?P<place>[^,;:]{2,45}?)\s*,\s*ngày\s*(?P<d>\d{1,2})?[\s.…_]*tháng\s*(?P<m>\d{1,2})?[\s.…_]*"
    r"năm\s*(?P<y>\d{4})", re.I)
_VV = re.compile(r"^V/[vV]\b[.:]?\s*")
_FORMULA = re.compile(r"^(?:T/M|T\.M|TM|KT|TL|TUQ|Q|Thay mặt|Ký thay|Thừa lệnh|Thừa ủy quyền)\s*[.:]?\s+\S",
                      re.I)
_BODY_START = re.compile(r"^(?:Căn cứ|Kính gửi|Xét\b|Theo đề nghị|Điều\s+\d|Chương\s+[IVXL\d]|"
                         r"PHẦN\s|[IVX]{1,4}\s*[.)]|\d{1,2}\s*[.)]\s)", re.I)
_ARTICLE = re.compile(r"^Điều\s+\d+[a-zđ]?\s*[.:]")
_ORGAN_HEAD = re.compile(
    r"^(?:BỘ|CỤC|TỔNG CỤC|CHI CỤC|ỦY BAN|UBND|HỘI ĐỒNG|HĐND|SỞ|TRUNG TÂM|VĂN PHÒNG|CHÍNH PHỦ|"
    r"THỦ TƯỚNG|KIỂM TOÁN|TỈNH ỦY|THÀNH ỦY|HUYỆN ỦY|QUẬN ỦY|THỊ ỦY|ĐẢNG ỦY|ĐẢNG BỘ|BAN|VỤ|VIỆN|"
    r"THUẾ|KHO BẠC|BẢO HIỂM|NGÂN HÀNG|TÒA ÁN|QUỐC HỘI|CÔNG AN|BỘ CHỈ HUY|TRƯỜNG|BỆNH VIỆN|"
    r"THANH TRA|ĐÀI|HỌC VIỆN|ĐẠI HỌC|TẬP ĐOÀN|TỔNG CÔNG TY|MẶT TRẬN|ĐOÀN|HỘI)\b")
_ENACTING = re.compile(r"^(?:ỦY BAN NHÂN DÂN|HỘI ĐỒNG NHÂN DÂN|BAN THƯỜNG VỤ|BAN CHẤP HÀNH)\b")


@dataclass
class Header:
    """Items of the printed header and signature; None when not printed."""

    organs: list[str] = field(default_factory=list)  # issuer cell, parent body first (as printed)
    has_motto: bool = False
    number: str | None = None
    number_blank: bool = False  # "Số:   -CTr/TU": the number is left blank (a draft)
    date: str | None = None
    year: int | None = None  # printed year when the day/month are blank
    place: str | None = None
    doc_type: str | None = None
    title: str | None = None
    vv: bool = False  # the subject is a "V/v" line (Công văn)
    enacting: str | None = None  # "CHÍNH PHỦ", "ỦY BAN THƯỜNG VỤ QUỐC HỘI" above the căn cứ
    signer: str | None = None
    signer_title: str | None = None
    formula: list[str] = field(default_factory=list)  # "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"
    structure: str = "sections"


def read_header(lines: list[PrintedLine]) -> Header:
    """Every header and signature item printed in ``lines``."""
    head = Header()
    motto = next((i for i, ln in enumerate(lines[:400]) if _MOTTO.match(ln.folded)), None)
    head.has_motto = motto is not None
    start = _issuer_cell(lines, motto, head) if motto is not None else 0
    end = min(len(lines), (motto if motto is not None else 0) + 40)
    number_at = _number(lines, start, end, head)
    date_at = _date(lines, start, end, head)
    after = max([i for i in (motto, number_at, date_at) if i is not None], default=-1)
    type_at = _type_heading(lines, after + 1, min(len(lines), after + 30), head)
    title_end = _title(lines, type_at, head) if type_at is not None else after + 1
    _subject_line(lines, start, min(len(lines), after + 12), head)
    title_end = _enacting(lines, title_end, head)
    _signature(lines, title_end, head)
    head.structure = "dieu" if _count_articles(lines[title_end:]) >= 2 else "sections"
    return head


def _count_articles(lines: list[PrintedLine]) -> int:
    """Article headings 'Điều 5.' (also printed as 'Điều' / '5.' on two lines)."""
    count = 0
    for i, line in enumerate(lines):
        if _ARTICLE.match(line.text):
            count += 1
        elif line.text == "Điều" and i + 1 < len(lines) and re.match(r"^\d+[a-zđ]?\s*[.:]", lines[i + 1].text):
            count += 1
    return count


def _issuer_cell(lines: list[PrintedLine], motto: int, head: Header) -> int:
    """Collect the issuer lines printed before the motto; the index where they start."""
    found: list[str] = []
    start = motto
    j = motto - 1
    while j >= 0 and len(found) < 4 and motto - j <= 6:
        line = lines[j]
        if _NUMBER_LINE.match(line.text) or _PLACE_DATE.match(line.text):
            j -= 1
            continue
        if not is_upper(line.text) or len(line.text) > 90 or line.text.endswith(":"):
            break
        found.insert(0, line.text)
        start = j
        if line.cell_before:
            break
        j -= 1
    head.organs = _group_organs(found)
    return start


def _group_organs(lines: list[str]) -> list[str]:
    """'BỘ VĂN HÓA, THỂ THAO' + 'VÀ DU LỊCH' → one organ; 'BỘ TÀI CHÍNH' + 'CỤC THUẾ' → two."""
    organs: list[str] = []
    for line in lines:
        line = line.strip(" *-")
        if not line:
            continue
        if organs and not _ORGAN_HEAD.match(line):
            organs[-1] = f"{organs[-1]} {line}"
        else:
            organs.append(line)
    return organs


def _number(lines: list[PrintedLine], start: int, end: int, head: Header) -> int | None:
    for i in range(start, end):
        m = _NUMBER_LINE.match(lines[i].text)
        if not m:
            continue
        rest = m.group("rest").strip()
        value = _NUMBER.match(rest)
        if value:
            head.number = re.sub(r"\s+", "", value.group(0)).rstrip(".")
        else:
            head.number_blank = bool(re.match(r"^[\s._…]*[/-]", rest))
        return i
    return None


def _date(lines: list[PrintedLine], start: int, end: int, head: Header) -> int | None:
    for i in range(start, end):
        window = lines[i].text
        for k in range(i + 1, min(i + 3, len(lines))):
            if lines[k].cell_before:
                break
            window += " " + lines[k].text
        m = _PLACE_DATE.match(window)
        if not m or _NUMBER_LINE.match(lines[i].text):
            continue
        head.place = re.sub(r"^(?:TP\.|Tp\.|TX\.)\s*", "", m.group("place")).strip()
        head.year = int(m.group("y"))
        if m.group("d") and m.group("m") and 1 <= int(m.group("m")) <= 12 and 1 <= int(m.group("d")) <= 31:
            head.date = f"{head.year:04d}-{int(m.group('m')):02d}-{int(m.group('d')):02d}"
        return i
    return None


def _type_heading(lines: list[PrintedLine], start: int, end: int, head: Header) -> int | None:
    """Find the type heading ('QUYẾT ĐỊNH', 'CÔNG ĐIỆN', split 'QUYẾT / ĐỊNH' too)."""
    for i in range(start, end):
        text = lines[i].text
        if _BODY_START.match(text) and not is_upper(text):
            return None
        if i + 1 < len(lines) and any(t.startswith(text.upper() + " ") for t in _TYPE_BY_UPPER) \
                and is_upper(text):
            text = f"{text} {lines[i + 1].text}"
        for upper in sorted(_TYPE_BY_UPPER, key=len, reverse=True):
            if text.startswith(upper) and (len(text) == len(upper) or text[len(upper)] in " :"):
                head.doc_type = _TYPE_BY_UPPER[upper]
                rest = text[len(upper):].strip(" :")
                head.title = rest or None
                return i + (1 if text != lines[i].text else 0)
    return None


def _title(lines: list[PrintedLine], type_at: int, head: Header) -> int:
    """The trích yếu after the type heading, joined across line breaks; index after it."""
    parts = [head.title] if head.title else []
    style = None
    i = type_at + 1
    while i < len(lines) and len(parts) < 8:
        line = lines[i]
        text = line.text
        if parts:
            if line.cell_before or text.startswith("(") or _BODY_START.match(text) \
                    or _is_enacting(text):
                break
            if style is not None and (line.bold, line.italic) != style:
                break
            if line.blank_before and not text[:1].islower():
                break
            if is_upper(parts[-1]) and not is_upper(text) and text[:1].isupper():
                break  # a title in capitals ends where sentence-case text begins
        elif _BODY_START.match(text) or _is_enacting(text):
            break
        if style is None:
            style = (line.bold, line.italic)
        parts.append(text)
        i += 1
    title = " ".join(parts).strip()
    title = _VV.sub("", title).strip().rstrip(".").strip()
    head.title = sentence_case(title) if title else None
    return i


def _subject_line(lines: list[PrintedLine], start: int, end: int, head: Header) -> None:
    """'V/v <subject>' under the number of a Công văn (or after the type heading)."""
    for i in range(start, min(end, len(lines))):
        if not _VV.match(lines[i].text):
            continue
        parts = [_VV.sub("", lines[i].text)]
        for k in range(i + 1, min(i + 6, len(lines))):
            nxt = lines[k]
            if nxt.cell_before or _PLACE_DATE.match(nxt.text) or _BODY_START.match(nxt.text) \
                    or (nxt.blank_before and parts[0]) or _MOTTO.match(nxt.folded):
                break
            parts.append(nxt.text)
        subject = " ".join(p for p in parts if p).strip().rstrip(".").strip()
        if subject:
            head.vv = True
            if head.doc_type is None or not head.title:
                head.title = sentence_case(subject)
        return


def _is_enacting(text: str) -> bool:
    """'CHÍNH PHỦ', 'CỤC TRƯỞNG CỤC HẢI QUAN', 'ỦY BAN NHÂN DÂN TỈNH …': the authority line."""
    if not is_upper(text) or len(text) > 120:
        return False
    plain = text.rstrip(":").strip()
    return bool(gazetteer.national_body(plain) or gazetteer.position(plain) or _ENACTING.match(plain))


def _enacting(lines: list[PrintedLine], at: int, head: Header) -> int:
    if at < len(lines) and _is_enacting(lines[at].text):
        text = lines[at].text
        k = at + 1
        while k < len(lines) and k < at + 3 and is_upper(lines[k].text) and not lines[k].blank_before \
                and not _BODY_START.match(lines[k].text) and lines[k].bold == lines[at].bold:
            text += " " + lines[k].text
            k += 1
        head.enacting = text.rstrip(":").strip()
        return k
    return at


def _signature(lines: list[PrintedLine], start: int, head: Header) -> None:
    """The first signature block after the title: formula, position and name."""
    lines = lines[:start + 1] + _join_split_positions(lines[start + 1:])
    i = start + 1
    while i < len(lines):
        if _is_sign_line(lines[i].text):
            block = _sign_block(lines, i)
            if block is not None:
                positions, name = block
                head.formula = [p for p in positions if _FORMULA.match(p)]
                above = [p for p in positions if not _FORMULA.match(p)]
                if above:
                    head.signer_title = _position_name(above[-1])
                elif head.formula:
                    head.signer_title = _position_name(re.sub(r"^\S+\s*", "", head.formula[-1]))
                head.signer = name
                return
        i += 1


def _join_split_positions(lines: list[PrintedLine]) -> list[PrintedLine]:
    """'TỔNG KIỂM TOÁN NHÀ' + 'NƯỚC' → one position line when only the pair is a position."""
    out: list[PrintedLine] = []
    k = 0
    while k < len(lines):
        line = lines[k]
        if k + 1 < len(lines) and is_upper(line.text) and len(line.text) <= 60 \
                and not _is_sign_line(line.text) and is_upper(lines[k + 1].text) \
                and _is_sign_line(f"{line.text} {lines[k + 1].text}"):
            out.append(replace(line, text=f"{line.text} {lines[k + 1].text}"))
            k += 2
            continue
        out.append(line)
        k += 1
    return out


def _is_sign_line(text: str) -> bool:
    if len(text) > 90 or not is_upper(text):
        return False
    return bool(_FORMULA.match(text) or gazetteer.position(text)) or text.startswith("XÁC THỰC")


def _sign_block(lines: list[PrintedLine], i: int) -> tuple[list[str], str | None] | None:
    """(formula and position lines, signer name) of a block starting at line i."""
    positions: list[str] = []
    k = i
    while k < len(lines) and k < i + 7 and (_is_sign_line(lines[k].text) or positions and
                                             _continues_sign_line(lines[k].text)):
        text = lines[k].text
        if positions and not _is_sign_line(text):
            positions[-1] += " " + text  # "TM. UỶ BAN NHÂN" + "DÂN", "TRƯỞNG BAN …," + "THUẾ …"
        elif not text.startswith("XÁC THỰC"):
            positions.append(text)
        k += 1
    if not positions:
        return None
    name = _name(lines, k)
    has_formula = any(_FORMULA.match(p) for p in positions)
    if name is None and not has_formula:
        return None
    return positions, name


def _continues_sign_line(text: str) -> bool:
    return len(text) <= 60 and is_upper(text, 0.95) and not _MOTTO.match(text.lower())


_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_]*$")


def _name(lines: list[PrintedLine], k: int) -> str | None:
    """A person's name at line k (possibly split over two lines, after a rank)."""
    if k >= len(lines):
        return None
    text = lines[k].text
    if k + 1 < len(lines) and len(text.split()) <= 2 and not lines[k + 1].cell_before \
            and len((text + " " + lines[k + 1].text).split()) <= 6:
        joined = f"{text} {lines[k + 1].text}"
        if _is_name(_drop_rank(joined)) and not _is_name(_drop_rank(text)):
            return _drop_rank(joined)
    candidate = _drop_rank(text)
    return candidate if _is_name(candidate) else None


def _drop_rank(text: str) -> str:
    for rank in sorted(gazetteer.RANKS, key=len, reverse=True):
        if text.casefold().startswith(rank.casefold() + " "):
            return text[len(rank):].strip()
    return text.strip()


def _is_name(text: str) -> bool:
    words = text.split()
    return 2 <= len(words) <= 5 and all(
        _NAME_WORD.match(w) and w[0].isupper() and (len(w) == 1 or not w[1:].isupper()) for w in words)


def _position_name(line: str) -> str:
    return gazetteer.position(line) or sentence_case(line)
