"""Exports of cited passages, on real clauses of the parsed corpus (no model needed)."""
from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import QN_PLAN, THUY_NGUYEN
from indexer.features.answer import Answer, AnswerSentence
from indexer.parse.cite import cite
from indexer.features.export import (COLUMNS, ExportRow, add_rows, export, move, neutralise_formula,
                            rows_from_answer, rows_from_cell, rows_from_results, to_csv, to_docx,
                            to_json, to_markdown, to_xlsx)
from indexer.search.engine import make_result
from indexer.text.escape import md_escape
from indexer.features.topics import Cell, Evidence

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


@pytest.fixture(scope="module")
def documents(parsed):
    return {p.meta.doc_id: p.meta for p in parsed.values()}


@pytest.fixture(scope="module")
def rows(parsed, documents):
    """Search results for real clauses: the Thủy Nguyên urbanisation targets (bullets starting
    with "- ") and clauses of the Quảng Ngãi plan, as the app would export them."""
    tn, qn = parsed[THUY_NGUYEN], parsed[QN_PLAN]
    picked = [c for c in tn.chunks if "đô thị hóa" in c.text][:3] + qn.chunks[5:8]
    results = [make_result(i + 1, 1.0, c, documents[c.doc_id], "tỷ lệ đô thị hóa")
               for i, c in enumerate(picked)]
    out = rows_from_results(results, documents, note="tìm kiếm: tỷ lệ đô thị hóa")
    assert any(r.text.startswith("- ") for r in out), "fixture needs a bullet clause"
    return out


def test_rows_carry_citation_and_metadata(rows, parsed):
    tn = parsed[THUY_NGUYEN].meta
    row = rows[0]
    assert row.doc_id == tn.doc_id and row.file == tn.file
    assert row.citation.startswith("Chương trình hành động số 42-CTr/HU ngày 6/3/2024")
    assert row.number == "42-CTr/HU" and row.date == "2024-03-06"
    assert row.province == "Hải Phòng" and row.level == "huyện"
    assert row.province_current and row.issuer and row.title and row.section
    assert row.note == "tìm kiếm: tỷ lệ đô thị hóa"
    assert ExportRow.from_dict(row.to_dict()) == row


def test_neutralise_formula():
    assert neutralise_formula("=1+1") == "'=1+1"
    assert neutralise_formula("+84 912") == "'+84 912"
    assert neutralise_formula("-2+3") == "'-2+3"
    assert neutralise_formula("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise_formula("\t=cmd") == "'\t=cmd"
    assert neutralise_formula("\r=cmd") == "'\r=cmd"
    assert neutralise_formula("- Tỷ lệ đô thị hóa đạt 60%") == "'- Tỷ lệ đô thị hóa đạt 60%"
    assert neutralise_formula("Tỷ lệ = 60%") == "Tỷ lệ = 60%"  # only the first character counts
    assert neutralise_formula(None) == "" and neutralise_formula("") == ""


def test_csv_has_bom_and_round_trips_vietnamese(rows):
    data = to_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert table[0] == COLUMNS
    assert len(table) == len(rows) + 1
    for row, line in zip(rows, table[1:]):
        record = dict(zip(COLUMNS, line))
        assert record["citation"] == row.citation  # Vietnamese intact
        assert record["text"] in (row.text, "'" + row.text)
        assert record["chunk_id"] == row.chunk_id and record["province"] == row.province
    bullet = next(line for line in table[1:] if line[1].startswith("'- "))
    assert "Tỷ lệ" in bullet[1] or "đô thị" in bullet[1]


def test_no_csv_or_xlsx_cell_starts_like_a_formula(rows):
    evil = ExportRow(citation="=HYPERLINK(\"http://x\",\"bấm\")", text="@SUM(1+1)", section="+x",
                     doc_id="-1", note="\t=cmd|' /C calc'!A0")
    all_rows = rows + [evil]
    for line in csv.reader(io.StringIO(to_csv(all_rows).decode("utf-8-sig"), newline="")):
        for cell in line:
            assert not cell.startswith(DANGEROUS), cell

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(to_xlsx(all_rows))).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == COLUMNS
    assert len(values) == len(all_rows) + 1
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if cell.value is None:
                continue
            assert cell.data_type == "s", (cell.coordinate, cell.data_type)  # never a formula
            if str(cell.value).startswith(DANGEROUS):
                assert cell.quotePrefix, cell.coordinate
    citations = [v[0] for v in values[1:]]
    assert citations[0] == rows[0].citation
    assert citations[-1] == "=HYPERLINK(\"http://x\",\"bấm\")"  # the text itself, unaltered
    texts = [v[1] for v in values[1:]]
    assert texts == [r.text for r in all_rows]  # no apostrophe added to a bullet


def test_docx_is_a_numbered_citation_list(rows):
    from docx import Document

    document = Document(io.BytesIO(to_docx(rows)))
    items = [p for p in document.paragraphs if p.style.name == "List Number"]
    assert len(items) == len(rows)
    for row, paragraph in zip(rows, items):
        assert paragraph.text.startswith("“")
        assert paragraph.text.endswith("” — " + row.citation)
        assert " ".join(row.text.split())[:40] in paragraph.text


def test_markdown_and_json(rows):
    md = to_markdown(rows)
    assert md.startswith("# Danh sách trích dẫn")
    for i, row in enumerate(rows, 1):
        assert f"\n{i}. “" in md
        assert f"— {md_escape(row.citation)}" in md
    data = json.loads(to_json(rows))
    assert [ExportRow.from_dict(d) for d in data] == rows
    assert "Thủy Nguyên" in to_json(rows)  # not \u-escaped


def test_export_dispatch(rows):
    data, mime = export(rows, "csv")
    assert data == to_csv(rows) and mime == "text/csv"
    md, _ = export(rows, "md")
    assert md.decode("utf-8") == to_markdown(rows)
    with pytest.raises(ValueError):
        export(rows, "pdf")


def test_rows_from_answer_and_topic_evidence(parsed, documents):
    tn = parsed[THUY_NGUYEN]
    chunk = next(c for c in tn.chunks if "74 - 76%" in c.text)
    result = make_result(1, 1.0, chunk, tn.meta, "tỷ lệ đô thị hóa 2030")
    sentence = AnswerSentence(text="Tỷ lệ đô thị hóa đến năm 2025 đạt 60 - 70%, đến năm 2030 đạt 74 - 76%.",
                              citation=result.citation, doc_id=tn.meta.doc_id,
                              chunk_id=chunk.chunk_id, province=tn.meta.province, score=0.9, ref=1)
    answer = Answer("Tỷ lệ đô thị hóa năm 2030?", True, [sentence], [result])
    [row] = rows_from_answer(answer, documents)
    assert row.text == sentence.text and row.citation == result.citation
    assert row.section == chunk.section and row.number == "42-CTr/HU"
    assert row.note == "hỏi đáp: Tỷ lệ đô thị hóa năm 2030?"
    assert rows_from_answer(Answer("?", False, [], [result], "no"), documents) == []

    evidence = Evidence(chunk.chunk_id, chunk.section, chunk.text, cite(tn.meta, chunk), "phrase",
                        phrase="đô thị hóa")
    cell = Cell("urbanisation", tn.meta.doc_id, tn.meta.file, tn.meta.province, True, 1, [evidence])
    [ev_row] = rows_from_cell(cell, documents)
    assert ev_row.text == chunk.text and ev_row.issuer == tn.meta.issuer
    assert ev_row.note == "chủ đề: urbanisation"


def test_add_rows_dedupes_and_move_reorders(rows):
    merged = add_rows(rows[:2], rows[1:4])
    assert [r.key for r in merged] == [r.key for r in rows[:4]]
    moved = move(merged, 3, -1)
    assert [r.key for r in moved] == [rows[0].key, rows[1].key, rows[3].key, rows[2].key]
    assert move(merged, 0, -1) == merged  # clamped
    assert move(merged, 9, 1) == merged


# -- hostile document text (issue 15 items 3 and 4) -----------------------------------------

HOSTILE_TEXT = ("Mục tiêu\uffff đến năm 2030\ufffe ![x](http://evil.example/p.png) "
                "[bấm](http://evil.example) <img src=x onerror=alert(1)>")
FORMULA_LINES = ["=HYPERLINK(\"http://evil.example\",\"x\")", "＝1+1", "＋84 912", "－2+3", "＠SUM(A1)",
                 "  =1+1", "- Tỷ lệ đô thị hóa 60%"]


@pytest.fixture
def hostile_rows():
    rows = [ExportRow(citation=f"Kế hoạch ![c](http://evil.example/c.png), mục {i}", text=line,
                      file="[a](http://evil.example).txt", title="**Tiêu đề**\uffff", province="Quảng Ngãi")
            for i, line in enumerate(FORMULA_LINES)]
    return rows + [ExportRow(citation="Kế hoạch 151/KH-UBND", text=HOSTILE_TEXT, file="x\ufffe.txt")]


def test_all_five_formats_hold_xml_invalid_and_formula_text(hostile_rows):
    """U+FFFF/U+FFFE once made the XLSX and DOCX writers raise; every format is written now."""
    from docx import Document
    from openpyxl import load_workbook

    outputs = {fmt: export(hostile_rows, fmt)[0] for fmt in ("csv", "xlsx", "docx", "md", "json")}
    sheet = load_workbook(io.BytesIO(outputs["xlsx"])).active
    texts = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert texts[:len(FORMULA_LINES)] == FORMULA_LINES  # unaltered, formula-like ones quote-prefixed
    assert texts[-1] == HOSTILE_TEXT.replace("\uffff", "").replace("\ufffe", "")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.value is None:
                continue
            assert cell.data_type == "s"
            assert cell.quotePrefix == str(cell.value or "").lstrip(" ").startswith(DANGEROUS)
    paragraphs = [p.text for p in Document(io.BytesIO(outputs["docx"])).paragraphs]
    assert any("Mục tiêu đến năm 2030" in p for p in paragraphs)
    assert json.loads(outputs["json"])[-1]["text"] == HOSTILE_TEXT  # JSON keeps the text exactly


def test_csv_neutralises_fullwidth_and_spaced_formula_signs(hostile_rows):
    table = list(csv.reader(io.StringIO(to_csv(hostile_rows).decode("utf-8-sig"), newline="")))
    for line in table[1:]:
        for cell in line:
            assert not cell.lstrip(" ").startswith(DANGEROUS), cell
    assert [line[1] for line in table[1:len(FORMULA_LINES) + 1]] == ["'" + x for x in FORMULA_LINES]


def test_markdown_export_has_no_live_link_or_image(hostile_rows):
    import re

    from markdown_it import MarkdownIt

    md = to_markdown(hostile_rows, title="[t](http://evil.example)")
    rendered = MarkdownIt("commonmark").render(md)
    assert not re.search(r"<(a|img|script)\b", rendered), rendered
    assert "![x](http://" not in md and "](http://evil" not in md
    assert "Mục tiêu\uffff đến năm 2030" in md.replace("\\", "")  # the text itself is kept
