"""The shared table of asked values: each kind's question cue finds a printed example, not a near miss."""
from __future__ import annotations

import pytest

from indexer.text import values

# (question, a text printing the asked value, a near miss that does not)
CASES = {
    "duration": ("Được khai bổ sung trong thời hạn bao lâu?", "trong thời hạn 60 ngày kể từ ngày thông quan",
                 "trong thời hạn quy định kể từ ngày thông quan"),
    "date": ("Hồ sơ phải gửi trước ngày nào?", "gửi trước ngày 31 tháng 3 hằng năm",
             "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05/3/2020 của Chính phủ"),
    "when": ("Khi nào huyện trở thành thành phố?", "trở thành thành phố vào năm 2025", "trở thành thành phố trực thuộc"),
    "year": ("Quy hoạch được điều chỉnh đến năm nào?", "điều chỉnh đến năm 2045", "điều chỉnh theo từng giai đoạn"),
    "distance": ("Tâm bão cách đảo bao xa?", "cách đảo Song Tử Tây khoảng 120 km", "cách đảo Song Tử Tây rất xa"),
    "percent": ("Tỷ lệ đô thị hóa đạt bao nhiêu?", "tỷ lệ đô thị hóa đạt trên 45,5%", "tỷ lệ đô thị hóa tăng nhanh"),
    "money": ("Lệ phí cấp giấy phép là bao nhiêu?", "| Cấp giấy phép | 1.004122 | 1.400.000 |",
              "mã thủ tục 1.004122, cấp giấy phép"),
    "size": ("What size is the auditor card?", "Thẻ hình chữ nhật, rộng 54mm, dài 86 mm", "Thẻ hình chữ nhật, màu xanh"),
    "area": ("Diện tích cây xanh là bao nhiêu?", "đạt 12 m²/người", "đạt 12 người"),
    "code": ("What HS code was assigned to the solder wire?", "phân nhóm “- Loại khác”, mã số 7106.92.00",
             "dây hàn Kester 275, model SAC305"),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_kind_is_asked_and_found_as_printed(kind):
    question, printed, near_miss = CASES[kind]
    asked = values.asked_kind(question)
    assert asked == kind
    for pattern in (values.search_pattern(question), values.expected_pattern(question)):
        assert values.prints(pattern, printed)
        assert not values.prints(pattern, near_miss)


def test_counts_of_one_or_two_syllable_units_digits_or_spelled():
    assert values.asked_unit("được hỗ trợ mấy lần?") == ("lan",)
    assert values.asked_unit("tính tối thiểu bao nhiêu ngày công") == ("ngay", "cong")
    assert values.asked_unit("cây xanh bao nhiêu m2 mỗi người") == ("m2",)
    assert values.asked_unit("bao nhiêu đô thị loại II") == ("do", "thi")  # "do" alone is a stop word
    for question, printed, near_miss in [
            ("được hỗ trợ mấy lần?", "chỉ được hỗ trợ một lần cho mỗi hộ", "hỗ trợ theo từng lần phát sinh"),
            ("tính tối thiểu bao nhiêu ngày công", "tính tối thiểu là 0,5 ngày công", "tính 0,5 ngày làm việc"),
            ("công bố bao nhiêu thủ tục hành chính?", "công bố 12 thủ tục hành chính", "công bố thủ tục mới")]:
        assert values.asked_kind(question) == "count"
        for pattern in (values.search_pattern(question), values.expected_pattern(question)):
            assert values.prints(pattern, printed) and not values.prints(pattern, near_miss)


def test_words_after_how_many_that_are_no_unit():
    assert values.asked_unit("di dời nhà máy gây ô nhiễm") is None  # "máy" is not "mấy"
    assert values.asked_unit("tỷ lệ đạt bao nhiêu năm 2030") is None  # a year, not "năm" counted
    assert values.asked_unit("How much is the fee?") is None
    assert values.asked_kind("How much is the fee?") == "money"  # the fee names the value
    assert values.asked_kind("bao nhiêu tiền một tháng") == "money"  # a unit naming a kind
    assert values.asked_kind("Chỉ thị giao công an những việc gì") is None


def test_answers_trust_weaker_hints_than_search():
    question = "How much did the province receive?"  # a value question: "how much" hints at money
    assert values.asked_kind(question) is None
    assert "money" in values.kinds_hinted(question)
    assert values.prints(values.expected_pattern(question), "nhận 500 triệu đồng")


def test_value_text_reads_superscripts_and_blanks_cited_dates():
    assert "12 m2" in values.value_text("12 m²")
    assert "2020" not in values.value_text("Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05/3/2020")
    assert "15 thang 12" in values.value_text("Báo cáo trước ngày 15 tháng 12 hằng năm")


def test_communes_are_counted_and_ambiguous_spelled_numbers_are_not_counts():
    assert values.asked_kind("Sau sắp xếp, tỉnh có bao nhiêu xã, phường?") == "count"  # "xã" folds like "xa" (far)
    pattern = values.search_pattern("triển khai trong mấy ngày?")
    assert not values.prints(pattern, "Sau ngày ký, các đơn vị triển khai")  # "sau" (after) is no "sáu" (six)
    assert values.prints(pattern, "triển khai trong hai ngày")
