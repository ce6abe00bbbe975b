"""Answers on the real index of corpus/: kinds, grounding, refusals naming the entity, citations."""
import pytest

from indexer.features.answer import NOT_FOUND, answer, split_sentences

pytestmark = pytest.mark.model


def _text(a) -> str:
    return "\n".join([a.message] + [s.text for s in a.sentences] + [str(r["value"]) for r in a.table])


def test_numeric_answer_keeps_the_numbers_and_cites(engine):
    a = answer(engine, "Thủy Nguyên phấn đấu tỷ lệ đô thị hóa năm 2030 đạt bao nhiêu?")
    assert a.answered and a.kind == "value"
    assert "74 - 76%" in a.sentences[0].text
    assert "42-CTr/HU" in a.sentences[0].citation
    assert a.results[a.sentences[0].ref - 1].chunk_id == a.sentences[0].chunk_id


def test_question_answer(engine):
    a = answer(engine, "Những ngọn núi nào ở Quảng Ngãi được trồng cây gỗ lớn?")
    assert a.answered and "Long Đầu" in _text(a)
    assert all(s.province == "Quảng Ngãi" for s in a.sentences)


@pytest.mark.parametrize("question", [
    "Ai ký Kế hoạch 151/KH-UBND?",
    "ai ky ke hoach 151/KH-UBND cua Quang Ngai",
])
def test_signer_comes_from_the_signature_block(engine, question):
    a = answer(engine, question)
    assert a.answered and a.kind == "fact"
    assert "Đặng Văn Minh" in a.message and "Số:" not in a.message
    assert "CHỦ TỊCH" in a.sentences[0].text and "khối chữ ký" in a.sentences[0].citation


def test_date_and_number_of_a_document(engine):
    a = answer(engine, "số hiệu và ngày ban hành kế hoạch của UBND tỉnh Quảng Ngãi")
    assert a.answered and "151/KH-UBND" in a.message and "22/9/2022" in a.message
    assert any("ngày 22 tháng 9 năm 2022" in s.text for s in a.sentences)


def test_english_fact_question_gets_the_same_answer(engine):
    a = answer(engine, "When was programme 42-CTr/HU issued?")
    assert a.answered and a.language == "en" and "6/3/2024" in a.message
    assert a.message.startswith("Date of issue")


def test_english_value_question_is_answered(engine):
    a = answer(engine, "What urbanisation rate does Thuy Nguyen target for 2030?")
    assert a.answered and "74 - 76%" in _text(a)


def test_actor_from_the_assignment_clause(engine):
    a = answer(engine, "Sở nào chủ trì nghiên cứu quy hoạch không gian ngầm ở Quảng Ngãi?")
    assert a.answered and a.kind == "actor"
    assert "chủ trì" in _text(a)


@pytest.mark.parametrize("question, entity", [
    ("Tỷ lệ đô thị hóa của Hà Nội đến năm 2030 là bao nhiêu?", "Hà Nội"),
    ("Quảng Nam đặt mục tiêu tỷ lệ đô thị hóa năm 2025 bao nhiêu?", "Quảng Nam"),
    ("ty le do thi hoa cua Khanh Hoa nam 2030", "Khánh Hòa"),
    ("Tỉnh Tuyên Quang đặt chỉ tiêu cây xanh bao nhiêu m2 mỗi người?", "Tuyên Quang"),  # post-2025
    ("Ai ký Quyết định 999/QĐ-UBND?", "999/QĐ-UBND"),
])
def test_absent_entities_are_refused_by_name(engine, question, entity):
    a = answer(engine, question)
    assert not a.answered and not a.sentences
    assert entity in a.message and a.message.startswith("Không có văn bản nào")
    assert a.results_label and a.results  # nearest passages, labelled apart


def test_absent_entity_refused_in_english(engine):
    a = answer(engine, "What is the 2030 urbanisation target of Da Nang?")
    assert not a.answered and "Đà Nẵng" in a.message and a.message.startswith("No document")


def test_quang_nam_never_gets_quang_ngai_figure(engine):
    a = answer(engine, "Tỷ lệ đô thị hóa của Quảng Nam đến năm 2025?")
    assert not a.answered and "Quảng Ngãi" not in a.message and not a.sentences


def test_named_province_answers_only_from_its_documents(engine):
    a = answer(engine, "tỷ lệ thu gom xử lý rác thải đô thị của Lâm Đồng")
    assert a.answered and {r.province for r in a.results} == {"Lâm Đồng"}


@pytest.mark.parametrize("question", [
    "Giá vé máy bay đi Paris là bao nhiêu?",
    "công thức nấu phở bò",
    "lãi suất tiết kiệm ngân hàng tháng này",
])
def test_questions_the_documents_cannot_answer(engine, question):
    a = answer(engine, question)
    assert not a.answered and a.message == NOT_FOUND and not a.sentences


def test_comparison_is_a_table_one_row_per_document(engine):
    a = answer(engine, "so sánh mục tiêu tỷ lệ đô thị hóa đến năm 2030 giữa các tỉnh")
    assert a.answered and a.kind == "comparison"
    docs = [row["doc_id"] for row in a.table]
    assert len(docs) == len(set(docs)) >= 3
    for row in a.table:
        assert row["citation"] and (row["text"] or row["value"] == "không đề cập")
    data = a.to_dict()
    assert {"kind", "entity", "table", "answered", "message", "sentences", "results"} <= set(data)


def test_sentences_keep_numbers_whole():
    parts = split_sentences("Đạt khoảng 13,3-16% vào năm 2025. Diện tích 5.000 ha; tỷ lệ 1,5 - 2%.")
    assert parts[0] == "Đạt khoảng 13,3-16% vào năm 2025."
    assert any("5.000 ha" in p for p in parts)


@pytest.fixture(scope="module")
def realdocs_engine(tmp_path_factory, embedder):
    """An index of three real documents: a consolidated regulation whose clauses break mid-name
    across a line ("Công ty Tân Cảng" / "- Petro Cam Ranh"), a regulation with a yearly deadline
    and a procedure table whose total row is split across two clauses."""
    import shutil

    from indexer import settings
    from indexer.index.build import build_index
    from indexer.search.engine import SearchEngine

    docs = settings.shared_dir() / "realdocs" / "docs"
    corpus = tmp_path_factory.mktemp("realdocs")
    for name in ("1e6fb98e16a75e3d.md", "af2a4fc9b3a7aeeb.md", "a9e3b1619c1d3512.md"):
        if not (docs / name).exists():
            pytest.skip("shared realdocs not available")
        shutil.copy2(docs / name, corpus / name)
    index_dir = tmp_path_factory.mktemp("realdocs-index")
    build_index(corpus, index_dir, embedder)
    return SearchEngine(index_dir, embedder)


def test_a_clause_cut_at_a_line_break_is_quoted_whole(realdocs_engine):
    a = answer(realdocs_engine, "Hồ sơ xin phép đưa người nước ngoài vào Cảng quốc tế Cam Ranh do ai lập?")
    assert a.answered
    assert "Tân Cảng - Petro Cam Ranh hoặc cơ quan" in _text(a)
    for s in a.sentences:  # every quoted sentence cites a card of the answer
        assert a.results[s.ref - 1].chunk_id == s.chunk_id


def test_deadline_is_the_sentence_that_sets_it_not_the_date_of_effect(realdocs_engine):
    a = answer(realdocs_engine, "Thời hạn chót gửi hồ sơ đề nghị xét tặng Công dân Thủ đô ưu tú về thành phố là "
                                "trước ngày nào?")
    assert a.answered and a.kind == "value"
    assert "31 tháng 3" in a.sentences[0].text and "hiệu lực" not in a.sentences[0].text


def test_a_total_is_the_total_row_not_a_step(realdocs_engine):
    a = answer(realdocs_engine, "Ở Nghệ An, thủ tục khấu trừ kinh phí bồi thường, hỗ trợ, tái định cư cấp xã "
                                "mất tổng cộng bao lâu?")
    assert a.answered and a.kind == "value"
    assert "168 giờ" in a.message and "Tổng thời gian" in a.sentences[0].text


@pytest.fixture(scope="module")
def province_and_national_engine(tmp_path_factory, embedder):
    """A province's own decision (Cao Bằng), a national resolution that names "tỉnh Cao Bằng" in a
    list of border gates, and another province's directive (Quảng Trị)."""
    import shutil

    from indexer import settings
    from indexer.index.build import build_index
    from indexer.search.engine import SearchEngine

    docs = settings.shared_dir() / "realdocs" / "docs"
    corpus = tmp_path_factory.mktemp("province-national")
    for name in ("55f3a3d0d7e08b45.md", "04e0c7e10cd38cdd.md", "4f30202155d56bdd.md"):
        if not (docs / name).exists():
            pytest.skip("shared realdocs not available")
        shutil.copy2(docs / name, corpus / name)
    index_dir = tmp_path_factory.mktemp("province-national-index")
    build_index(corpus, index_dir, embedder)
    return SearchEngine(index_dir, embedder)


def test_a_national_document_naming_the_province_is_in_its_scope(province_and_national_engine):
    from indexer.features.grounding import resolve
    from indexer.features.question import understand

    engine = province_and_national_engine
    q = understand("Which border gate in Cao Bang province was added to the e-visa list?")
    files = {engine.version.documents[d].file for d in resolve(q, engine.version).doc_ids}
    assert files == {"55f3a3d0d7e08b45.md", "04e0c7e10cd38cdd.md"}  # its own decision and the national list
    a = answer(engine, "Which border gate in Cao Bang province was added to the e-visa list?")
    assert a.answered
    assert "04e0c7e10cd38cdd.md" in {engine.version.documents[s.doc_id].file for s in a.sentences}
