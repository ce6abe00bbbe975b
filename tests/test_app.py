"""The Streamlit page, driven with ``streamlit.testing.v1.AppTest`` on a real index of corpus/.

Each test runs the real app.py against a private copy of the index and of the corpus
(``POLICY_INDEX_DIR`` / ``POLICY_CORPUS_DIR``); the model and the engine are cached once per
process by the app itself, as in production.
"""
from __future__ import annotations

import csv
import html
import importlib.util
import io
import os
import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from conftest import CORPUS, ROOT, THUY_NGUYEN
from indexer.features.export import ExportRow, to_csv, to_xlsx

APP = ROOT / "app.py"
TIMEOUT = 180  # the first run loads the model


@pytest.fixture(scope="module")
def app_module():
    """app.py imported as a module (its page only runs under Streamlit), for its pure helpers."""
    spec = importlib.util.spec_from_file_location("policy_app", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def env(tmp_path, corpus_index, monkeypatch):
    """Private copies of the real index and of corpus/, named by the environment variables."""
    index_dir, corpus_dir = tmp_path / "index", tmp_path / "corpus"
    shutil.copytree(corpus_index, index_dir, ignore=shutil.ignore_patterns("build.lock"))
    shutil.copytree(CORPUS, corpus_dir)
    for path in corpus_dir.iterdir():
        path.chmod(0o644)
    monkeypatch.setenv("POLICY_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("POLICY_CORPUS_DIR", str(corpus_dir))
    return index_dir, corpus_dir


def start(**query) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def go(at: AppTest, page: str) -> AppTest:
    at.sidebar.radio(key="page").set_value(page)
    return rerun(at)


def cards(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if 'class="ps-card"' in m.value]


def field(card: str, name: str) -> str:
    """Text of a <div class="ps-NAME"> of a card, tags removed and entities decoded."""
    m = re.search(rf'<div class="ps-{name}">(.*?)</div>', card)
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))) if m else ""


def test_search_shows_highlighted_clause_cards(env):
    at = start()
    at.text_input(key="q").input("không gian ngầm")
    rerun(at)
    found = cards(at)
    assert len(found) >= 3
    assert all('class="ps-cite"' in c and 'class="ps-crumb"' in c for c in found)
    assert "ngầm</mark>" in found[0]
    assert "không gian ngầm" in field(found[0], "text")
    assert any("Cũng có trong" in c for c in found)  # near-duplicates folded into "also in"
    assert at.query_params["q"] == "không gian ngầm"  # the address bar reproduces the search
    # every card can be ticked for export and shown inside its document
    assert len([c for c in at.checkbox if c.key.startswith("pick:s:")]) == len(found)
    assert sum(e.label == "Xem trong văn bản" for e in at.expander) == len(found)


def test_show_in_document_renders_the_section_and_neighbours(env):
    at = start(q="không gian ngầm")
    assert not [m for m in at.markdown if "ps-ctx ps-ctx-current" in m.value]  # loaded only when opened
    expander = next(e for e in at.expander if e.label == "Xem trong văn bản")
    assert expander.key.startswith("ctx:s:1:")
    at.session_state[expander.key] = True  # the user opens the first card's expander
    rerun(at)
    contexts = [m.value for m in at.markdown if "ps-ctx ps-ctx-current" in m.value]
    assert len(contexts) == 1
    assert contexts[0].count('class="ps-ctx') >= 2  # the clause and at least one neighbour
    assert "ngầm</mark>" in contexts[0]
    assert field(cards(at)[0], "cite") in html.unescape(contexts[0])


def test_query_parameter_runs_a_search(env):
    at = start(q="khong gian ngam")  # without diacritics, from the address bar
    assert at.text_input(key="q").value == "khong gian ngam"
    assert cards(at) and "ngầm" in field(cards(at)[0], "text")


def test_province_filter_restricts_results(env):
    at = start(q="tỷ lệ đô thị hóa")
    provinces = {field(c, "meta").split(" · ")[-1] for c in cards(at)}
    assert len(provinces) > 1
    at.sidebar.multiselect(key="f_province").select("Lâm Đồng")
    rerun(at)
    found = cards(at)
    assert found
    assert {field(c, "meta").split(" · ")[-1] for c in found} == {"Lâm Đồng"}
    assert all("Lâm Đồng" in field(c, "cite") for c in found)


def test_tick_keeps_across_searches_then_export(env):
    at = start(q="không gian ngầm")
    first = cards(at)[0]
    at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("pick:s:1:"))).check()
    rerun(at)
    at.text_input(key="q").input("tỷ lệ đô thị hóa năm 2030")
    rerun(at)
    second = cards(at)[0]
    at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("pick:s:1:"))).check()
    rerun(at)
    assert len(at.session_state["export"]) == 2

    go(at, "export")
    assert [b.label for b in at.get("download_button")] == [
        "Tải CSV", "Tải XLSX", "Tải DOCX", "Tải MD", "Tải JSON"]
    listed = [m.value for m in at.markdown if 'class="ps-rank">1.' in m.value or 'class="ps-rank">2.' in m.value]
    assert len(listed) == 2
    rows = [ExportRow.from_dict(d) for d in at.session_state["export"]]
    assert [r.citation for r in rows] == [field(first, "cite"), field(second, "cite")]
    assert rows[0].note == "tìm kiếm: không gian ngầm"

    # the bytes the CSV button serves
    data = to_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert table[1][0] == field(first, "cite") and table[2][0] == field(second, "cite")
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in table for cell in line)
    assert to_xlsx(rows)[:2] == b"PK"

    # reorder and remove
    at.button(key=next(b.key for b in at.button if b.key.startswith("down:"))).click()
    rerun(at)
    assert [r["citation"] for r in at.session_state["export"]] == [field(second, "cite"), field(first, "cite")]
    at.button(key=next(b.key for b in at.button if b.key.startswith("rm:"))).click()
    rerun(at)
    assert [r["citation"] for r in at.session_state["export"]] == [field(first, "cite")]

    # back on the search page the exported card is still ticked
    go(at, "search")
    at.text_input(key="q").input("không gian ngầm")
    rerun(at)
    assert at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("pick:s:1:"))).value is True


def test_answer_cites_numbered_cards(env):
    at = start()
    go(at, "answer")
    at.text_input(key="question").input("Thủy Nguyên phấn đấu tỷ lệ đô thị hóa năm 2030 đạt bao nhiêu?")
    rerun(at)
    [answer] = [m.value for m in at.markdown if 'class="ps-answer"' in m.value]
    assert "74 - 76%" in answer
    refs = [int(n) for n in re.findall(r'href="#card-(\d+)"', answer)]
    assert refs
    ids = [int(n) for c in cards(at) for n in re.findall(r'id="card-(\d+)"', c)]
    assert set(refs) <= set(ids)
    cited = cards(at)[refs[0] - 1]
    assert "Thủy Nguyên" in field(cited, "cite")
    # a sentence of the answer can be exported on its own
    at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("pick:as:0:"))).check()
    rerun(at)
    [row] = at.session_state["export"]
    assert "74 - 76%" in row["text"] and row["file"] == THUY_NGUYEN

    at.text_input(key="question").input("Công thức nấu phở bò ngon nhất?")
    rerun(at)
    assert [i.value for i in at.info] == ["Không tìm thấy câu trả lời trong các văn bản."]
    assert not [m for m in at.markdown if 'class="ps-answer"' in m.value]


def test_topic_matrix_cell_shows_evidence_and_adhoc_topic(env):
    at = start()
    go(at, "topics")
    frame = at.dataframe[0].value
    assert "Không gian ngầm" in frame.columns and "TOD" in frame.columns  # short headers
    assert len(frame) == 5 and frame.to_numpy().sum() > 0
    lam_dong = next(i for i, label in enumerate(frame.index) if label.startswith("Lâm Đồng"))
    count = int(frame.iloc[lam_dong]["Không gian ngầm"])
    assert count > 0

    # selecting the cell in the table picks the topic and the document below it
    at.session_state["matrix:document"] = {"selection": {"cells": [[lam_dong, "Không gian ngầm"]]}}
    rerun(at)
    assert at.selectbox(key="cell_topic").value == "underground_space"
    evidence = cards(at)
    assert len(evidence) == count
    assert all("Lâm Đồng" in field(c, "cite") for c in evidence)
    assert any("ngầm</mark>" in c for c in evidence)

    # the province view rolls documents up
    at.radio(key="topic_view").set_value("province")
    rerun(at)
    by_province = at.dataframe[0].value
    assert any(label.startswith("Quảng Ngãi (2)") for label in by_province.index)

    # a topic typed by the user becomes a column with its own evidence
    at.text_input(key="adhoc_text").input("nước ngầm")
    at.button[0].click()
    rerun(at)
    assert "nước ngầm" in at.dataframe[0].value.columns
    assert at.selectbox(key="cell_topic").value.startswith("adhoc-")


def test_compare_shows_best_clause_per_province(env):
    at = start()
    go(at, "compare")
    at.text_input(key="cmp_q").input("tỷ lệ đô thị hóa năm 2025 và 2030")
    rerun(at)
    groups = [html.unescape(re.sub(r"<[^>]+>", "", m.value)) for m in at.markdown if 'class="ps-group"' in m.value]
    assert groups == ["Hà Tĩnh", "Hải Phòng", "Lâm Đồng", "Quảng Ngãi"]
    found = cards(at)
    assert len(found) == 4
    assert "Thủy Nguyên" in field(found[1], "cite")
    assert "2030" in field(found[1], "text")
    at.radio(key="cmp_by").set_value("document")
    rerun(at)
    assert len(cards(at)) == 5


def test_documents_page_and_bad_upload_leaves_index_untouched(env):
    index_dir, corpus_dir = env
    before_files = sorted(p.name for p in corpus_dir.iterdir())
    before_current = (index_dir / "CURRENT").read_text()
    at = start()
    go(at, "documents")
    assert at.metric[0].value == "5"
    table = at.dataframe[0].value
    assert len(table) == 5 and "Kế hoạch" in set(table["Loại"])
    at.file_uploader[0].upload("bao-cao.pdf", os.urandom(4096), "application/pdf")
    rerun(at)
    at.button(key="upload_go").click()
    rerun(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert errors[0].startswith("Không thêm “bao-cao.pdf”:")
    assert errors[0].endswith("Kho văn bản và chỉ mục không thay đổi.")
    assert at.metric[0].value == "5"
    assert sorted(p.name for p in corpus_dir.iterdir()) == before_files
    assert (index_dir / "CURRENT").read_text() == before_current


def test_documents_page_flags_a_stale_index(env):
    _, corpus_dir = env
    (corpus_dir / "moi.txt").write_text("UBND TỈNH A\nKẾ HOẠCH\nI. MỤC TIÊU\n1. Một mục tiêu mới.\n",
                                        encoding="utf-8")
    at = start()
    go(at, "documents")
    [warning] = [w.value for w in at.warning]
    assert "mới: moi.txt" in warning and "cập nhật chỉ mục" in warning
    assert at.button(key="rebuild").label == "Cập nhật chỉ mục"


def test_good_upload_gets_a_safe_name_and_is_indexed(env):
    index_dir, corpus_dir = env
    at = start()
    go(at, "documents")
    text = ("UBND TỈNH THỬ NGHIỆM\nKẾ HOẠCH\nPhát triển đô thị thử nghiệm\n\n"
            "I. MỤC TIÊU\n1. Phát triển hệ thống cáp treo đô thị ven biển đến năm 2030.\n"
            "2. Xây dựng 15 công viên ngập nước chống ngập cho khu dân cư ven sông.\n")
    at.file_uploader[0].upload("../../Kế hoạch\x07 thử.MD", text.encode("utf-8"), "text/markdown")
    rerun(at)
    at.button(key="upload_go").click()
    rerun(at)
    assert (corpus_dir / "Kế hoạch thử.md").read_text(encoding="utf-8") == text
    assert not (corpus_dir.parent.parent / "Kế hoạch thử.md").exists()
    assert any("Đã thêm" in s.value for s in at.success)
    assert at.metric[0].value == "6"
    go(at, "search")
    at.text_input(key="q").input("cáp treo đô thị ven biển")
    rerun(at)
    assert "cáp treo" in field(cards(at)[0], "text")


def test_missing_index_shows_the_build_command(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_INDEX_DIR", str(tmp_path / "no-index"))
    monkeypatch.setenv("POLICY_CORPUS_DIR", str(CORPUS))
    at = start()
    assert [e.value for e in at.error] == ["Chưa có chỉ mục tìm kiếm dùng được."]
    command = at.code[0].value
    assert "-m indexer build" in command and str(tmp_path / "no-index") in command
    assert str(CORPUS) in command
    assert not cards(at)


def test_english_labels(env):
    at = start(lang="en", q="underground space")
    assert at.title[0].value == "Policy document search"
    assert at.text_input(key="q").label == "Search for"
    assert cards(at) and "Add to export" in [c.label for c in at.checkbox]


def test_document_text_is_escaped(app_module):
    from indexer.search.engine import AlsoIn, Result

    evil = Result(rank=1, score=1.0, chunk_id="c1", doc_id="d1", file="<b>f</b>.txt",
                  title="<script>alert(1)</script>", province="<i>P</i>", issuer="A & B",
                  number="1/<x>", date="2022-09-22", section="I. <img src=x onerror=alert(1)>",
                  text="<script>alert(2)</script> không gian ngầm", citation="<a href=x>c</a>",
                  highlights=[(27, 32)],
                  also_in=[AlsoIn(doc_id="d2", chunk_id="d2:1", file="x", province=None,
                                 citation="<svg onload=alert(3)>", text="")])
    out = app_module.card_html(evil)
    assert "<script" not in out and "<img" not in out and "<svg" not in out and "<a href" not in out
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in out
    assert "<mark>gian</mark>" in out or "<mark>" in out
    assert app_module.highlight_html("a<b>c", [(1, 4)]) == "a<mark>&lt;b&gt;</mark>c"



def test_upload_logic_comes_from_the_indexer_package(app_module):
    from indexer.features import upload

    assert app_module.save_uploads is upload.save_uploads
    assert app_module.corpus_changes is upload.corpus_changes
    assert app_module.UPLOAD_TYPES == upload.UPLOAD_TYPES
    assert not hasattr(app_module, "safe_filename")  # no second copy of the upload rules
