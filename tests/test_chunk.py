"""Clauses of the real documents: breadcrumbs, sizes, no junk, same clauses from every format."""
import re
import unicodedata

import pytest

from indexer.index.build import parse_file

from conftest import CORPUS, HA_TINH, LAM_DONG, QN_PLAN, SEEDS, THUY_NGUYEN
from filegen import write_docx, write_pdf


def _find(chunks, needle):
    return next(c for c in chunks if needle in c.text)


def test_breadcrumbs_of_chosen_clauses(parsed):
    chunks = parsed[QN_PLAN].chunks
    clause = _find(chunks, "không gian ngầm")
    assert clause.section.startswith("II.")
    assert clause.section_labels[0] == "II"
    ha_tinh = _find(parsed[HA_TINH].chunks, "Tỷ lệ đô thị hóa đến năm 2025 đạt trên 40%")
    assert ha_tinh.section == "II. MỤC TIÊU" and ha_tinh.section_labels == ["II"]
    tod = _find(parsed[LAM_DONG].chunks, "(TOD)")
    assert tod.section.startswith("III. NHIỆM VỤ VÀ GIẢI PHÁP CHỦ YẾU › 3.")
    assert tod.section_labels == ["III", "3"]


def test_no_clause_is_junk_or_page_number(parsed):
    for name in SEEDS:
        for chunk in parsed[name].chunks:
            assert not re.fullmatch(r"\s*\d+\s*", chunk.text)
            assert "handwritten" not in chunk.text.lower()
            assert "**" not in chunk.text and "<sup>" not in chunk.text and "\\text" not in chunk.text


def test_clause_sizes_fit_the_model(parsed):
    for name in SEEDS:
        for chunk in parsed[name].chunks:
            assert len(chunk.text) <= 1000, (name, chunk.chunk_id)
            assert chunk.segmented and "_" in chunk.segmented or len(chunk.text) < 60


def test_offsets_point_into_cleaned_text(parsed):
    for name in SEEDS:
        doc = parsed[name]
        for chunk in doc.chunks:
            assert doc.text[chunk.start:chunk.end] == chunk.text


def test_segmentation_keeps_proper_nouns(parsed):
    chunk = _find(parsed[THUY_NGUYEN].chunks, "Thủy Nguyên là trung tâm")
    assert "Thủy_Nguyên" in chunk.segmented


def _norm(text):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


@pytest.mark.parametrize("writer,suffix", [(write_pdf, ".pdf"), (write_docx, ".docx")])
def test_same_clauses_from_txt_pdf_docx(tmp_path, writer, suffix):
    source = (CORPUS / QN_PLAN).read_text(encoding="utf-8")
    txt = parse_file(CORPUS / QN_PLAN, "doc")
    path = tmp_path / f"plan{suffix}"
    writer(source, path)
    other = parse_file(path, "doc")
    assert other.meta.number == "151/KH-UBND" and other.meta.date == "2022-09-22"
    expected = [(c.section, _norm(c.text)) for c in txt.chunks if c.zone == "body"]
    got = [(c.section, _norm(c.text)) for c in other.chunks if c.zone == "body"]
    # the same text under the same breadcrumbs, in the same order …
    assert _by_section(got) == _by_section(expected)
    # … cut into the same clauses, except where a paragraph ends exactly at the PDF's right
    # margin (indistinguishable from a sentence that does, which must not end the paragraph)
    same = len(set(got) & set(expected))
    assert same >= 0.9 * len(expected), (same, len(expected))


def _by_section(chunks):
    out: list[tuple[str, str]] = []
    for section, text in chunks:
        if out and out[-1][0] == section:
            out[-1] = (section, out[-1][1] + " " + text)
        else:
            out.append((section, text))
    return out


def test_header_block_is_one_clause(parsed):
    head = parsed[QN_PLAN].chunks[0]
    assert head.zone == "preamble" and "KẾ HOẠCH" in head.text
    assert "Số: 151 /KH-UBND" in head.text and "Triển khai thực hiện Chương trình hành động" in head.text
    assert "Thực hiện Chương trình hành động số 21-CTr/TU ngày 12/8/2022 của Tỉnh ủy (viết tắt" not in head.text


def test_header_block_of_a_letter_keeps_its_subject_line():
    from indexer.parse.chunk import header_end

    text = ("BỘ NỘI VỤ\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nSố: 12/BNV-TCBC\n"
            "V/v đề xuất biên chế\nHà Nội, ngày 2 tháng 1 năm 2025\nKính gửi: Các bộ, ngành.\nThực hiện …")
    assert text[:header_end(text, 900)].endswith("Hà Nội, ngày 2 tháng 1 năm 2025")
    party = ("ĐẢNG BỘ TỈNH X\nTỈNH ỦY\n*\nĐẢNG CỘNG SẢN VIỆT NAM\nSố: 05-CTr/TU\nX, ngày 3 tháng 4 năm 2024\n"
             "CHƯƠNG TRÌNH HÀNH ĐỘNG\nThực hiện Nghị quyết số 06-NQ/TW của Bộ Chính trị\n\n"
             "Thực hiện Nghị quyết số 06-NQ/TW ngày 24/01/2022, Ban Thường vụ Tỉnh ủy xây dựng …")
    assert text and party[:header_end(party, 900)].endswith("của Bộ Chính trị")


def test_site_information_is_a_last_clause_of_its_own():
    from indexer.parse.cite import cite
    from indexer.settings import shared_dir

    path = shared_dir() / "realdocs" / "docs" / "5d3180cef1d254d0.md"
    if not path.exists():
        pytest.skip("shared/realdocs not available")
    doc = parse_file(path, "cv")
    site = doc.chunks[-1]
    assert site.zone == "site" and site.start == site.end == -1
    assert "Người ký: Vũ Chiến Thắng" in site.text and "Số hiệu: 10989/BNV-TCBC" in site.text
    assert cite(doc.meta, site).endswith("thông tin văn bản trên trang nguồn")
    assert all(c.zone != "site" for c in doc.chunks[:-1])


# A regulation hard-wrapped near 80 columns as a legal site prints it, with a procedure table
# whose cells are printed between "|" lines.
_SITE_TEXT = """Điều 5. Trình tự cấp phép
1. Hồ sơ đề nghị cấp phép gồm:
a) Văn bản đề nghị của Công ty Cổ phần Sông Hồng - Mê Kông;
b) Cách thức nộp hồ sơ: Chậm nhất trước 05 ngày làm việc, người đề nghị gửi hồ sơ
đến Bộ phận một cửa hoặc cơ quan, đơn vị phối hợp với Công ty Cổ phần Sông Hồng
- Mê Kông theo dõi việc vào, ra khu vực cảng; trường hợp hồ sơ chưa đầy đủ thì
trong thời hạn 01 ngày làm việc cơ quan tiếp nhận hướng dẫn bổ sung theo tuyến
đường phía
Đông Nam;
c) Thời hạn cấp phép là 03 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.
2. Quy trình nội bộ:
|
**Bước**
|
**Đơn vị thực hiện**
|
**Thời gian**
|
|
Bước 1
|
Bộ phận một cửa
|
04 giờ
|
|
|
Bước 2
|
Phòng chuyên môn thẩm định hồ sơ và dự thảo kết quả
|
16 giờ
|
|
|
**Tổng thời gian giải quyết**
|
**20 giờ kể từ ngày nhận
đủ hồ sơ theo quy định**
|"""


def _site_chunks():
    from indexer.parse.chunk import chunk_document
    from indexer.parse.clean import clean_text
    from indexer.parse.structure import parse_sections

    text = clean_text(_SITE_TEXT)
    return text, chunk_document("t", text, parse_sections(text))


def test_a_line_wrapped_at_a_hyphen_stays_in_its_clause():
    text, chunks = _site_chunks()
    point_b = _find(chunks, "b) Cách thức nộp hồ sơ")
    assert "phối hợp với Công ty Cổ phần Sông Hồng - Mê Kông theo dõi việc vào, ra khu vực cảng" in point_b.text
    assert point_b.section_labels == ["Điều 5", "khoản 1", "điểm b"]
    assert point_b.text.endswith("theo tuyến đường phía\nĐông Nam;")  # its tail, cut off by a short line, joins it
    assert not any(c.text.startswith("- Mê Kông") for c in chunks)
    assert all(text[c.start:c.end] == c.text for c in chunks)  # text is quoted exactly


def test_a_table_row_spanning_columns_keeps_its_label():
    _, chunks = _site_chunks()
    total = _find(chunks, "20 giờ kể từ ngày nhận đủ hồ sơ")
    assert "Tổng thời gian giải quyết | 20 giờ kể từ ngày nhận đủ hồ sơ theo quy định" in total.text
    assert "Bước 2 | Phòng chuyên môn thẩm định hồ sơ và dự thảo kết quả | 16 giờ" in _find(chunks, "Bước 2").text
