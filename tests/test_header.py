"""The printed header and signature read in every layout documents arrive in: Markdown tables
(one row or row by row), DOCX/HTML tables, PDF text with both columns on one line."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.ingest import read_document
from indexer.parse.clean import clean, clean_text
from indexer.parse.metadata import extract_metadata
from indexer.parse.structure import parse_sections

BODY = ("\nQUYẾT ĐỊNH\nVề việc phê duyệt kế hoạch chuyển đổi số năm 2025\n\n"
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH LÂM ĐỒNG\n\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;\n\nQUYẾT ĐỊNH:\n\n"
        "Điều 1. Phê duyệt kế hoạch chuyển đổi số năm 2025 hoặc các nhiệm vụ liên quan.\n\n"
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.\n\n")
SIGN_MD = "| Nơi nhận:<br>- Như Điều 2;<br>- Lưu: VT. | KT. CHỦ TỊCH<br>PHÓ CHỦ TỊCH<br><br>Nguyễn Văn Bình |\n"
LAYOUTS = {
    "markdown_one_row": (
        "| ỦY BAN NHÂN DÂN<br>TỈNH LÂM ĐỒNG<br>------- | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<br>"
        "Độc lập - Tự do - Hạnh phúc<br>--------------- |\n|---|---|\n"
        "| Số: 123/QĐ-UBND | *Lâm Đồng, ngày 05 tháng 3 năm 2025* |\n" + BODY + SIGN_MD, "md"),
    "markdown_rows": (
        "| ỦY BAN NHÂN DÂN | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM |\n|---|---|\n"
        "| TỈNH LÂM ĐỒNG | Độc lập - Tự do - Hạnh phúc |\n"
        "| Số: 123/QĐ-UBND | Lâm Đồng, ngày 05 tháng 3 năm 2025 |\n" + BODY + SIGN_MD, "md"),
    "tab_rows": (
        "ỦY BAN NHÂN DÂN\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nTỈNH LÂM ĐỒNG\tĐộc lập - Tự do - Hạnh phúc\n"
        "Số: 123/QĐ-UBND\tLâm Đồng, ngày 05 tháng 3 năm 2025\n" + BODY +
        "Nơi nhận:\n- Như Điều 2;\n- Lưu: VT.\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nNguyễn Văn Bình\n", "txt"),
    "pdf_columns_merged": (
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nTỈNH LÂM ĐỒNG Độc lập - Tự do - Hạnh phúc\n"
        "Số: 123/QĐ-UBND Lâm Đồng, ngày 05 tháng 3 năm 2025\n" + BODY +
        "Nơi nhận: KT. CHỦ TỊCH\n- Như Điều 2; PHÓ CHỦ TỊCH\n- Lưu: VT.\nNguyễn Văn Bình\n", "txt"),
    "html_table": (
        "<html><body><table><tr><td><p>ỦY BAN NHÂN DÂN</p><p>TỈNH LÂM ĐỒNG</p></td><td><p><b>CỘNG HÒA XÃ HỘI "
        "CHỦ NGHĨA VIỆT NAM</b></p><p>Độc lập - Tự do - Hạnh phúc</p></td></tr><tr><td>Số: 123/QĐ-UBND</td>"
        "<td><i>Lâm Đồng, ngày 05 tháng 3 năm 2025</i></td></tr></table>"
        + "".join(f"<p>{line}</p>" for line in BODY.split("\n") if line.strip()) +
        "<table><tr><td><p>Nơi nhận:</p><p>- Như Điều 2;</p><p>- Lưu: VT.</p></td><td><p><b>KT. CHỦ TỊCH</b></p>"
        "<p><b>PHÓ CHỦ TỊCH</b></p><p><b>Nguyễn Văn Bình</b></p></td></tr></table></body></html>", "html"),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_header_in_every_layout(tmp_path, layout):
    text, ext = LAYOUTS[layout]
    path = tmp_path / f"doc.{ext}"
    path.write_text(text, encoding="utf-8")
    raw = read_document(path)
    cleaned = clean(raw)
    meta = extract_metadata("d", path.name, raw.sha256, cleaned.text, parse_sections(cleaned.text),
                            raw_text=raw.text)
    assert (meta.doc_type, meta.number, meta.date) == ("Quyết định", "123/QĐ-UBND", "2025-03-05")
    assert (meta.issuer, meta.level, meta.province) == ("UBND tỉnh Lâm Đồng", "tỉnh", "Lâm Đồng")
    assert (meta.signer, meta.signer_title) == ("Nguyễn Văn Bình", "Phó Chủ tịch")
    assert meta.title == "Về việc phê duyệt kế hoạch chuyển đổi số năm 2025" and meta.structure == "dieu"
    assert "hoặc các nhiệm vụ" in cleaned.text


def test_markdown_tables_are_readable_rows():
    assert clean_text("| TT | Tên | Thời hạn |\n|---|---|---|\n| 1 | Cấp phép<br>khoan nước | 22 ngày |\n") == \
        "TT | Tên | Thời hạn\n1 | Cấp phép khoan nước | 22 ngày"
    layout = clean_text(LAYOUTS["markdown_one_row"][0]).split("\n")
    assert layout[:4] == ["ỦY BAN NHÂN DÂN", "TỈNH LÂM ĐỒNG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                          "Độc lập - Tự do - Hạnh phúc"]
