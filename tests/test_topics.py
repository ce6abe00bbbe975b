"""Topic coverage on the real corpus: the document × topic matrix, evidence checked clause by
clause (look-alikes included), ad-hoc topics, PDF line breaks, the province view, the CLI,
and a document added to the corpus changing its province's row after an incremental build.
"""
from __future__ import annotations

import json
import re
import shutil
import unicodedata
from dataclasses import replace

import pytest

from indexer.errors import TopicsError
from indexer.text.normalize import fold
from indexer.features.topics import (Cell, Topic, adhoc_topic, coverage, coverage_of, load_topics,
                            match_form, phrase_match, province_rollup, rollup_of)

from conftest import HA_TINH, LAM_DONG, QN_CITY, QN_PLAN, SEEDS, THUY_NGUYEN

REQUIRED = ["tod", "underground_space", "cable_undergrounding", "social_housing", "smart_city",
            "gis", "green_buffer", "waste_sorting", "land_value_capture", "climate_adaptation"]

# Read off the corpus by hand (grep -i "TOD|định hướng giao thông", "giá trị gia tăng từ đất" …):
# Hà Tĩnh's programme speaks of public transport and land funds but neither of TOD nor of
# capturing land value; every other (topic, document) pair is mentioned.
NOT_MENTIONED = {("tod", HA_TINH), ("land_value_capture", HA_TINH)}


def has(text: str, *phrases: str) -> bool:
    """Whether a text contains one of the phrases (accent-, case- and spacing-insensitive)."""
    form = match_form(text)
    return any(match_form(p) in form for p in phrases)


@pytest.fixture(scope="session")
def topics() -> list[Topic]:
    return load_topics()


@pytest.fixture(scope="session")
def by_topic(topics):
    return {t.id: t for t in topics}


@pytest.fixture(scope="session")
def corpus_docs(parsed):
    """(documents, chunks, file name → doc_id) of the parsed corpus, no model involved."""
    documents = {p.meta.doc_id: p.meta for p in parsed.values()}
    chunks = [c for p in parsed.values() for c in p.chunks]
    ids = {name: p.meta.doc_id for name, p in parsed.items()}
    return documents, chunks, ids


@pytest.fixture(scope="session")
def matrix(corpus_docs, topics) -> dict[tuple[str, str], Cell]:
    """Phrase coverage of the shipped topics, keyed by (topic id, file name)."""
    documents, chunks, _ = corpus_docs
    return {(c.topic, c.file): c for c in coverage_of(documents, chunks, topics)}


def evidence_texts(matrix, topic: str) -> list[str]:
    return [e.text for (t, _), cell in matrix.items() if t == topic for e in cell.evidence]


# -- the shipped definitions ---------------------------------------------------------

def test_shipped_topics_cover_the_required_ids(topics):
    ids = [t.id for t in topics]
    assert set(REQUIRED) <= set(ids)
    for t in topics:
        assert t.label_vi and t.label_en and t.phrases
        if t.description:
            assert 0 < t.threshold <= 1


# -- the matrix on corpus/ -----------------------------------------------------------

def test_matrix_has_one_cell_per_document_and_topic(matrix, topics, corpus_docs):
    documents, _, _ = corpus_docs
    assert len(matrix) == len(topics) * len(documents) == len(topics) * len(SEEDS)
    for (topic, name), cell in matrix.items():
        assert cell.mentioned == ((topic, name) not in NOT_MENTIONED), (topic, name)
        assert cell.count == len(cell.evidence)
        assert cell.mentioned == (cell.count > 0)


def test_cells_are_ordered_by_topic_then_document(corpus_docs, topics):
    documents, chunks, _ = corpus_docs
    cells = coverage_of(documents, chunks, topics)
    expected = [(t.id, d) for t in topics for d in documents]
    assert [(c.topic, c.doc_id) for c in cells] == expected


def test_tod_row(matrix):
    row = {name: matrix["tod", name] for name in SEEDS}
    assert {n for n, c in row.items() if c.mentioned} == {THUY_NGUYEN, LAM_DONG, QN_CITY, QN_PLAN}
    for name, cell in row.items():
        for e in cell.evidence:
            assert re.search(r"\bTOD\b", e.text)
            assert has(e.text, "phát triển đô thị theo định hướng giao thông")
    # Thủy Nguyên writes "theo định hướng giao thông (TOD)", without "công cộng"
    assert not has(row[THUY_NGUYEN].evidence[0].text, "định hướng giao thông công cộng")


def test_public_transport_alone_is_not_tod(matrix, parsed):
    ha_tinh = " ".join(c.text for c in parsed[HA_TINH].chunks)
    assert has(ha_tinh, "giao thông công cộng")  # the look-alike is there …
    assert not matrix["tod", HA_TINH].mentioned  # … and is not counted
    tod_ids = {e.chunk_id for (t, _), c in matrix.items() if t == "tod" for e in c.evidence}
    for p in parsed.values():
        for chunk in p.chunks:
            if has(chunk.text, "giao thông công cộng") and not re.search(r"\bTOD\b", chunk.text):
                assert chunk.chunk_id not in tod_ids


def test_underground_space_in_every_document_with_real_evidence(matrix, parsed):
    for name in SEEDS:
        assert matrix["underground_space", name].mentioned, name
    for text in evidence_texts(matrix, "underground_space"):
        assert has(text, "không gian ngầm", "công trình ngầm")
    ids = {e.chunk_id for (t, _), c in matrix.items() if t == "underground_space" for e in c.evidence}
    for p in parsed.values():
        for chunk in p.chunks:
            if has(chunk.text, "không gian ngầm", "công trình ngầm"):
                assert chunk.chunk_id in ids, chunk.chunk_id
            else:  # cables (ngầm hóa) or groundwater (nước ngầm) only
                assert chunk.chunk_id not in ids, chunk.chunk_id


def test_cable_undergrounding_is_separate(matrix, parsed):
    cable = {e.chunk_id for (t, _), c in matrix.items() if t == "cable_undergrounding"
             for e in c.evidence}
    space = {e.chunk_id for (t, _), c in matrix.items() if t == "underground_space"
             for e in c.evidence}
    for name in SEEDS:
        assert matrix["cable_undergrounding", name].mentioned, name
    for text in evidence_texts(matrix, "cable_undergrounding"):
        assert has(text, "ngầm hóa")
        assert has(text, "đường dây")
    # Thủy Nguyên and Hà Tĩnh put cables in a clause of their own: not underground space
    cable_only = [c for p in parsed.values() for c in p.chunks
                  if c.chunk_id in cable and not has(c.text, "không gian ngầm", "công trình ngầm")]
    assert {c.doc_id for c in cable_only} >= {parsed[THUY_NGUYEN].meta.doc_id,
                                               parsed[HA_TINH].meta.doc_id}
    assert not {c.chunk_id for c in cable_only} & space
    # Lâm Đồng and Quảng Ngãi name underground space and cable burying in one clause: it counts
    # for both topics, because an exclusion only vetoes the look-alike's own words
    both = [c for p in parsed.values() for c in p.chunks if c.chunk_id in cable & space]
    assert both
    for chunk in both:
        assert has(chunk.text, "không gian ngầm", "công trình ngầm") and has(chunk.text, "ngầm hóa")


def test_groundwater_is_not_underground_space(by_topic):
    topic = by_topic["underground_space"]
    assert phrase_match(topic, "Không khai thác thêm nước ngầm, đóng cửa các giếng khoan.") is None
    assert phrase_match(topic, "Xây dựng công trình ngầm hóa đường dây điện.") is None
    assert phrase_match(topic, "Ngầm hóa đường dây; quy hoạch không gian ngầm.") == "không gian ngầm"
    assert phrase_match(topic, "Khai thác không gian ngầm, công trình ngầm đô thị; không khai thác "
                               "thêm nước ngầm.") == "không gian ngầm"


def test_smart_city_is_not_a_smartphone(matrix, parsed, by_topic):
    smartphones = ("điện thoại thông minh", "điện thoại di động thông minh")
    ids = {e.chunk_id for (t, _), c in matrix.items() if t == "smart_city" for e in c.evidence}
    for text in evidence_texts(matrix, "smart_city"):
        rest = match_form(text)
        for phone in smartphones:
            rest = rest.replace(match_form(phone), " ")
        assert " thong minh " in rest, text  # something else than the phone is smart
    phone_clauses = [c for p in parsed.values() for c in p.chunks if has(c.text, *smartphones)]
    assert len(phone_clauses) >= 3
    for chunk in phone_clauses:
        rest = match_form(chunk.text)
        for phone in smartphones:
            rest = rest.replace(match_form(phone), " ")
        if " thong minh " not in rest:
            assert chunk.chunk_id not in ids, chunk.text
    # Thủy Nguyên's smartphone clause is out; Hà Tĩnh's names a smart-city operations centre too
    assert any(c.doc_id == parsed[THUY_NGUYEN].meta.doc_id and c.chunk_id not in ids
               for c in phone_clauses)
    ha_tinh = [e for e in matrix["smart_city", HA_TINH].evidence if has(e.text, *smartphones)]
    assert ha_tinh and all(e.phrase == "thành phố thông minh" for e in ha_tinh)
    assert phrase_match(by_topic["smart_city"], "Phổ cập điện thoại thông minh") is None


def test_gis_is_a_word_not_part_of_logistics(matrix, by_topic):
    assert phrase_match(by_topic["gis"], "trung tâm logistics, hạ tầng số và logistic") is None
    for (t, name), cell in matrix.items():
        if t == "gis":
            assert cell.mentioned, name
            for e in cell.evidence:
                if e.phrase == "GIS":
                    assert re.search(r"\bGIS\b", e.text)


def test_other_topics_evidence(matrix):
    checks = {
        "social_housing": ("nhà ở xã hội", "nhà ở cho công nhân", "nhà ở công nhân",
                           "nhà ở cho người lao động"),
        "green_buffer": ("vùng đệm xanh", "vành đai xanh", "hành lang xanh"),
        "waste_sorting": ("phân loại chất thải", "phân loại rác"),
        "land_value_capture": ("giá trị gia tăng từ đất", "khai thác quỹ đất"),
        "climate_adaptation": ("biến đổi khí hậu", "chống chịu thiên tai"),
        "gis": ("GIS", "thông tin địa lý", "dữ liệu", "số hóa"),
    }
    for topic, phrases in checks.items():
        texts = evidence_texts(matrix, topic)
        assert texts, topic
        for text in texts:
            assert has(text, *phrases), (topic, text[:120])
    # "phân loại đô thị" / "phân loại đất" are not waste sorting
    for text in evidence_texts(matrix, "waste_sorting"):
        assert has(text, "chất thải", "rác")


def test_evidence_carries_section_citation_and_phrase(matrix):
    cell = matrix["tod", QN_PLAN]
    item = cell.to_dict()["evidence"][0]
    assert item["match"] == "phrase" and item["phrase"]
    assert item["section"].startswith("II.")
    assert item["citation"].startswith("Kế hoạch số 151/KH-UBND ngày 22/9/2022")
    assert "mục II.3" in item["citation"]


# -- matching rules ------------------------------------------------------------------

def test_phrase_split_by_a_pdf_line_break():
    topic = Topic("u", "Không gian ngầm", "Underground space", ["không gian ngầm"], ["nước ngầm"])
    assert phrase_match(topic, "quản lý sử dụng không gian\nngầm đô thị") == "không gian ngầm"
    assert phrase_match(topic, "quản lý sử dụng không gian \n\n ngầm đô thị") == "không gian ngầm"
    assert phrase_match(topic, "quản lý sử dụng không\r\ngian ngầm") == "không gian ngầm"
    tod = Topic("t", "TOD", "TOD", ["theo định hướng giao thông công cộng"])
    text = "chú trọng mô hình phát triển đô thị theo định hướng giao thông \ncông cộng (TOD);"
    assert phrase_match(tod, text) == "theo định hướng giao thông công cộng"


def test_phrase_split_by_a_line_break_inside_a_corpus_clause(corpus_docs, by_topic):
    documents, chunks, ids = corpus_docs
    target = next(c for c in chunks if c.doc_id == ids[LAM_DONG] and "TOD" in c.text)
    broken = replace(target, text=target.text.replace("giao thông công cộng (TOD)",
                                                      "giao thông\ncông cộng (TOD)"))
    tod_no_acronym = replace(by_topic["tod"], phrases=["theo định hướng giao thông công cộng"])
    cells = coverage_of({ids[LAM_DONG]: documents[ids[LAM_DONG]]}, [broken], [tod_no_acronym])
    assert cells[0].mentioned and cells[0].evidence[0].chunk_id == target.chunk_id


def test_diacritics_tone_style_case_and_segmentation_do_not_matter():
    topic = Topic("c", "Ngầm hóa", "Cables", ["ngầm hóa đường dây"])
    for text in ("Thực hiện ngầm hoá đường dây", "NGẦM HÓA ĐƯỜNG DÂY", "ngam hoa duong day",
                 "ngầm_hoá đường_dây", "ngầm hóa, đường dây",
                 unicodedata.normalize("NFD", "ngầm hóa đường dây")):
        assert phrase_match(topic, text) == "ngầm hóa đường dây", text


def test_word_boundaries():
    topic = Topic("t", "TOD", "TOD", ["TOD"])
    assert phrase_match(topic, "mô hình TOD.") == "TOD"
    assert phrase_match(topic, "(TOD)") == "TOD"
    for text in ("TODAY", "photodiode", "methodTOD", "tod2"):
        assert phrase_match(topic, text) is None, text
    green = Topic("g", "Xanh", "Green", ["vành đai xanh"])
    assert phrase_match(green, "vành đai xanhh") is None


def test_exclusion_removes_only_the_overlapping_mention():
    topic = Topic("s", "Smart", "Smart", ["thông minh"], ["điện thoại thông minh"])
    assert phrase_match(topic, "phổ cập điện thoại thông minh") is None
    assert phrase_match(topic, "phổ cập điện thoại thông minh; đô thị thông minh") == "thông minh"


# -- ad-hoc topics -------------------------------------------------------------------

def test_adhoc_topic_from_free_text(corpus_docs):
    documents, chunks, ids = corpus_docs
    topic = adhoc_topic("  vùng đệm xanh ")
    assert topic.phrases == ["vùng đệm xanh"] and topic.description == "vùng đệm xanh"
    assert topic.id.startswith("adhoc-") and topic.threshold
    cells = coverage_of(documents, chunks, [topic])
    assert len(cells) == len(documents)
    assert all(c.mentioned and c.topic == topic.id for c in cells)
    for c in cells:
        assert all(has(e.text, "vùng đệm xanh") for e in c.evidence)
        json.dumps(c.to_dict(), ensure_ascii=False)


def test_adhoc_topic_with_alternatives_and_exclusions(corpus_docs):
    documents, chunks, ids = corpus_docs
    topic = adhoc_topic("không gian ngầm | công trình ngầm; -nước ngầm")
    assert topic.phrases == ["không gian ngầm", "công trình ngầm"]
    assert topic.exclusions == ["nước ngầm"]
    cells = coverage_of(documents, chunks, [topic])
    assert all(c.mentioned for c in cells)


def test_adhoc_topic_absent_from_the_corpus_still_gives_every_cell(corpus_docs):
    documents, chunks, _ = corpus_docs
    cells = coverage_of(documents, chunks, [adhoc_topic("xe buýt nhanh BRT")])
    assert len(cells) == len(documents)
    assert [c.to_dict()["mentioned"] for c in cells] == [False] * len(documents)
    assert all(c.count == 0 and c.evidence == [] for c in cells)


def test_adhoc_topic_needs_words():
    for text in ("", "   ", "?!", "-nước ngầm"):
        with pytest.raises(ValueError):
            adhoc_topic(text)


# -- the topics file -----------------------------------------------------------------

GOOD = """
topics:
  - id: metro
    label_vi: Đường sắt đô thị
    label_en: Urban rail
    phrases: [đường sắt đô thị, metro]
"""


@pytest.mark.parametrize("body, message", [
    ("topics: [", "not valid YAML"),
    ("topics: []", "non-empty list"),
    ("topics:\n  - id: x\n    label_vi: X\n    label_en: X\n", "at least one phrase"),
    ("topics:\n  - id: x\n    label_vi: X\n    label_en: X\n    phrases: metro\n", "must be a list"),
    ("topics:\n  - id: x\n    label_en: X\n    phrases: [a]\n", "'label_vi' is required"),
    ("topics:\n  - id: x y\n    label_vi: X\n    label_en: X\n    phrases: [a]\n", "'id'"),
    ("topics:\n  - id: x\n    label_vi: X\n    label_en: X\n    phrase: [a]\n", "unknown field"),
    ("topics:\n  - id: x\n    label_vi: X\n    label_en: X\n    phrases: ['!!']\n", "no letter"),
    ("topics:\n  - id: x\n    label_vi: X\n    label_en: X\n    phrases: [a]\n"
     "    description: d\n    threshold: 2\n", "'threshold'"),
    (GOOD + GOOD.replace("topics:\n", ""), "defined twice"),
])
def test_malformed_topics_file_names_the_problem(tmp_path, body, message):
    path = tmp_path / "topics.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_topics(path)


def test_topics_file_in_toml_and_yaml(tmp_path):
    yaml_path = tmp_path / "t.yaml"
    yaml_path.write_text(GOOD, encoding="utf-8")
    toml_path = tmp_path / "t.toml"
    toml_path.write_text('[[topics]]\nid = "metro"\nlabel_vi = "Đường sắt đô thị"\n'
                         'label_en = "Urban rail"\nphrases = ["đường sắt đô thị", "metro"]\n'
                         'description = "tuyến metro"\nthreshold = 0.88\n', encoding="utf-8")
    (a,), (b,) = load_topics(yaml_path), load_topics(toml_path)
    assert a.phrases == b.phrases == ["đường sắt đô thị", "metro"]
    assert (a.description, a.threshold) == (None, None)
    assert (b.description, b.threshold) == ("tuyến metro", 0.88)
    with pytest.raises(TopicsError):
        load_topics(tmp_path / "missing.yaml")


# -- province view -------------------------------------------------------------------

def test_province_rollup_one_line_per_province(corpus_docs, topics):
    documents, chunks, ids = corpus_docs
    rows = rollup_of(documents, coverage_of(documents, chunks, topics))
    names = [r["province"] for r in rows]
    assert names == sorted(names, key=fold) and len(names) == len(set(names)) == 4
    by_name = {r["province"]: r for r in rows}
    assert by_name["Quảng Ngãi"]["documents"] == [ids[QN_CITY], ids[QN_PLAN]]
    tod = {r["province"]: r["topics"]["tod"] for r in rows}
    assert {p for p, t in tod.items() if t["mentioned"]} == {"Hải Phòng", "Lâm Đồng", "Quảng Ngãi"}
    assert tod["Hà Tĩnh"] == {"mentioned": False, "count": 0, "documents": []}
    assert tod["Quảng Ngãi"]["documents"] == [ids[QN_CITY], ids[QN_PLAN]]
    assert tod["Quảng Ngãi"]["count"] == 2
    assert set(by_name["Lâm Đồng"]["topics"]) == {t.id for t in topics}


def test_province_rollup_with_post_2025_names(corpus_docs, by_topic):
    documents, chunks, ids = corpus_docs
    # a document from Hải Dương (merged into Hải Phòng in 2025) beside Thủy Nguyên's
    hai_duong = replace(documents[ids[QN_PLAN]], doc_id="hai-duong-doc", file="hai-duong.txt",
                        province="Hải Dương", province_current="Hải Phòng")
    docs = {**documents, "hai-duong-doc": hai_duong}
    hd_chunks = [replace(c, doc_id="hai-duong-doc", chunk_id="hai-duong-doc:" + c.chunk_id[-4:])
                 for c in chunks if c.doc_id == ids[QN_PLAN]]
    cells = coverage_of(docs, chunks + hd_chunks, [by_topic["tod"]])
    old = {r["province"]: r for r in rollup_of(docs, cells)}
    new = {r["province"]: r for r in rollup_of(docs, cells, current_names=True)}
    assert old["Hải Dương"]["documents"] == ["hai-duong-doc"] and "Hải Dương" not in new
    assert new["Hải Phòng"]["documents"] == [ids[THUY_NGUYEN], "hai-duong-doc"]
    assert new["Hải Phòng"]["topics"]["tod"]["documents"] == [ids[THUY_NGUYEN], "hai-duong-doc"]


# -- on the real index (needs the embedding model) -----------------------------------

@pytest.fixture(scope="session")
def version(corpus_index):
    from indexer.index.store import load_index

    return load_index(corpus_index)


def test_coverage_on_the_index_matches_the_parsed_corpus(version, topics, matrix):
    cells = coverage(version, topics)
    assert len(cells) == len(topics) * len(version.documents)
    for cell in cells:
        assert cell.mentioned == matrix[cell.topic, cell.file].mentioned
        assert cell.count == matrix[cell.topic, cell.file].count
    known = {c.chunk_id for c in version.chunks}
    data = json.loads(json.dumps({"cells": [c.to_dict() for c in cells]}, ensure_ascii=False))
    first = data["cells"][0]
    assert set(first) == {"topic", "doc_id", "file", "province", "mentioned", "count", "evidence"}
    for cell in data["cells"]:
        for e in cell["evidence"]:
            assert {"chunk_id", "section", "text", "citation"} <= set(e) and e["chunk_id"] in known


def test_semantic_fallback_adds_no_look_alike(version, topics, embedder):
    cells = coverage(version, topics, embedder=embedder)
    by_key = {(c.topic, c.file): c for c in cells}
    assert {k for k, c in by_key.items() if not c.mentioned} == NOT_MENTIONED
    for cell in cells:
        for e in cell.evidence:
            assert e.match in ("phrase", "semantic")
            if e.match == "semantic":
                assert e.to_dict()["score"] >= next(t.threshold for t in topics
                                                    if t.id == cell.topic)
    for e in by_key["underground_space", THUY_NGUYEN].evidence:
        assert has(e.text, "không gian ngầm", "công trình ngầm")


def test_semantic_match_is_marked_and_scored(version, embedder):
    target = min((c for c in version.chunks if has(c.text, "biến đổi khí hậu")),
                 key=lambda c: len(c.text))
    topic = Topic("resilience", "Chống chịu", "Resilience", [], [],
                  description=target.text, threshold=0.85)
    cells = coverage(version, [topic], embedder=embedder)
    found = [e for c in cells for e in c.evidence]
    assert found and all(e.match == "semantic" and e.score >= 0.85 for e in found)
    assert max(found, key=lambda e: e.score).text == target.text
    assert "phrase" not in found[0].to_dict()


def test_cli_topics_json(corpus_index, capsys):
    from indexer.cli import main

    assert main(["topics", "tod", "underground_space", "--index-dir", str(corpus_index),
                 "--json"]) == 0
    cells = json.loads(capsys.readouterr().out)["cells"]
    assert len(cells) == 2 * len(SEEDS)
    tod = {c["file"]: c for c in cells if c["topic"] == "tod"}
    assert {f for f, c in tod.items() if c["mentioned"]} == {THUY_NGUYEN, LAM_DONG, QN_CITY, QN_PLAN}
    assert tod[HA_TINH]["count"] == 0 and tod[HA_TINH]["evidence"] == []
    assert main(["topics", "tod", "--by-province", "--json", "--index-dir", str(corpus_index)]) == 0
    rows = json.loads(capsys.readouterr().out)["provinces"]
    assert [r["province"] for r in rows if r["topics"]["tod"]["mentioned"]] == \
        ["Hải Phòng", "Lâm Đồng", "Quảng Ngãi"]


NEW_HA_TINH_PLAN = """ỦY BAN NHÂN DÂN
TỈNH HÀ TĨNH

Số: 77/KH-UBND

Hà Tĩnh, ngày 15 tháng 3 năm 2025

KẾ HOẠCH
Thí điểm mô hình TOD trên địa bàn tỉnh Hà Tĩnh

UBND tỉnh ban hành Kế hoạch thí điểm với các nội dung cụ thể như sau:

I. Mục tiêu

1. Hình thành các khu đô thị nén, sử dụng đất hỗn hợp quanh các đầu mối giao thông công cộng tại thành phố Hà Tĩnh và thị xã Kỳ Anh.

2. Đến năm 2030, thí điểm mô hình phát triển đô thị theo định hướng giao thông công cộng (TOD) dọc tuyến đường Hàm Nghi.

II. Tổ chức thực hiện

1. Sở Xây dựng chủ trì, phối hợp các sở, ngành lập đề án thí điểm TOD, trình UBND tỉnh trong quý IV năm 2025.

2. UBND thành phố Hà Tĩnh, thị xã Kỳ Anh rà soát quy hoạch phân khu quanh các bến xe buýt.

TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH

Võ Trọng Hải
"""


def test_new_document_changes_its_province_row_after_incremental_build(
        corpus_index, corpus_copy, tmp_path, embedder, topics, by_topic):
    from indexer.index.build import build_index
    from indexer.index.store import load_index

    index_dir = tmp_path / "index"
    shutil.copytree(corpus_index, index_dir)  # the corpus as already indexed
    before = load_index(index_dir)
    row = {r["province"]: r for r in province_rollup(before, coverage(before, [by_topic["tod"]]))}
    assert not row["Hà Tĩnh"]["topics"]["tod"]["mentioned"]

    (corpus_copy / "ha-tinh_ubnd_ke-hoach-77-kh-ubnd-2025-tod.txt").write_text(
        NEW_HA_TINH_PLAN, encoding="utf-8")
    report = build_index(corpus_copy, index_dir, embedder)
    assert report.read_files == ["ha-tinh_ubnd_ke-hoach-77-kh-ubnd-2025-tod.txt"]
    assert sorted(report.reused_files) == sorted(SEEDS)

    after = load_index(index_dir)
    cells = coverage(after, topics)
    new_id = next(d for d, m in after.documents.items() if m.file.startswith("ha-tinh_ubnd"))
    new_tod = next(c for c in cells if c.topic == "tod" and c.doc_id == new_id)
    assert new_tod.mentioned and new_tod.count >= 2 and new_tod.province == "Hà Tĩnh"
    assert all(has(e.text, "TOD") for e in new_tod.evidence)
    assert any(has(e.text, "theo định hướng giao thông công cộng") for e in new_tod.evidence)
    rows = {r["province"]: r for r in province_rollup(after, cells)}
    old_ids = [d for d, m in before.documents.items() if m.province == "Hà Tĩnh"]
    assert set(rows["Hà Tĩnh"]["documents"]) == {*old_ids, new_id}
    assert rows["Hà Tĩnh"]["topics"]["tod"] == {"mentioned": True, "count": new_tod.count,
                                                "documents": [new_id]}
    unchanged = {(c.topic, c.file): c.count for c in coverage(before, topics)}
    for cell in cells:
        if cell.doc_id != new_id:
            assert cell.count == unchanged[cell.topic, cell.file]
