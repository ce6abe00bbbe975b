"""Document-aware retrieval without the model: references, facets, cards and number matching."""
from __future__ import annotations

from indexer.records import Chunk, DocumentMeta
from indexer.search.documents import DocumentIndex, card_text, facet_chunks, facets, number_key, references


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
