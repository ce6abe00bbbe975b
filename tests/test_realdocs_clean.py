"""Cleaning of real documents copied from a legal site (shared/realdocs): boilerplate dropped
by rule, table cells as readable rows, bold markers inside words removed, no word altered."""
from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

import pytest

from indexer.ingest import read_document
from indexer.parse.clean import clean, clean_text
from indexer.settings import shared_dir

DOCS = Path(shared_dir()) / "realdocs" / "docs"
pytestmark = pytest.mark.skipif(not DOCS.is_dir(), reason="shared/realdocs not available")


def _clean(name: str) -> str:
    return clean(read_document(DOCS / name)).text


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text).lower()))


def test_site_material_is_dropped_and_the_document_kept():
    text = _clean("04e0c7e10cd38cdd.md")
    for noise in ("Bản dịch này thuộc quyền sở hữu", "has the copyright", "Số hiệu:", "Loại văn bản:",
                  "Văn bản liên quan", "Đăng xuất", "Click", "Đang tải văn bản", "ThuVienPhapLuat"):
        assert noise not in text, noise
    assert text.startswith("CHÍNH PHỦ\nCỘNG HÒA XÃ HỘI")
    assert "Điều 1. Bổ sung các cửa khẩu sau vào danh sách" in text
    assert text.rstrip().endswith("Bùi Thanh Sơn")


def test_no_markup_left_and_wrapped_phrases_joined():
    text = _clean("04e0c7e10cd38cdd.md")
    assert "**" not in text and not re.search(r"^\s*\|\s*$", text, re.M)
    assert "1. Cửa khẩu quốc tế Đồng Đăng (đường sắt), tỉnh Lạng Sơn;" in text.split("\n")
    assert "QUYẾT NGHỊ:" in text.split("\n")  # a bold line stays its own paragraph


def test_bold_markers_inside_dates_and_names():
    assert "Hà Nội, ngày 24 tháng 11 năm 2025" in _clean("1e6fb98e16a75e3d.md")
    text = _clean("e5fc434ba0580ac0.md")  # 'ngày **24** tháng 11 năm / 202**5'
    assert re.search(r"ngày 24 tháng 11 năm 2025", text)


def test_table_rows_are_readable():
    text = _clean("55f3a3d0d7e08b45.md").split("\n")
    assert ("TT | Tên thủ tục hành chính | Thời hạn giải quyết | Địa điểm thực hiện | "
            "Cách thức thực hiện | Phí, lệ phí | Căn cứ pháp lý | Ghi chú") in text
    assert any(line.startswith("1 | Cấp giấy phép hành nghề khoan nước dưới đất (1.004122) | ")
               for line in text)
    assert "PHỤ LỤC I" in text  # a heading between tables is not a cell


@pytest.mark.parametrize("name", sorted(p.name for p in DOCS.glob("*.md")) if DOCS.is_dir() else [])
def test_cleaning_never_alters_a_word(name):
    """Every word of the cleaned text is a word of the file (markup removed, NFC, one tone
    convention), and cleaning is idempotent."""
    raw = (DOCS / name).read_text(encoding="utf-8")
    from indexer.text.normalize import normalize_text

    source = normalize_text(html.unescape(re.sub(r"[*_#|`]", "", raw)))
    text = _clean(name)
    assert _words(text) <= _words(source)
    assert "hoặc" not in raw or "hoặc" in text
    assert "họăc" not in text and "ngọăc" not in text
    assert clean_text(text) == text


def test_invisible_and_xml_invalid_characters_are_stripped():
    text = clean_text("Điều 1.\ufeff Quy\u200bđịnh\ufffe chung\uffff\x01\x0b ab\u202ecd\u2066e\U000e0041f\n")
    assert text == "Điều 1. Quyđịnh chung abcdef"


def test_appended_english_translation_is_kept_apart():
    from indexer.parse.chunk import chunk_document
    from indexer.parse.structure import parse_sections

    vietnamese = (DOCS / "350a122d2613c4d6.md").read_text(encoding="utf-8")
    english = ("\n\nRESOLUTION\n\nPursuant to the Law on Organization of Local Government dated June 16, 2025;\n\n"
               "Article 1. Scope of regulation and subjects of application of this Resolution\n\n"
               "1. This Resolution prescribes the standard social assistance level of the city.\n\n"
               "2. This Resolution applies to the subjects defined in the Decree of the Government.\n")
    warnings: list[str] = []
    text = clean_text(vietnamese + english, warnings)
    assert any(getattr(w, "code", "") == "english_translation" for w in warnings)
    chunks = chunk_document("d", text, parse_sections(text))
    en = [c for c in chunks if c.zone == "en"]
    assert en and all("Resolution" in c.text or "Article" in c.text or "Pursuant" in c.text for c in en)
    assert not any("This Resolution" in c.text for c in chunks if c.zone == "body")


def test_site_information_block_is_kept_apart_from_the_text():
    cleaned = clean(read_document(DOCS / "5d3180cef1d254d0.md"))
    assert "Số hiệu: 10989/BNV-TCBC" in cleaned.site
    assert "Người ký: Vũ Chiến Thắng" in cleaned.site
    assert any(line.startswith("Công văn 10989/BNV-TCBC năm 2025") for line in cleaned.site)  # a caption
    assert not any("Đã biết" in line for line in cleaned.site)  # values the site hides are noise
    assert "Số hiệu:" not in cleaned.text  # the document's text itself stays free of site material


def test_a_document_without_site_material_has_no_site_block():
    from conftest import CORPUS

    for path in sorted(CORPUS.iterdir())[:2]:
        assert clean(read_document(path)).site == []
