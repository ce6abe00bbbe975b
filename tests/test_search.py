"""Search intentions on the real index: the documents and sections a query must return."""
import json
import subprocess
import sys

import pytest

from indexer.search.engine import Filters, QueryError, highlight_spans, prepare_query

from conftest import HA_TINH, LAM_DONG, QN_CITY, QN_PLAN, ROOT, THUY_NGUYEN

TOD_FILES = {THUY_NGUYEN, LAM_DONG, QN_CITY, QN_PLAN}  # Hà Tĩnh only speaks of public transport


def files(results):
    return {r.file for r in results} | {a.file for r in results for a in r.also_in}


def test_tod_finds_the_four_documents_that_mention_it(engine):
    results = engine.search("phát triển đô thị theo định hướng giao thông công cộng (TOD)", k=10)
    tod = [r for r in results if "TOD" in r.text] + \
        [a for r in results for a in r.also_in if "TOD" in a.text]
    assert {x.file if hasattr(x, "file") else x["file"] for x in tod} == TOD_FILES


@pytest.mark.parametrize("query", ["không gian ngầm", "khong gian ngam", "khong gain ngam",
                                   "underground space planning"])
def test_underground_space_in_every_spelling(engine, query):
    results = engine.search(query, k=5)
    assert "ngầm" in results[0].text
    assert "không gian ngầm" in results[0].text.lower() or "công trình ngầm" in results[0].text.lower()


def test_province_filter_returns_only_that_province(engine):
    results = engine.search("tỷ lệ đô thị hóa", k=10, filters=Filters(provinces=["Lam Dong"]))
    assert results and {r.province for r in results} == {"Lâm Đồng"}
    assert all(a.province == "Lâm Đồng" for r in results for a in r.also_in)


def test_filter_matching_nothing_returns_nothing(engine):
    assert engine.search("đô thị", filters=Filters(provinces=["Cà Mau"])) == []
    assert engine.search("đô thị", filters=Filters(year_from=2030)) == []
    assert engine.search("đô thị", filters=Filters(doc_ids=["no-such-document"])) == []


def test_level_type_year_and_document_filters(engine):
    plans = engine.search("đô thị", k=20, filters=Filters(doc_types=["Kế hoạch"]))
    assert plans and {r.file for r in plans} == {QN_PLAN}
    districts = engine.search("đô thị", k=20, filters=Filters(levels=["huyện"]))
    assert {r.file for r in districts} == {THUY_NGUYEN}
    recent = engine.search("đô thị", k=20, filters=Filters(year_from=2023, year_to=2024))
    assert {r.file for r in recent} == {THUY_NGUYEN}


def test_numeric_question_finds_its_clause(engine):
    results = engine.search("Thủy Nguyên phấn đấu tỷ lệ đô thị hóa năm 2030 đạt bao nhiêu?", k=3)
    assert any("74 - 76%" in r.text for r in results)


def test_near_duplicates_are_grouped_and_can_be_shown_separately(engine):
    grouped = engine.search("quy hoạch quản lý sử dụng không gian nổi, không gian ngầm", k=5)
    top = grouped[0]
    assert top.also_in, "copies of the same clause in other documents are listed"
    assert all(a.citation and a.doc_id != top.doc_id for a in top.also_in)
    flat = engine.search("quy hoạch quản lý sử dụng không gian nổi, không gian ngầm", k=5,
                         group_duplicates=False)
    assert all(not r.also_in for r in flat)
    assert len({r.doc_id for r in flat}) > 1


def test_result_fields_citation_and_highlights(engine):
    r = engine.search("Sở Xây dựng chủ trì", k=5, filters=Filters(doc_types=["Kế hoạch"]))[0]
    assert r.citation.startswith("Kế hoạch số 151/KH-UBND ngày 22/9/2022 của UBND tỉnh Quảng Ngãi, mục ")
    assert r.highlights and all(r.text[a:b].lower() in {"sở", "xây", "dựng", "chủ", "trì", "sở xây dựng",
                                                         "xây dựng", "chủ trì", "sở xây dựng chủ trì"}
                                or "xây dựng" in r.text[a:b].lower() for a, b in r.highlights)
    undated = engine.search("Trần Thế Dũng", k=3)[0]
    assert HA_TINH in undated.citation  # no number and no date: the file makes it unambiguous


def test_highlights_ignore_accents():
    text = "Quy hoạch không gian ngầm đô thị"
    spans = highlight_spans(text, "khong gian ngam")
    assert [text[a:b] for a, b in spans] == ["không gian ngầm"]


def test_highlights_mark_expansion_phrases_whole_not_their_words():
    from indexer.search.query import expand_query

    text = ("Phát triển đô thị theo định hướng giao thông công cộng (TOD); hướng dẫn thông tin, "
            "công nghệ thông minh.")
    query = expand_query("TOD")
    assert query != "TOD"  # the glossary added the Vietnamese wording
    marked = [text[a:b] for a, b in highlight_spans(text, query)]
    assert "TOD" in marked and "đô thị theo định hướng giao thông công cộng" in marked
    assert not any(m.lower() in {"thông", "công", "hướng"} for m in marked)
    assert not [m for m in marked if "thông tin" in m or "công nghệ" in m]


def test_highlights_respect_the_diacritics_the_user_typed():
    text = "Ứng dụng thanh toán điện tử trong thành phố thông minh"
    marked = [text[a:b] for a, b in highlight_spans(text, "thành phố thông minh")]
    assert marked == ["thành phố thông minh"]  # not the "thanh" of "thanh toán"
    typed_plain = [text[a:b] for a, b in highlight_spans(text, "THANH TOAN")]
    assert "thanh toán" in typed_plain  # without diacritics, any accented form is marked


def test_context_for_show_in_document(engine):
    r = engine.search("Tầm nhìn đến năm 2045 Lâm Đồng trở thành thành phố trực thuộc Trung ương", k=1)[0]
    ctx = engine.context(r.chunk_id)
    assert ctx.chunk.chunk_id == r.chunk_id
    assert ctx.before and ctx.section_chunks
    assert ctx.document.doc_id == r.doc_id


@pytest.mark.parametrize("query", ["", "   ", "?!...", "\x00\x07"])
def test_unsearchable_queries_raise_a_clear_error(engine, query):
    with pytest.raises(QueryError):
        engine.search(query)


def test_long_and_odd_queries_are_searched(engine):
    assert engine.search("đô thị " * 3000, k=3)
    assert engine.search("'; DROP TABLE chunks; --", k=3) is not None
    assert engine.search("<script>alert(1)</script> quy hoạch", k=3)
    assert prepare_query("  Hoá  ") == "Hóa"


def test_cli_search_json_and_batch(corpus_index, tmp_path):
    cmd = [sys.executable, "-m", "indexer", "search", "khong gian ngam", "--k", "3", "--json",
           "--index-dir", str(corpus_index)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True).stdout
    results = json.loads(out)
    assert len(results) == 3
    assert set(results[0]) >= {"rank", "score", "chunk_id", "doc_id", "file", "title", "province", "issuer",
                               "number", "date", "section", "text", "citation", "highlights", "also_in"}
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "query": "TOD"}\n{"id": "b", "query": "nhà ở xã hội"}\n', encoding="utf-8")
    cmd = [sys.executable, "-m", "indexer", "search", "--batch", str(batch), "--k", "2", "--json",
           "--index-dir", str(corpus_index)]
    lines = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True).stdout.splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a", "b"]
    assert all(len(json.loads(x)["results"]) == 2 for x in lines)


def _ranked_with(engine, query: str, **weights) -> dict[str, float]:
    """Scores of the live index for an understood query, with some fusion weights changed."""
    from dataclasses import replace

    saved = engine.weights
    engine.weights = replace(saved, **weights)
    try:
        return dict(engine.ranked(engine.version, query, None))
    finally:
        engine.weights = saved


def test_a_topic_query_lifts_the_clauses_printing_its_phrases(engine):
    import re

    query = engine.understand("không gian ngầm, công trình ngầm")
    phrases = ["không gian ngầm", "công trình ngầm"]
    with_prior, without = _ranked_with(engine, query), _ranked_with(engine, query, phrase=0.0)
    top = engine.version.fetch_chunks(list(without)[:10])
    printed = {c.chunk_id: sum(p in re.sub(r"\s+", " ", c.text.lower()) for p in phrases) for c in top}
    assert any(printed.values())
    for cid, found in printed.items():
        assert with_prior[cid] - without[cid] == pytest.approx(engine.weights.phrase * found / len(phrases))


def test_a_value_question_about_no_one_document_lifts_the_clauses_printing_that_value(engine):
    import re

    query = engine.understand("diện tích cây xanh bình quân đạt bao nhiêu m2 mỗi người?")
    docs = engine.document_index(engine.version).match(query, [])
    assert not engine._targets(docs, None)  # no document described: the value prior of the top of the list
    with_prior, without = _ranked_with(engine, query), _ranked_with(engine, query, value_pool=0.0)
    top = engine.version.fetch_chunks(list(without)[:10])
    prints = {c.chunk_id: bool(re.search(r"\d\s*m[2²]", c.text)) for c in top}
    assert any(prints.values())
    for cid, printed in prints.items():
        assert with_prior[cid] - without[cid] == pytest.approx(engine.weights.value_pool * printed)
