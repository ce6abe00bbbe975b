"""indexer.records: the dataclasses that cross stages (no dicts, no data encoded in strings)."""
from __future__ import annotations

import copy
import json
import pickle
from dataclasses import asdict

from indexer.parse.metadata import apply_corrections, extract_metadata
from indexer.parse.structure import parse_sections
from indexer.records import (AlsoIn, Chunk, Context, CorpusChanges, DocumentMeta, Filters, Notice, Result,
                             UploadItem, UploadReport, codes)

DRAFT = ("THÀNH ỦY QUẢNG NGÃI\nSố:      -CTr/TU\nQuảng Ngãi, ngày     tháng     năm 2022\n"
         "CHƯƠNG TRÌNH HÀNH ĐỘNG\nthực hiện Nghị quyết số 06-NQ/TW\n\n"
         "I. MỤC ĐÍCH\n1. Phát triển đô thị bền vững, có bản sắc.\n")


def test_year_comes_from_the_date():
    assert DocumentMeta("d", "f", "s", date="2022-09-22").year == 2022
    assert DocumentMeta("d", "f", "s").year is None
    assert DocumentMeta("d", "f", "s", year="2021").year == 2021  # as read back from a CSV


def test_a_draft_with_a_blank_date_keeps_its_year_as_a_field():
    meta = extract_metadata("d", "draft.txt", "0" * 64, DRAFT, parse_sections(DRAFT))
    assert meta.date is None and meta.year == 2022
    assert json.loads(json.dumps(asdict(meta)))["year"] == 2022


def test_corrections_move_the_year_with_the_date():
    meta = DocumentMeta("d", "a.txt", "s", date="2020-01-02")
    apply_corrections(meta, {"a.txt": {"file": "a.txt", "date": "2023-05-06"}})
    assert (meta.date, meta.year) == ("2023-05-06", 2023)
    apply_corrections(meta, {"a.txt": {"file": "a.txt", "year": "2024"}})
    assert meta.year == 2024


def test_notice_is_a_string_with_a_code():
    notice = Notice("dropped_long", "dropped 1 paragraph(s) longer than 20000 characters")
    assert notice == "dropped 1 paragraph(s) longer than 20000 characters" and "dropped" in notice
    assert notice.code == "dropped_long" and notice.message == str(notice)
    assert json.dumps([notice]) == json.dumps([str(notice)])
    assert pickle.loads(pickle.dumps(notice)).code == "dropped_long"
    assert copy.deepcopy(notice).code == "dropped_long"
    assert codes([notice, "plain"]) == {"dropped_long"}


def test_result_json_shape_is_unchanged():
    also = AlsoIn(doc_id="d2", chunk_id="d2:3", file="b.txt", province="Huế", citation="c2", text="t2")
    result = Result(rank=1, score=0.5, chunk_id="d1:1", doc_id="d1", file="a.txt", title="T", province="P",
                    issuer="I", number="1/KH", date="2022-01-01", section="I", text="t", citation="c",
                    highlights=[(0, 1)], also_in=[also])
    data = json.loads(json.dumps(result.to_dict()))
    assert data["highlights"] == [[0, 1]]
    assert data["also_in"] == [{"doc_id": "d2", "chunk_id": "d2:3", "file": "b.txt", "province": "Huế",
                                "citation": "c2", "text": "t2"}]
    assert list(data) == ["rank", "score", "chunk_id", "doc_id", "file", "title", "province", "issuer",
                          "number", "date", "section", "text", "citation", "highlights", "also_in"]


def test_context_is_a_record():
    chunk = Chunk("d:0", "d", 0, "I", ["I"], "text", 0, 4)
    ctx = Context(chunk, "cite", [], [], "I", [chunk], DocumentMeta("d", "f", "s"))
    data = ctx.to_dict()
    assert data["chunk"]["chunk_id"] == "d:0" and data["document"]["doc_id"] == "d"


def test_small_records():
    assert Filters().is_empty() and not Filters(year_from=2020).is_empty()
    assert not CorpusChanges() and CorpusChanges(added=["a"]) and not CorpusChanges(too_large=["b"])
    report = UploadReport([UploadItem("a", "saved", saved_as="a"), UploadItem("b", "duplicate", duplicate_of="a")])
    assert report.saved == ["a"]
