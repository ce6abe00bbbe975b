"""Question understanding (fast tier, no model): kind, facts, entities, language."""
import pytest

from indexer.features.generation import check_citations
from indexer.features.question import detect_language, expected_units, find_entities, number_key, understand


@pytest.mark.parametrize("text, kind, facts", [
    ("Ai ký Kế hoạch 151/KH-UBND?", "fact", ["signer"]),
    ("ai ky quyet dinh 12/QD-UBND cua tinh Lao Cai", "fact", ["signer"]),
    ("Who signed Decision 12/QĐ-TTg?", "fact", ["signer"]),
    ("Nghị định 99/2024/NĐ-CP ban hành ngày nào?", "fact", ["date"]),
    ("When was Circular 10/2023/TT-BTC issued?", "fact", ["date"]),
    ("Thông tư 10/2023/TT-BTC có hiệu lực từ ngày nào?", "fact", ["validity"]),
    ("số hiệu văn bản của Sở Y tế về tiêm chủng", "fact", ["number"]),
    ("Cơ quan nào ban hành Chỉ thị 03/CT-UBND?", "fact", ["issuer"]),
])
def test_document_facts(text, kind, facts):
    q = understand(text)
    assert q.kind == kind and q.facts == facts


@pytest.mark.parametrize("text, kind", [
    ("Tỷ lệ che phủ rừng của tỉnh Yên Bái năm 2030 đạt bao nhiêu?", "value"),
    ("mức hỗ trợ mỗi hộ gia đình là bao nhiêu tiền", "value"),
    ("How many kilometres of expressway will be built by 2030?", "value"),
    ("Hồ sơ phải nộp trước ngày nào?", "value"),
    ("Sở nào chủ trì việc lập quy hoạch sử dụng đất?", "actor"),
    ("Which department leads the digital transformation plan?", "actor"),
    ("đơn vị nào chịu trách nhiệm kiểm tra an toàn thực phẩm", "actor"),
    ("Đô thị thông minh là gì?", "definition"),
    ("So sánh chỉ tiêu tỷ lệ đô thị hóa giữa các tỉnh", "comparison"),
    ("compare the 2025 urbanisation targets of each province", "comparison"),
    ("phát triển nhà ở xã hội", "passage"),
])
def test_kinds(text, kind):
    assert understand(text).kind == kind


def test_a_deadline_is_a_value_not_the_date_of_issue():
    assert understand("Báo cáo phải gửi về Sở Tài chính trước ngày nào?").kind == "value"


@pytest.mark.parametrize("text, provinces", [
    ("Tỷ lệ đô thị hóa của Hà Nội năm 2030?", ["Hà Nội"]),
    ("ty le do thi hoa cua Khanh Hoa nam 2030", ["Khánh Hòa"]),
    ("What is the target of Da Nang?", ["Đà Nẵng"]),
    ("urban plan of Hanoi", ["Hà Nội"]),
    ("chỉ tiêu của TP.HCM", ["Hồ Chí Minh"]),
    ("Quảng Nam và Quảng Ngãi", ["Quảng Nam", "Quảng Ngãi"]),
    ("kế hoạch của tỉnh Thừa Thiên Huế", ["Huế"]),
    ("xây dựng nền hòa bình bền vững ở Việt Nam", []),
])
def test_provinces_old_new_unaccented_english(text, provinces):
    assert find_entities(text).provinces == provinces


def test_post_2025_province_name_is_recognised():
    # Tuyên Quang (absorbing Hà Giang) and the new Đồng Tháp exist in the post-2025 list
    assert find_entities("chỉ tiêu của tỉnh Tuyên Quang mới").provinces == ["Tuyên Quang"]
    assert find_entities("tỉnh Đồng Tháp").provinces == ["Đồng Tháp"]


@pytest.mark.parametrize("text, numbers", [
    ("Ai ký Quyết định 456/QĐ-UBND?", ["456/QĐ-UBND"]),
    ("nghi quyet 06-NQ/TW ban hanh ngay nao", ["06-NQ/TW"]),
    ("Nghị quyết 63/2025/NQ-HĐND quy định", ["63/2025/NQ-HĐND"]),
    ("Resolution 1668/NQ-UBTVQH15", ["1668/NQ-UBTVQH15"]),
    ("ngày 26/11/2025 lúc 16h", []),
])
def test_document_numbers(text, numbers):
    assert find_entities(text).doc_numbers == numbers


def test_document_by_type_and_bare_number_and_years():
    e = find_entities("Nhiệm vụ nào trong kế hoạch 151 giao Sở Xây dựng? Đến năm 2030")
    assert e.doc_refs == [("ke hoach", "151")] and e.years == [2030]


def test_number_key_ignores_case_accents_spaces_and_leading_zeros():
    assert number_key("456/QĐ-UBND") == number_key("456/qd-ubnd") == number_key("0456 /QĐ-UBND")


@pytest.mark.parametrize("text, language", [
    ("Who signed the resolution?", "en"),
    ("What size is the card?", "en"),
    ("ai ky quyet dinh nay", "vi"),
    ("ty le do thi hoa cua tinh nam 2030 la bao nhieu", "vi"),
    ("Tỷ lệ đô thị hóa là bao nhiêu?", "vi"),
])
def test_language(text, language):
    assert detect_language(text) == language


def test_generated_citations_are_checked():
    text, dropped = check_citations("Đạt 74 - 76% [1]. Bịa đặt [7]. Không trích dẫn. Hai nguồn [1][2].", 3)
    assert text == "Đạt 74 - 76% [1]. Hai nguồn [1][2]." and dropped == 2
    assert check_citations("", 3) == ("", 0)
    assert check_citations("Số liệu [0].", 3) == ("", 1)


def test_unreachable_generation_endpoint_only_warns():
    from indexer.features.answer import Answer
    from indexer.features.generation import generate_safely

    a = Answer("câu hỏi", True, [], [], message="Giá trị: 74 - 76%")
    generate_safely(a, "http://127.0.0.1:9", "any-model", timeout=2)
    assert a.generated is None and a.message == "Giá trị: 74 - 76%"
    assert a.warnings and "127.0.0.1:9" in a.warnings[0]
    b = Answer("câu hỏi", True, [], [])
    generate_safely(b, "http://127.0.0.1:9", None, timeout=2)
    assert b.generated is None and "--llm-model" in b.warnings[0]


def test_a_place_inside_an_organisation_name_is_not_a_province_scope():
    assert find_entities("Ai quyết định cử viên chức Trường Đại học Luật Hà Nội đi học?").provinces == []
    assert find_entities("UBND Hà Nội và Trường Đại học Luật Hà Nội").provinces == ["Hà Nội"]


def test_composite_question_parts():
    from indexer.features.question import other_parts

    q = understand("Phải nộp hồ sơ trước bao nhiêu ngày và ai lập hồ sơ?")
    assert q.kind == "actor" and other_parts(q) == ["Phải nộp hồ sơ trước bao nhiêu ngày"]
    q = understand("Chương trình 42-CTr/HU ban hành ngày nào, căn cứ văn bản nào của Thành ủy")
    assert q.kind == "fact" and other_parts(q) == ["căn cứ văn bản nào của Thành ủy"]


def test_a_code_question_expects_a_dotted_code():
    import re

    from indexer.text.normalize import fold

    q = understand("What HS code was assigned to the imported solder wire?")
    assert q.kind == "value" and q.language == "en"
    units = expected_units(q.text)
    assert re.search(units, fold("phân nhóm “- Loại khác”, mã số 7106.92.00"))
    assert not re.search(units, fold("dây hàn Kester 275, model SAC305"))


def test_the_body_a_heading_assigns_its_items_to():
    from indexer.features.answer_sentences import section_body

    assert section_body("II. NHIỆM VỤ › 3. Về ổn định thị trường › b) Bộ Công Thương:") == "Bộ Công Thương"
    assert section_body("III › 2. Sở Tài chính chủ trì, phối hợp các sở") == "Sở Tài chính"
    assert section_body("Phần I › Ban hành kèm theo Quyết định") is None
    assert section_body("II › 1. Bộ máy tổ chức") is None


def test_numbers_that_number_things_are_not_values():
    from indexer.features.answer_sentences import _direct_answer

    q = understand("Tổng thời gian giải quyết thủ tục là bao lâu?")
    line = _direct_answer(q, "Bước 5 | Lãnh đạo UBND cấp xã ký phê duyệt theo mẫu số 02 | 08 giờ")
    assert line.endswith("08 giờ") and "5" not in line.replace("08", "")


def test_fee_and_budget_questions_expect_amounts():
    import re

    from indexer.features.question import expected_units
    from indexer.text.normalize import fold

    units = expected_units("Lệ phí cấp giấy phép khi nộp trực tuyến là bao nhiêu?")
    assert units and re.search(units, fold("1 | Cấp giấy phép | 1.004122 | 1.400.000 | 700.000")).group(0) == "1.400.000"
    assert re.search(expected_units("Nhu cầu vốn ngân sách địa phương là bao nhiêu?"), fold("khoảng 12.173 tỷ đồng"))
    assert not re.search(units, fold("mã thủ tục 1.004122"))  # a code, not an amount
