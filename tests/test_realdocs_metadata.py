"""Metadata of real documents (shared/realdocs) by the national formats, and unreadable headers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.ingest import read_document
from indexer.parse.clean import clean
from indexer.parse.metadata import extract_metadata
from indexer.parse.structure import parse_sections
from indexer.records import DocumentMeta
from indexer.settings import shared_dir

REALDOCS = Path(shared_dir()) / "realdocs"
pytestmark = pytest.mark.skipif(not (REALDOCS / "metadata.jsonl").is_file(), reason="shared/realdocs not available")
FIELDS = ["doc_type", "number", "date", "issuer", "issuer_parent", "level", "province", "signer",
          "signer_title", "title", "structure"]


def meta_of(path: Path) -> DocumentMeta:
    raw = read_document(path)
    cleaned = clean(raw)
    return extract_metadata("d", path.name, raw.sha256, cleaned.text, parse_sections(cleaned.text),
                            raw_text=raw.text)


def meta_from_text(tmp_path: Path, text: str, name: str = "doc.md") -> DocumentMeta:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return meta_of(path)


@pytest.fixture(scope="module")
def realdocs():
    truth = [json.loads(line) for line in (REALDOCS / "metadata.jsonl").read_text(encoding="utf-8").splitlines()]
    return [(row, meta_of(REALDOCS / "docs" / row["file"])) for row in truth]


def _same(field: str, got, want) -> bool:
    if field == "title":
        return (got or "").rstrip(".").casefold() == (want or "").rstrip(".").casefold()
    return (got or None) == want


@pytest.mark.parametrize("field", FIELDS)
def test_field_accuracy_on_real_documents(realdocs, field):
    wrong = [(row["file"], getattr(meta, field), row[field]) for row, meta in realdocs
             if not _same(field, getattr(meta, field), row[field])]
    assert len(wrong) <= 0.05 * len(realdocs), wrong


def by_file(realdocs, name: str) -> DocumentMeta:
    return next(meta for row, meta in realdocs if row["file"] == name)


def test_place_of_signing_is_not_a_province(realdocs):
    meta = by_file(realdocs, "ccb7cba554ea36d2.md")  # Chính phủ, 'Hà Nội, ngày …', about Đà Nẵng
    assert meta.issuer == "Chính phủ" and meta.level == "trung ương" and meta.province is None


def test_council_resolution_number_with_year(realdocs):
    meta = by_file(realdocs, "350a122d2613c4d6.md")
    assert meta.number == "63/2025/NQ-HĐND" and meta.issuer == "HĐND thành phố Hà Nội"
    assert meta.level == "tỉnh" and meta.province == "Hà Nội"


def test_sub_body_under_its_parent(realdocs):
    meta = by_file(realdocs, "93cafb7b0f4df375.md")
    assert (meta.issuer, meta.issuer_parent, meta.level) == ("Cục Hải quan", "Bộ Tài chính", "trung ương")
    assert meta.signer_title == "Phó Trưởng ban"  # 'TL. CỤC TRƯỞNG / KT. TRƯỞNG BAN … / PHÓ TRƯỞNG BAN'


def test_signing_formula_is_not_the_title(realdocs):
    meta = by_file(realdocs, "04e4130eb91f3242.md")  # 'KT. CHỦ TỊCH / PHÓ CHỦ TỊCH'
    assert meta.signer_title == "Phó Chủ tịch" and meta.signer == "Nguyễn Huy Ngọc"


def test_cong_van_subject_and_consolidated_text(realdocs):
    letter = by_file(realdocs, "06690fd4027d01c8.md")
    assert letter.doc_type == "Công văn" and letter.title.startswith("Thành lập Mạng lưới")
    assert by_file(realdocs, "1e6fb98e16a75e3d.md").doc_type == "Văn bản hợp nhất"


def test_military_rank_is_not_part_of_the_name(realdocs):
    assert by_file(realdocs, "1e6fb98e16a75e3d.md").signer == "Nguyễn Tân Cương"


def test_uppercase_title_in_sentence_case(realdocs):
    meta = by_file(realdocs, "04e0c7e10cd38cdd.md")
    assert meta.title.startswith("Về việc bổ sung danh sách các cửa khẩu quốc tế")


def test_party_document_header(tmp_path):
    meta = meta_from_text(tmp_path, (
        "| TỈNH ỦY BẮC NINH\n*\n| ĐẢNG CỘNG SẢN VIỆT NAM\n|\n|\nSố 15-KH/TU\n|\n"
        "*Bắc Ninh, ngày 05 tháng 3 năm 2025*\n|\n\n**KẾ HOẠCH**\n\n**thực hiện Chỉ thị số 35-CT/TW "
        "của Bộ Chính trị**\n\nI. MỤC ĐÍCH, YÊU CẦU\n\n1. Quán triệt sâu sắc nội dung Chỉ thị.\n\n"
        "2. Tổ chức thực hiện nghiêm túc.\n\nII. NỘI DUNG\n\n1. Tuyên truyền.\n\n2. Kiểm tra.\n\n"
        "|\nNơi nhận:\n- Như trên,\n- Lưu VPTU.\n|\n**T/M BAN THƯỜNG VỤ\nPHÓ BÍ THƯ**\n\n**Nguyễn Văn A**\n|\n"))
    assert (meta.doc_type, meta.number, meta.date) == ("Kế hoạch", "15-KH/TU", "2025-03-05")
    assert (meta.issuer, meta.level, meta.province) == ("Tỉnh ủy Bắc Ninh", "tỉnh", "Bắc Ninh")
    assert (meta.signer, meta.signer_title) == ("Nguyễn Văn A", "Phó Bí thư")
    assert meta.title == "Thực hiện Chỉ thị số 35-CT/TW của Bộ Chính trị"


def test_unreadable_header_gives_warnings_not_guesses(tmp_path):
    meta = meta_from_text(tmp_path, (
        "######\n\n~~~ trang 1 ~~~\n\nNội dung được ghi lại từ một bản chụp mờ, phần đầu không đọc được.\n\n"
        "1. Các cơ quan ở Hà Nội và Hồ Chí Minh phối hợp thực hiện.\n\n2. Báo cáo kết quả trước ngày 30/6.\n"))
    assert meta.number is None and meta.date is None and meta.signer is None
    assert meta.province is None or "province" in meta.inferred
    codes = {getattr(w, "code", "") for w in meta.warnings}
    assert {"number_missing", "date_missing", "signer_missing"} <= codes
    assert any("chưa ghi" in w for w in meta.warnings)


def test_site_information_block_is_only_a_marked_fallback(tmp_path):
    site = ("Bản dịch này thuộc quyền sở hữu của **THƯ VIỆN PHÁP LUẬT**.\n|\n**Số hiệu:**\n|\n12/KH-UBND\n|\n"
            "**Ngày ban hành:**\n|\n03/02/2025\n|\n**Người ký:**\n|\nTrần Văn B\n|\n")
    header = ("|\n**ỦY BAN NHÂN DÂN**\nTỈNH NGHỆ AN\n-------\n|\n**CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM**\n"
              "Độc lập - Tự do - Hạnh phúc\n|\n|\nSố: 12/KH-UBND\n|\n{date}\n|\n\n**KẾ HOẠCH**\n\n"
              "Thực hiện chuyển đổi số năm 2025\n\nI. MỤC ĐÍCH\n\n1. Nâng cao chất lượng dịch vụ công.\n\n"
              "2. Bảo đảm an toàn thông tin.\n\nII. NHIỆM VỤ\n\n1. Số hóa hồ sơ.\n\n2. Đào tạo cán bộ.\n\n"
              "|\nNơi nhận:\n- Lưu: VT.\n|\n**KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH**\n**Trần Văn B**\n|\n")
    undated = meta_from_text(tmp_path, site + header.format(date=""), "a.md")
    assert undated.date == "2025-02-03" and "date" in undated.inferred
    assert any(getattr(w, "code", "") == "site_block" for w in undated.warnings)
    printed = meta_from_text(tmp_path, site + header.format(date="*Nghệ An, ngày 05 tháng 02 năm 2025*"), "b.md")
    assert printed.date == "2025-02-05" and printed.inferred == []
    assert (printed.issuer, printed.province, printed.signer_title) == ("UBND tỉnh Nghệ An", "Nghệ An", "Phó Chủ tịch")
