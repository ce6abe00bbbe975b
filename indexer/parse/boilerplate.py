"""Material a legal-document website wraps around a document, and tables laid out with pipes.

A page saved from a legal site is: site material (copyright and translation notices,
the site's information block "Số hiệu: … Loại văn bản: …", a site-written summary),
then the document from its national header to its signature and annexes, then site
material again (a one-line site caption, "Văn bản liên quan", comparison help, login
notices, the site's address). The rules:

* the prefix is dropped only when it holds site material (an information-block label,
  a copyright/translation notice or a loading notice); the document starts at the
  issuer cell printed before the national motto;
* the suffix is dropped from the first site-footer heading after the motto, together
  with the site caption line right before it ("<Loại> <số> năm … do … ban hành");
* copyright/translation notice lines are dropped wherever they are.

Nothing inside the document is altered.
"""
from __future__ import annotations

import re

from indexer.records import Notice
from indexer.text import gazetteer
from indexer.text.normalize import fold

_SITE_LABEL = re.compile(r"^\W*(Số hiệu|Loại văn bản|Nơi ban hành|Người ký|Ngày ban hành|Ngày hiệu lực|"
                         r"Ngày công báo|Số công báo|Tình trạng)\W*:\W*$", re.I)
_NOTICE = re.compile(r"(thuộc quyền sở hữu của|has the copyright on|Mọi hành vi sao chép|"
                     r"is a violation against the Law|Đang tải văn bản)", re.I)
_FOOTER = re.compile(r"^\W*(Văn bản liên quan|Văn bản này chưa cập nhật nội dung Tiếng Anh|"
                     r"NỘI DUNG SỬA ĐỔI, HƯỚNG DẪN|FILE ĐƯỢC ĐÍNH KÈM THEO VĂN BẢN|"
                     r"Cảm ơn đã dùng ThuVienPhapLuat|Lược đồ\W*$)", re.I)
_CAPTION = re.compile(r"^(?:Nghị quyết|Quyết định|Công văn|Công điện|Thông báo|Thông tư|Nghị định|"
                      r"Kế hoạch|Chỉ thị|Luật|Văn bản hợp nhất|Hướng dẫn|Báo cáo|Chương trình)\s+"
                      r"\S*\d\S*\s.*\b(?:do\s.+ban hành|ban hành)\s*$")
_MOTTO = re.compile(r"^\W*(cong hoa xa|dang cong san viet nam)")
_PIPE_ONLY = re.compile(r"^\s*\|[\s|]*$")
_RULE_OR_EMPTY = re.compile(r"^[\s*_\-–—=#|]*$")


def _plain(line: str) -> str:
    return re.sub(r"[*_#]+", "", line).strip()


def is_site_page(lines: list[str]) -> bool:
    """Whether the text carries a legal site's information block or notices."""
    head = lines[:400]
    return sum(bool(_SITE_LABEL.match(_plain(ln))) for ln in head) >= 2 or \
        any(_NOTICE.search(_plain(ln)) for ln in head)


def cut_site_material(lines: list[str], warnings: list[str]) -> list[str]:
    """The document without the site's prefix, suffix and notice lines."""
    if not is_site_page(lines):
        return lines
    motto = next((i for i, ln in enumerate(lines) if _MOTTO.match(fold(_plain(ln)))), None)
    start, end = 0, len(lines)
    if motto is not None:
        start = _document_start(lines, motto)
        end = next((i for i in range(motto, len(lines)) if _FOOTER.match(_plain(lines[i]))), len(lines))
        while end > start and (_RULE_OR_EMPTY.match(lines[end - 1]) or _CAPTION.match(_plain(lines[end - 1]))):
            end -= 1
    kept = [ln for ln in lines[start:end] if not _NOTICE.search(_plain(ln))]
    dropped = len(lines) - len(kept)
    if dropped:
        warnings.append(Notice("dropped_site", f"dropped {dropped} line(s) of the legal site's material around "
                               f"the document (information block, notices, summary, related documents)"))
    return kept


_UNKNOWN = re.compile(r"^\W*(Đã biết|Đang cập nhật|Dữ liệu đang cập nhật|Không xác định|Còn hiệu lực|"
                      r"Hết hiệu lực|Chưa có hiệu lực)\W*$", re.I)


def site_information(lines: list[str]) -> list[str]:
    """The site's information block ("Số hiệu: 10989/BNV-TCBC", "Người ký: …") and its one-line
    captions, as plain lines: they print the document's number, date and signer once more, so a
    question about those finds them (the block is kept apart from the document's text)."""
    if not is_site_page(lines):
        return []
    plain = [p for p in (_plain(ln).strip("| ").strip() for ln in lines) if p]
    out: list[str] = []
    for i, line in enumerate(plain[:-1]):
        if _SITE_LABEL.match(line) and not _SITE_LABEL.match(plain[i + 1]) \
                and not _UNKNOWN.match(plain[i + 1]) and len(plain[i + 1]) <= 200:
            out.append(f"{line.rstrip(': ')}: {plain[i + 1]}")
    out += [line for line in plain if _CAPTION.match(line) and len(line) <= 400]
    return list(dict.fromkeys(out))


def _document_start(lines: list[str], motto: int) -> int:
    """First line of the header: the issuer cell printed before the motto."""
    start = motto
    for i in range(motto - 1, max(-1, motto - 12), -1):
        text = _plain(lines[i])
        if _PIPE_ONLY.match(lines[i]) or _RULE_OR_EMPTY.match(lines[i]) or re.match(r"^Số\b", text):
            continue
        letters = [ch for ch in text if ch.isalpha()]
        if letters and sum(ch.isupper() for ch in letters) >= 0.8 * len(letters) and len(text) <= 90 \
                and not _SITE_LABEL.match(text):
            start = i
            continue
        break
    return start


# --- tables laid out as "|" lines between cells --------------------------------------

def flatten_pipe_tables(lines: list[str], hard_break: str) -> list[str]:
    """Cells separated by '|' lines: a row of three or more cells becomes one readable line
    ('TT | Tên thủ tục | Thời hạn'), and so does a row of two cells right after such a row
    (a row whose cells span columns: 'Tổng thời gian | 168 giờ'); cells of other narrow rows
    (header and signature layout) become separate paragraphs."""
    if not any(_PIPE_ONLY.match(ln) for ln in lines):
        return lines
    segments: list[list[str]] = [[]]
    for line in lines:
        if _PIPE_ONLY.match(line):
            segments.append([])
        else:
            segments[-1].append(line)
    out: list[str] = []
    row: list[list[str]] = []
    in_table = False  # the last row emitted was a data row of a table
    for seg in segments:
        if not any(s.strip() for s in seg):
            in_table = _emit_row(row, out, hard_break, in_table)
            row = []
        else:
            row.append(seg)
    _emit_row(row, out, hard_break, in_table)
    return out


# A cell that opens with a heading, the recipients or a signing formula is text around a table
# (an appendix title, the signature block), never a cell of a data row.
_OUTSIDE = re.compile(r"^\W*(PHỤ LỤC|Phụ lục|QUY ĐỊNH|QUY CHẾ|QUY TRÌNH|DANH MỤC|BIỂU MẪU|Điều\s+\d|Chương\s|"
                      r"CHƯƠNG\s|Nơi nhận|TM\.|T/M|KT\.|TL\.|TUQ\.|Q\.\s|XÁC THỰC)")


def _outside(cell: list[str]) -> bool:
    first = _plain(cell[0])
    return bool(_OUTSIDE.match(first)) or (first.isupper() and gazetteer.position(first) is not None) \
        or any("kèm theo" in _plain(line).lower() for line in cell[:6])


def _emit_row(row: list[list[str]], out: list[str], hard_break: str, in_table: bool) -> bool:
    """Emit one row's cells; whether it ended as a data row of a table."""
    cells = [[ln for ln in cell if re.sub(r"[*_\s]", "", ln)] for cell in row]
    if not any(cells):
        return in_table  # "|" lines in a row: no row in between
    group: list[list[str]] = []
    for cell in (c for c in cells if c):
        if _outside(cell):  # a heading or signature between tables, not a cell: ends the row
            _emit_cells(group, out, hard_break, in_table)
            _emit_cells([cell], out, hard_break, False)
            group, in_table = [], False
        else:
            group.append(cell)
    return _emit_cells(group, out, hard_break, in_table)


def _emit_cells(cells: list[list[str]], out: list[str], hard_break: str, in_table: bool) -> bool:
    """One line 'a | b | c' for a data row, else one paragraph per cell; whether it was a data row."""
    if len(cells) >= (2 if in_table else 3) and all(len(c) <= 12 for c in cells):
        out.append(hard_break)
        out.append(" | ".join(" ".join(ln.strip() for ln in cell) for cell in cells))
        out.append(hard_break)
        return True
    for cell in cells:
        out.extend(cell)
        out.append(hard_break)
    return False


_MD_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")
_BR = re.compile(r"<br\s*/?>", re.I)


def markdown_rows(lines: list[str], hard_break: str) -> list[str]:
    """Markdown table rows ('| a | b |'): separator rows dropped; a row of three or more cells
    kept as one readable line 'a | b | c'; the cells of a two-cell layout row (header,
    signature) become separate paragraphs, line breaks (<br>) kept."""
    out: list[str] = []
    for line in lines:
        if _MD_RULE.match(line):
            out.append(hard_break)
            continue
        m = _MD_ROW.match(line)
        if not m or "|" not in m.group(1) and not _BR.search(line):
            out.append(line)
            continue
        cells = [c.strip() for c in m.group(1).split("|")]
        if len([c for c in cells if c]) >= 3:
            out.append(" | ".join(_BR.sub(" ", c) for c in cells))
            continue
        for cell in cells:
            out.extend(_BR.split(cell))
            out.append(hard_break)
    return out
