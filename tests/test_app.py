"""The Streamlit page, driven with ``streamlit.testing.v1.AppTest`` on a real index of corpus/.

Each test runs the real app.py against a private copy of the index and of the corpus
(``POLICY_INDEX_DIR`` / ``POLICY_CORPUS_DIR``); the model and the engine are cached once per
process by the app itself, as in production.
"""
from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from conftest import CORPUS, ROOT
from indexer.features.export import ExportRow, to_csv, to_xlsx

APP = ROOT / "app.py"
TIMEOUT = 180  # the first run loads the model
model = pytest.mark.model  # tests that load the embedding model or build an index


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
    sessions = tmp_path / "sessions"  # export lists of this test only (not the user's cache)
    sessions.mkdir()
    monkeypatch.setattr("indexer.ui.state.session_dir", lambda: sessions)
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


def unmd(text: str) -> str:
    """Markdown source as the reader sees it (backslash escapes removed)."""
    return re.sub(r"\\(.)", r"\1", text)


@model
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


@model
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


@model
def test_query_parameter_runs_a_search(env):
    at = start(q="khong gian ngam")  # without diacritics, from the address bar
    assert at.text_input(key="q").value == "khong gian ngam"
    assert cards(at) and "ngầm" in field(cards(at)[0], "text")


@model
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


@model
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


@model
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
    at.session_state["matrix:document:0"] = {"selection": {"cells": [[lam_dong, "Không gian ngầm"]]}}
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


@model
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


@model
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
    errors = [unmd(e.value) for e in at.error]
    assert len(errors) == 1
    assert errors[0].startswith("Không thêm “bao-cao.pdf”:")
    assert errors[0].endswith("Kho văn bản và chỉ mục không thay đổi.")
    assert at.metric[0].value == "5"
    assert sorted(p.name for p in corpus_dir.iterdir()) == before_files
    assert (index_dir / "CURRENT").read_text() == before_current


@model
def test_documents_page_flags_a_stale_index(env):
    _, corpus_dir = env
    (corpus_dir / "moi.txt").write_text("UBND TỈNH A\nKẾ HOẠCH\nI. MỤC TIÊU\n1. Một mục tiêu mới.\n",
                                        encoding="utf-8")
    at = start()
    go(at, "documents")
    [warning] = [unmd(w.value) for w in at.warning]
    assert "mới: moi.txt" in warning and "cập nhật chỉ mục" in warning
    assert at.button(key="rebuild").label == "Cập nhật chỉ mục"


@model
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


@model
def test_missing_index_shows_the_build_command(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_INDEX_DIR", str(tmp_path / "no-index"))
    monkeypatch.setenv("POLICY_CORPUS_DIR", str(CORPUS))
    at = start()
    assert [e.value for e in at.error] == ["Chưa có chỉ mục tìm kiếm dùng được."]
    command = at.code[0].value
    assert "-m indexer build" in command and str(tmp_path / "no-index") in command
    assert str(CORPUS) in command
    assert not cards(at)


@model
def test_english_labels(env):
    at = start(lang="en", q="underground space")
    assert at.title[0].value == "Policy document search"
    assert at.text_input(key="q").label == "Search for"
    assert cards(at) and "Add to export" in [c.label for c in at.checkbox]


# -- fast tests (no model) ---------------------------------------------------------------

def test_labels_have_the_same_keys_in_both_languages():
    folder = ROOT / "indexer" / "ui" / "labels"
    vi = tomllib.loads((folder / "vi.toml").read_text(encoding="utf-8"))
    en = tomllib.loads((folder / "en.toml").read_text(encoding="utf-8"))
    assert set(vi) == set(en) and len(vi) > 100
    for key in vi:  # the same placeholders, so that either language can be formatted
        assert set(re.findall(r"{(\w+)", vi[key])) == set(re.findall(r"{(\w+)", en[key])), key


def test_the_page_reaches_the_package_only_through_the_library():
    sources = {p: p.read_text(encoding="utf-8") for p in [APP, *(ROOT / "indexer" / "ui").rglob("*.py")]}
    assert len(APP.read_text(encoding="utf-8").splitlines()) <= 80
    for path, text in sources.items():
        assert len(text.splitlines()) <= 450, path
        for module in re.findall(r"^\s*(?:from|import) (indexer\.[\w.]+)", text, re.M):
            assert not module.startswith(("indexer.search", "indexer.index", "indexer.ingest")), (path, module)
    others = [p for p in (ROOT / "indexer").rglob("*.py") if "ui" not in p.relative_to(ROOT / "indexer").parts]
    assert not [p for p in others if "indexer.ui" in p.read_text(encoding="utf-8")]  # only app.py imports ui


def test_card_escapes_document_text_and_shows_missing_values():
    from indexer.records import AlsoIn, Result
    from indexer.ui.components import card_from_result, card_html, highlight_html

    evil = Result(rank=1, score=1.0, chunk_id="c1", doc_id="d1", file="<b>f</b>.txt",
                  title="<script>alert(1)</script>", province=None, issuer="A & B",
                  number="1/<x>", date="2022-09-22", section="I. <img src=x onerror=alert(1)>",
                  text="<script>alert(2)</script> không gian ngầm", citation="<a href=x>c</a>",
                  highlights=[(32, 36)],
                  also_in=[AlsoIn("d2", "c2", "x", None, "<svg onload=alert(3)>", "t")])
    out = card_html(card_from_result(evil, {}, "note"))
    assert "<script" not in out and "<img" not in out and "<svg" not in out and "<a href" not in out
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in out
    assert "<mark>gian</mark>" in out
    assert "chưa ghi" in out and "None" not in out  # a missing province
    assert highlight_html("a<b>c", [(1, 4)]) == "a<mark>&lt;b&gt;</mark>c"


def test_markdown_escaping_keeps_images_and_links_as_text():
    from indexer.ui.components import md

    for evil in ["![x](http://127.0.0.1:9/p.png)", "[a](javascript:alert(1))", "<img src=x>", "$x$ **b**"]:
        escaped = md(evil)
        assert unmd(escaped) == evil
        assert not re.search(r"(?<!\\)[!\[\]()<>*$]", escaped)


def test_phrase_spans_ignore_case_and_diacritics_on_word_boundaries():
    from indexer.ui.components import phrase_spans

    text = "Phát triển KHÔNG GIAN NGẦM; không gian ngầm hóa"
    spans = phrase_spans(text, "khong gian ngam")
    assert [text[a:b] for a, b in spans] == ["KHÔNG GIAN NGẦM", "không gian ngầm"]
    assert phrase_spans("ngầmhóa", "ngầm") == []


def test_package_errors_never_mix_languages():
    from indexer.errors import QueryError
    from indexer.ui import i18n

    english = QueryError("The query has no letters or digits to search for.", "type a few words")
    assert i18n.labels("vi")["err_query"] in i18n.error_text(english)  # default language: Vietnamese
    assert "The query" not in i18n.error_text(english)


def test_export_list_is_saved_per_session(tmp_path, monkeypatch):
    from indexer.ui import state

    monkeypatch.setattr(state, "session_dir", lambda: tmp_path)
    rows = [ExportRow(citation="c", text="t\uffff =1+1", chunk_id="x").to_dict()]
    state.save_rows("abcdefgh12", rows)
    assert state.load_saved_rows("abcdefgh12") == rows
    assert state.load_saved_rows("../../etc/passwd") == [] and state.session_file("../x") is None
    (tmp_path / "brokenid12.json").write_text("{not json", encoding="utf-8")
    assert state.load_saved_rows("brokenid12") == []


# -- page defects (AppTest on a real index) -------------------------------------------------

@model
def test_export_list_survives_a_reload(env):
    at = start(q="không gian ngầm")
    sid = at.query_params["s"]
    at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("pick:s:1:"))).check()
    rerun(at)
    chosen = at.session_state["export"]
    assert len(chosen) == 1
    again = start(**dict(at.query_params))  # F5: a new session on the same address
    assert again.session_state["export"] == chosen
    assert again.query_params["s"] == sid
    assert again.checkbox(key=next(c.key for c in again.checkbox if c.key.startswith("pick:s:1:"))).value
    fresh = start()  # another visitor starts with an empty list
    assert fresh.session_state["export"] == [] and fresh.query_params["s"] != sid


@model
def test_province_filter_without_diacritics_and_year_filter_counts_undated(env):
    at = start(q="tỷ lệ đô thị hóa")
    box = at.sidebar.multiselect(key="f_province")
    assert "Lâm Đồng" in box.options
    assert "Tên tỉnh" not in box.help and "2025" in box.help  # the merger is explained
    box.set_value(["lam dong"])  # typed without diacritics and Enter
    rerun(at)
    assert at.sidebar.multiselect(key="f_province").value == ["Lâm Đồng"]
    found = cards(at)
    assert found and {field(c, "meta").split(" · ")[-1] for c in found} == {"Lâm Đồng"}


@model
def test_topic_row_selector_follows_the_view_and_table_is_not_clipped(env):
    at = start()
    go(at, "topics")
    document_rows = at.selectbox(key="cell_row:document").options
    at.radio(key="topic_view").set_value("province")
    rerun(at)
    province_rows = at.selectbox(key="cell_row:province").options
    assert set(province_rows).isdisjoint(document_rows)  # no stale row of the other view
    assert all(re.search(r"\(\d+\)$", r) for r in province_rows)
    frame = at.dataframe[0]
    n_topics = len(frame.value.columns)
    assert n_topics >= 10
    columns = json.loads(frame.proto.columns)
    widths = [c.get("width") for name, c in columns.items() if name != "_index"]
    assert len(widths) == n_topics and all(isinstance(w, int) and w >= 80 for w in widths)  # no squeezing
    assert columns["_index"].get("pinned") is True  # row labels stay while the table scrolls sideways
    assert any("kéo ngang" in c.value for c in at.caption)
