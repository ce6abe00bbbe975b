from indexer.parse.clean import clean_text, is_ocr_junk, join_broken_lines, latex_to_text, strip_markup
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


# A text hard-wrapped near 80 columns, as legal sites print it: a hyphenated name or phrase is
# sometimes broken at its hyphen, so a line starts with "- " without being a bullet.
_WRAPPED = """2. Trình tự thực hiện như sau:
a) Hồ sơ gồm:
- Đơn đề nghị của Công ty Cổ phần Sông Hồng - Mê Kông;
- Bản sao giấy tờ có liên quan.
b) Cách thức nộp hồ sơ: Chậm nhất trước
05 ngày làm việc, cơ quan chủ trì kế hoạch phối hợp với Tổng công ty Vận tải Bắc
- Nam hoặc cơ quan, đơn vị có liên quan lập 01 bộ hồ sơ theo quy định tại điểm
a khoản này gửi trực tiếp đến cơ quan có thẩm quyền cấp phép;
c) Phát triển vùng nguyên liệu nhằm thúc đẩy sự phát triển kinh tế
- xã hội của tỉnh, tốc độ tăng bình quân 05
- 06%/năm theo hướng tăng trưởng xanh, phát triển nhanh và bền vững;
3. Công ty Cổ phần Sông Hồng
- Mê Kông có trách nhiệm thực hiện nghiêm các quy định của Quy chế này và các
quy định khác có liên quan của pháp luật./.
4. Tổ chức thực hiện
- Sở Tài chính chủ trì, phối hợp với các cơ quan có liên quan triển khai Kế hoạch;
- Sở Nội vụ theo dõi, đôn đốc, tổng hợp kết quả thực hiện."""


def test_a_line_wrapped_at_a_hyphen_continues_its_sentence():
    lines = _WRAPPED.split("\n")
    paragraphs = join_broken_lines(lines)  # one pass: each rule on its own
    assert paragraphs == clean_text(_WRAPPED).split("\n")
    # the line before is full (longer than most lines of the text)
    assert paragraphs[4].startswith("b) Cách thức nộp hồ sơ: Chậm nhất trước 05 ngày làm việc")
    assert "với Tổng công ty Vận tải Bắc - Nam hoặc cơ quan, đơn vị" in paragraphs[4]
    # the word after the dash is in lower case or a number
    assert "phát triển kinh tế - xã hội của tỉnh, tốc độ tăng bình quân 05 - 06%/năm theo" in paragraphs[5]
    # a short item line, but the document prints "Sông Hồng - Mê Kông" on one line elsewhere
    assert paragraphs[6].startswith("3. Công ty Cổ phần Sông Hồng - Mê Kông có trách nhiệm")
    # real bullets: after a line introducing a list (":"), after ";", after a heading
    assert paragraphs[2:4] == ["- Đơn đề nghị của Công ty Cổ phần Sông Hồng - Mê Kông;",
                               "- Bản sao giấy tờ có liên quan."]
    assert paragraphs[7] == "4. Tổ chức thực hiện"
    assert paragraphs[8].startswith("- Sở Tài chính") and paragraphs[9].startswith("- Sở Nội vụ")
    assert len(paragraphs) == 10


def test_numbered_bullets_after_a_wrapped_bullet_stay_bullets():
    lines = ["a) Thành phần hồ sơ:",
             "- Đơn đề nghị cấp giấy chứng nhận quyền sử dụng đất theo mẫu số 04a ban hành kèm",
             "theo Thông tư số 24/2014/TT-BTNMT",
             "- 01 bản sao giấy tờ tùy thân của người đề nghị cấp giấy chứng nhận quyền sử dụng",
             "- 02 bản chính sơ đồ thửa đất",
             "b) Thời hạn giải quyết: trong thời hạn 05 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ",
             "theo quy định, cơ quan có thẩm quyền xem xét, giải quyết và trả kết quả cho tổ chức,",
             "cá nhân đề nghị; trường hợp không giải quyết thì phải trả lời bằng văn bản và nêu rõ"]
    paragraphs = join_broken_lines(lines)  # hard-wrapped text (about 85 columns)
    assert paragraphs[1].endswith("ban hành kèm theo Thông tư số 24/2014/TT-BTNMT")
    assert paragraphs[2].startswith("- 01 bản sao") and paragraphs[3] == "- 02 bản chính sơ đồ thửa đất"
