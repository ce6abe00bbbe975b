from indexer.parse.clean import clean_text, is_ocr_junk, latex_to_text, strip_markup
from indexer.text.normalize import fold, normalize_text

from conftest import CORPUS, LAM_DONG, THUY_NGUYEN


def test_tone_marks_meet_on_one_convention():
    assert normalize_text("hoá") == normalize_text("hóa") == "hóa"
    assert normalize_text("thuỷ") == normalize_text("thủy")
    assert normalize_text("khoẻ") == normalize_text("khỏe")
    assert normalize_text("quý") == "quý"  # qu + ý: not an old-style placement
    assert normalize_text("hoàn thuyền") == "hoàn thuyền"


def test_decomposed_text_is_composed():
    decomposed = "Quy hoạch đô thị".encode("utf-8").decode("utf-8")
    import unicodedata

    assert normalize_text(unicodedata.normalize("NFD", decomposed)) == unicodedata.normalize("NFC", decomposed)


def test_fold_removes_diacritics():
    assert fold("Không gian ngầm ĐÔ THỊ") == "khong gian ngam do thi"


def test_markup_is_removed_keeping_meaning():
    assert strip_markup("#### **1. Hoàn thiện thể chế**") == "1. Hoàn thiện thể chế"
    assert strip_markup("đạt 32m<sup>2</sup> vào năm 2025") == "đạt 32m² vào năm 2025"
    assert strip_markup("(viết tắt là *Nghị quyết số 06-NQ/TW*)") == "(viết tắt là Nghị quyết số 06-NQ/TW)"


def test_latex_fragments_become_text():
    assert latex_to_text(r"28\text{m}^2/\text{người}") == "28 m²/người"
    assert "28 → 30 m²/người" in clean_text(r"đạt $28 \rightarrow 30 \text{m}^2/\text{người}$ vào năm 2025")


def test_pdf_page_numbers_and_broken_lines(tmp_path):
    text = clean_text((CORPUS / LAM_DONG).read_text(encoding="utf-8"))
    lines = text.split("\n")
    assert not any(line.strip().isdigit() for line in lines)
    assert "phát triển đô thị theo định hướng giao thông công cộng (TOD)" in text
    # a line broken before a proper noun is joined again
    assert "trên địa bàn tỉnh Lâm Đồng" in text


def test_running_headers_removed_from_pdf_pages():
    pages = "\f".join(f"UBND TỈNH X\nNội dung trang {i} dài đủ để là một đoạn văn.\n{i}" for i in range(1, 5))
    warnings: list[str] = []
    text = clean_text(pages, warnings)
    assert "UBND TỈNH X" not in text
    assert "Nội dung trang 3" in text
    assert warnings


def test_ocr_junk_is_dropped():
    raw = (CORPUS / THUY_NGUYEN).read_text(encoding="utf-8")
    warnings: list[str] = []
    text = clean_text(raw, warnings)
    assert "Handwritten" not in text and "paragraph of handwritten text" not in text
    assert "Phạm Văn Thép" in text
    assert any("OCR" in w for w in warnings)
    assert is_ocr_junk("Second paragraph of handwritten text, continuing the narrative or report.")
    assert not is_ocr_junk("Phát triển đô thị thông minh gắn với chuyển đổi số.")


def test_cleaning_is_idempotent_on_corpus():
    for path in sorted(CORPUS.glob("*.txt")):
        once = clean_text(path.read_text(encoding="utf-8"))
        assert clean_text(once) == once, path.name
