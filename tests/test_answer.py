"""Extractive answers on the real index: cited sentences, or a plain 'not found'."""
import pytest

from indexer.features.answer import NOT_FOUND, answer, check_citations, split_sentences

from conftest import THUY_NGUYEN


def test_numeric_answer_keeps_the_numbers_and_cites(engine):
    a = answer(engine, "Thủy Nguyên phấn đấu tỷ lệ đô thị hóa năm 2030 đạt bao nhiêu?")
    assert a.answered
    assert "74 - 76%" in a.sentences[0].text
    assert "42-CTr/HU" in a.sentences[0].citation
    assert a.results[a.sentences[0].ref - 1].chunk_id == a.sentences[0].chunk_id


def test_question_answer(engine):
    a = answer(engine, "Những ngọn núi nào ở Quảng Ngãi được trồng cây gỗ lớn?")
    assert a.answered and "Long Đầu" in " ".join(s.text for s in a.sentences)


@pytest.mark.parametrize("question", [
    "Giá vé máy bay đi Paris là bao nhiêu?",
    "công thức nấu phở bò",
    "lãi suất tiết kiệm ngân hàng tháng này",
    "how to install python on windows",
])
def test_questions_the_documents_cannot_answer(engine, question):
    a = answer(engine, question)
    assert not a.answered and a.message == NOT_FOUND and not a.sentences


def test_cross_province_question_gives_one_sentence_per_document(engine):
    a = answer(engine, "so sánh mục tiêu tỷ lệ đô thị hóa đến năm 2030 giữa các tỉnh")
    assert a.answered
    docs = [s.doc_id for s in a.sentences]
    assert len(docs) == len(set(docs)) >= 3


def test_sentences_keep_numbers_whole():
    parts = split_sentences("Đạt khoảng 13,3-16% vào năm 2025. Diện tích 5.000 ha; tỷ lệ 1,5 - 2%.")
    assert parts[0] == "Đạt khoảng 13,3-16% vào năm 2025."
    assert any("5.000 ha" in p for p in parts)


def test_generated_citations_are_checked():
    text, dropped = check_citations("Đạt 74 - 76% [1]. Bịa đặt [7]. Không trích dẫn.", 3)
    assert text == "Đạt 74 - 76% [1]." and dropped == 2
