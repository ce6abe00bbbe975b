"""Document-aware retrieval without the model: references, facets, cards and number matching."""
from __future__ import annotations

from indexer.records import Chunk, DocumentMeta
from indexer.search.documents import (DocumentIndex, QueryDocuments, asked_value, card_text, compares_pair, facet_chunks, facets,
                                      number_key, phrase_key, query_phrases, references, value_chunks)


def meta(doc_id, **fields) -> DocumentMeta:
    return DocumentMeta(doc_id=doc_id, file=f"{doc_id}.md", sha256="0", **fields)


DOCS = {
    "bn": meta("bn", doc_type="Quyết định", number="456/QĐ-UBND", date="2025-11-20", issuer="UBND tỉnh Bắc Ninh",
               province="Bắc Ninh", signer="Phạm Văn Thịnh",
               title="Ban hành danh mục dịch vụ sự nghiệp công lĩnh vực xây dựng"),
    "hn": meta("hn", doc_type="Nghị quyết", number="63/2025/NQ-HĐND", date="2025-11-27",
               issuer="HĐND thành phố Hà Nội", province="Hà Nội", signer="Phùng Thị Hồng Hà",
               title="Quy định mức chuẩn trợ giúp xã hội"),
    "hy": meta("hy", doc_type="Quyết định", number="02124/QĐ-UBND", date="2025-11-28", issuer="UBND tỉnh Hưng Yên",
               province="Hưng Yên", title="Công bố danh mục thủ tục hành chính"),
    "tw": meta("tw", doc_type="Chương trình", number="06-NQ/TW", title="Quy hoạch, xây dựng, quản lý đô thị"),
}


def test_number_keys_ignore_case_accents_spaces_and_leading_zeros():
    assert number_key("456/QĐ-UBND") == number_key("456 / qd-ubnd") == number_key("0456/QD - UBND")
    assert number_key("71/2025/NQ-HĐND") == number_key("71/2025/nq-hdnd")
    assert number_key("71/2025/NQ-HĐND") != number_key("71/2024/NQ-HĐND")
    assert number_key(None) == number_key("no number here") == ""


def test_references_in_queries_with_and_without_diacritics():
    full, typed = references("Ai ký Quyết định 456/QĐ-UBND của tỉnh Bắc Ninh?")
    assert full == {number_key("456/QĐ-UBND")} and ("quyet dinh", "456") in typed
    full, typed = references("chi thi 06/CT-UBND cua tinh Quang Tri")
    assert full == {number_key("06/CT-UBND")}
    assert references("Nghị quyết 06-NQ/TW của Bộ Chính trị")[0] == {number_key("06-NQ/TW")}
    assert references("Quyết định số 1936 của UBND tỉnh Thái Nguyên") == (set(), {("quyet dinh", "1936")})
    # numbers that are not document references
    assert references("tỷ lệ 13,3/16% giai đoạn 2026/2030, 08 - 12%") == (set(), set())


def test_facets_of_locate_questions():
    assert facets("Ai ký Quyết định 456/QĐ-UBND?") == {"signer"}
    assert facets("Who signed the resolution?") == {"signer"}
    assert facets("chi thi 06 ban hanh ngay nao") == {"date"}
    assert facets("hồ sơ phải gửi trước ngày nào?") == set()  # a deadline, not the issuing date
    assert facets("Thông tư 56/2025/TT-BCT có hiệu lực từ ngày nào?") == {"effect"}
    assert facets("số hiệu công văn của Bộ Nội vụ") == {"number"}
    assert facets("tỷ lệ đô thị hóa năm 2030") == set()


def test_named_documents_by_number_or_type_and_number():
    index = DocumentIndex(DOCS)
    assert index.match("Ai ký Quyết định 456/QĐ-UBND?", []).named == {"bn"}
    assert index.match("quyet dinh 2124/qd-ubnd", []).named == {"hy"}  # leading zero dropped
    assert index.match("Quyết định 456 của Bắc Ninh", []).named == {"bn"}
    assert index.match("Nghị quyết 456", []).named == set()  # the type must agree
    assert index.match("Nghị quyết 06-NQ/TW", []).named == {"tw"}


def test_cards_describe_documents():
    from indexer.text.segment import bm25_tokens, segment_text

    index = DocumentIndex(DOCS)
    query = "nghị quyết HĐND Hà Nội về trợ giúp xã hội"
    scores = index.match(query, bm25_tokens(segment_text(query))).scores
    assert max(scores, key=scores.get) == "hn" and scores["hn"] == 1.0
    assert "ngày 20 tháng 11 năm 2025" in card_text(DOCS["bn"]) and "Phạm Văn Thịnh" in card_text(DOCS["bn"])


def test_facet_chunks_are_the_clauses_that_print_the_fact():
    def chunk(i, text):
        return Chunk(chunk_id=f"bn:{i}", doc_id="bn", ordinal=i, section="", section_labels=[], text=text,
                     start=0, end=len(text))

    chunks = [chunk(0, "Số: 456/QĐ-UBND\nBắc Ninh, ngày 20 tháng 11 năm 2025"),
              chunk(1, "Điều 2. Quyết định này có hiệu lực kể từ ngày ký."),
              chunk(2, "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nPhạm Văn Thịnh")]
    assert facet_chunks(chunks, DOCS["bn"], {"signer"}) == ["bn:2"]
    assert facet_chunks(chunks, DOCS["bn"], {"date"}) == ["bn:0"]
    assert facet_chunks(chunks, DOCS["bn"], {"number"}) == ["bn:0"]
    assert facet_chunks(chunks, DOCS["bn"], {"effect"}) == ["bn:1"]
    assert facet_chunks(chunks, DOCS["tw"], {"signer"}) == []  # no signer known: nothing to bring


def test_lead_facet_asks_which_body_leads():
    assert facets("Cơ quan nào được giao chủ trì triển khai kế hoạch?") == {"lead"}
    assert facets("đơn vị nào là đầu mối thực hiện") == {"lead"}
    assert facets("Which agency is in charge of the plan?") == {"lead"}
    assert facets("Sở Tài chính chủ trì những nhiệm vụ gì?") == set()  # what a known body does

    chunks = [Chunk(chunk_id=f"bn:{i}", doc_id="bn", ordinal=i, section="", section_labels=[], text=t,
                    start=0, end=len(t)) for i, t in enumerate(
        ["1. Giao Sở Xây dựng chủ trì, phối hợp với các sở, ngành triển khai.", "2. Mục tiêu đến năm 2030."])]
    assert facet_chunks(chunks, DOCS["bn"], {"lead"}) == ["bn:0"]


def test_targets_are_named_or_clearly_described_documents():
    assert QueryDocuments(named={"bn"}, scores={"hn": 1.0}).targets(1.5, 0.4) == {"bn"}
    clear = QueryDocuments(scores={"hn": 1.0, "bn": 0.3}, coverage={"hn": 0.6, "bn": 0.5})
    assert clear.targets(1.5, 0.4) == {"hn"}
    pair = QueryDocuments(scores={"hn": 1.0, "bn": 0.9, "hy": 0.3}, coverage={"hn": 0.6, "bn": 0.5, "hy": 0.5})
    assert pair.targets(1.5, 0.4) == {"hn", "bn"}  # two documents compared
    flat = QueryDocuments(scores={d: 1.0 - i * 0.05 for i, d in enumerate("abcde")},
                          coverage=dict.fromkeys("abcde", 0.9))
    assert flat.targets(1.5, 0.4) == set()  # a topic spread over many documents targets none
    thin = QueryDocuments(scores={"hn": 1.0, "bn": 0.2}, coverage={"hn": 0.1})
    assert thin.targets(1.5, 0.4) == set()  # the card holds too few of the query's words


def test_residual_words_are_the_query_words_off_the_card():
    from indexer.text.segment import bm25_tokens, segment_text

    query = "Quyết định 456/QĐ-UBND giao cơ quan nào chủ trì"
    found = DocumentIndex(DOCS).match(query, bm25_tokens(segment_text(query)))
    residual = found.residual["bn"]
    assert "chủ_trì" in residual and "quyết_định" not in residual and "~dinh" not in residual


def test_asked_values_and_the_clauses_that_print_them():
    def pattern_finds(query, text):
        pattern = asked_value(query)
        chunk = Chunk(chunk_id="x:0", doc_id="x", ordinal=0, section="", section_labels=[], text=text,
                      start=0, end=len(text))
        return pattern is not None and value_chunks([chunk], pattern) == ["x:0"]

    assert pattern_finds("được khai bổ sung trong thời hạn bao lâu?", "trong thời hạn 60 ngày kể từ ngày thông quan")
    assert pattern_finds("hồ sơ phải gửi trước ngày nào?", "trước ngày 31 tháng 3 hằng năm")
    assert pattern_finds("cách đảo bao nhiêu km?", "cách đảo Song Tử Tây khoảng 120 km")
    assert pattern_finds("mức chuẩn là bao nhiêu tiền một tháng", "là 650.000 đồng/tháng")
    assert pattern_finds("tỷ lệ đô thị hóa đạt bao nhiêu?", "tỷ lệ đô thị hóa đạt trên 45%")
    assert not pattern_finds("cách đảo bao nhiêu km?", "cách đảo Song Tử Tây rất xa")
    assert asked_value("di dời nhà máy gây ô nhiễm") is None  # "máy" is not "mấy"
    assert asked_value("Chỉ thị về nước dưới đất giao công an những việc gì") is None


def test_a_comparison_of_two_documents_targets_each():
    query = "So sánh chỉ tiêu giữa Kế hoạch kinh tế số của Bắc Ninh và Chương trình Chính phủ số"
    assert compares_pair(query) and compares_pair("hai nghị quyết của HĐND Hà Nội")
    assert not compares_pair("so sánh tỷ lệ đô thị hóa giữa các địa phương")  # many places, not two documents
    half = QueryDocuments(scores={"bn": 1.0, "cp": 0.8, "hy": 0.2}, coverage={"bn": 0.3, "cp": 0.25, "hy": 0.3},
                          query=query)
    assert half.targets(1.5, 0.4) == {"bn", "cp"}  # each card holds about half the query's words


def test_which_provinces_asks_for_a_list_of_provinces():
    from indexer.search.documents import PROVINCE_LIST

    assert asked_value("Những tỉnh, thành nào thuộc phạm vi hỗ trợ?") == PROVINCE_LIST
    chunks = [Chunk(chunk_id=f"x:{i}", doc_id="x", ordinal=i, section="", section_labels=[], text=t, start=0,
                    end=len(t)) for i, t in enumerate(["các tỉnh Quảng Ngãi, Gia Lai, Đắk Lắk, Khánh Hòa;",
                                                       "Ủy ban nhân dân tỉnh Quảng Ngãi chủ trì"])]
    assert value_chunks(chunks, PROVINCE_LIST) == ["x:0"]


def test_best_clause_of_each_compared_document_leads():
    from indexer.search.engine import best_of_each_first

    ranked = [("a:1", 0.9), ("a:2", 0.8), ("b:7", 0.5), ("c:1", 0.4), ("b:2", 0.3)]
    assert [c for c, _ in best_of_each_first(ranked, {"a", "b"})] == ["a:1", "b:7", "a:2", "c:1", "b:2"]


def test_size_questions_ask_for_dimensions():
    pattern = asked_value("What size is the auditor card?")
    chunk = Chunk(chunk_id="k:0", doc_id="k", ordinal=0, section="", section_labels=[],
                  text="1. Thẻ hình chữ nhật, rộng 54mm, dài 86 mm", start=0, end=10)
    assert pattern and value_chunks([chunk], pattern) == ["k:0"]
    assert asked_value("kích thước thẻ là bao nhiêu") == pattern


def test_a_question_across_provinces_targets_no_single_document():
    across = QueryDocuments(scores={"hn": 1.0, "bn": 0.4}, coverage={"hn": 0.5},
                            query="so sánh tỷ lệ đô thị hóa năm 2030 giữa các tỉnh")
    assert across.targets(1.5, 0.35) == set()
    one = QueryDocuments(scores={"hn": 1.0, "bn": 0.4}, coverage={"hn": 0.5}, query="tỷ lệ đô thị hóa của Hà Nội")
    assert one.targets(1.5, 0.35) == {"hn"}


def test_one_shared_word_of_a_short_topic_is_no_description():
    topic = QueryDocuments(scores={"qt": 1.0, "bn": 0.3}, coverage={"qt": 0.5}, matched={"qt": 1},
                           query="rừng ngập mặn")
    assert topic.targets(1.5, 0.35) == set()
    described = QueryDocuments(scores={"qt": 1.0, "bn": 0.3}, coverage={"qt": 0.5}, matched={"qt": 3},
                               query="chỉ thị Quảng Trị về chống lấn chiếm rừng giao công an việc gì")
    assert described.targets(1.5, 0.35) == {"qt"}


def test_fee_questions_ask_for_an_amount():
    pattern = asked_value("Lệ phí cấp giấy phép khi nộp trực tuyến là bao nhiêu?")
    chunk = Chunk(chunk_id="f:0", doc_id="f", ordinal=0, section="", section_labels=[],
                  text="1 | Cấp giấy phép hành nghề khoan nước dưới đất | 1.004122 | 1.400.000 | 700.000", start=0, end=1)
    assert pattern and value_chunks([chunk], pattern) == ["f:0"]


def _chunks(texts: list[str], doc_id: str = "x") -> list[Chunk]:
    return [Chunk(chunk_id=f"{doc_id}:{i}", doc_id=doc_id, ordinal=i, section="", section_labels=[], text=t,
                  start=0, end=len(t)) for i, t in enumerate(texts)]


def test_a_date_citing_another_document_is_no_deadline():
    chunks = _chunks(["Theo đề nghị của Sở Tư pháp tại Tờ trình số 120/TTr-STP ngày 02 tháng 9 năm 2024.",
                      "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05/3/2020 của Chính phủ;",
                      "Báo cáo gửi Ủy ban nhân dân tỉnh trước ngày 15 tháng 12 hằng năm.",
                      "Quyết định này thay thế Quyết định số 12/2019/QĐ-UBND ngày 01/4/2019 và có hiệu lực "
                      "kể từ ngày 10 tháng 1 năm 2025."])
    assert value_chunks(chunks, asked_value("báo cáo phải gửi trước ngày nào?")) == ["x:2", "x:3"]


def test_counts_and_units_as_documents_print_them():
    def finds(query, text):
        return value_chunks(_chunks([text]), asked_value(query)) == ["x:0"]

    assert finds("được hỗ trợ mấy lần?", "chỉ được hỗ trợ một lần cho mỗi hộ")  # a count spelled out
    assert finds("tính tối thiểu bao nhiêu ngày công", "tính tối thiểu là 0,5 ngày công")  # a decimal
    assert finds("cây xanh bao nhiêu m2 mỗi người", "đạt 12 m²/người")  # m² is m2
    assert not finds("được hỗ trợ mấy lần?", "hỗ trợ theo từng lần phát sinh")


def test_lead_prefers_the_clause_naming_the_body():
    chunks = _chunks(["2. Các cơ quan, đơn vị được giao chủ trì có trách nhiệm bảo đảm tiến độ.",
                      "- Cơ quan thực hiện: Sở Giáo dục và Đào tạo chủ trì, phối hợp với các trường.",
                      "- Đơn vị chủ trì: Công an tỉnh."], "bn")
    assert facet_chunks(chunks, DOCS["bn"], {"lead"}) == ["bn:1", "bn:2"]
    assert facet_chunks(chunks[:1], DOCS["bn"], {"lead"}) == ["bn:0"]  # no body named: the generic one


def test_so_sanh_a_voi_b_compares_two_documents():
    assert compares_pair("So sánh mục tiêu của kế hoạch chuyển đổi số với chương trình phát triển đô thị")
    assert compares_pair("compare the targets of the digital plan with the urban programme")
    assert not compares_pair("So sánh các mức hỗ trợ")  # one thing, no second named


def test_a_topic_query_is_looked_for_phrase_by_phrase():
    phrases = query_phrases("nhà ở xã hội, khu công nghiệp (nhà ở cho công nhân; ký túc xá)")
    assert phrases == [" nha o xa hoi ", " khu cong nghiep ", " nha o cho cong nhan ", " ky tuc xa "]
    assert " mo hinh 2 cap " in phrase_key("Mô hình 02 cấp") and " mo hinh 2 cap " in phrase_key("mô hình hai cấp")
    assert query_phrases("không gian ngầm") == [" khong gian ngam "]  # "không" inside a term asks nothing
    assert query_phrases("Nhà ở xã hội được hỗ trợ bao nhiêu?") == []  # a question: its parts are no topic
    assert query_phrases("Which provinces plan social housing") == []
    assert query_phrases("Ai ký quyết định") == [] and query_phrases("ứng dụng AI, chuyển đổi số") != []  # AI: a topic


def test_lead_body_followed_by_a_colon():
    chunks = _chunks(["a) Sở Kế hoạch và Đầu tư: Chủ trì, phối hợp với các sở tổng hợp nhu cầu vốn.",
                      "b) Các sở, ngành chủ trì tổ chức thực hiện."], "bn")
    assert facet_chunks(chunks, DOCS["bn"], {"lead"}) == ["bn:0"]
