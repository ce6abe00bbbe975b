"""The page against hostile documents, file names and export rows (helpers: test_app)."""
from __future__ import annotations

import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from indexer.features.export import ExportRow
from test_app import cards, env, field, go, model, rerun, start, unmd  # noqa: F401 (env: fixture)


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory, embedder):
    """A real index of one document whose header and name are Markdown images."""
    from indexer.api import Library

    root = tmp_path_factory.mktemp("hostile")
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir()
    (corpus / "![i](http:127.0.0.1:9:f.png).txt").write_text(
        "UBND TỈNH QUẢNG NGÃI\n![x](http://127.0.0.1:9/p.png)\nKẾ HOẠCH\n"
        "Phát triển đô thị ![t](http://127.0.0.1:9/t.png)\n\nI. MỤC TIÊU\n"
        "1. Phát triển không gian ngầm đô thị ![z](http://127.0.0.1:9/z.png) đến năm 2030.\n"
        "2. Xây dựng 15 công viên chống ngập <img src=x onerror=alert(1)> cho khu dân cư.\n",
        encoding="utf-8")
    for year, place in ((2021, "HÀ TĨNH"), (2024, "LÂM ĐỒNG")):
        (corpus / f"kh-{year}.txt").write_text(
            f"UBND TỈNH {place}\nSố: 1/KH-UBND\n{place.title()}, ngày 2 tháng 3 năm {year}\nKẾ HOẠCH\n"
            f"Phát triển đô thị\n\nI. MỤC TIÊU\n1. Phát triển giao thông công cộng đến năm 2030.\n",
            encoding="utf-8")
    Library(index_dir=index, corpus_dir=corpus).build()
    return index, corpus


@model
def test_year_filter_says_how_many_undated_documents_it_leaves_out(hostile_index, tmp_path, monkeypatch):
    index, corpus = hostile_index
    monkeypatch.setattr("indexer.ui.state.session_dir", lambda: tmp_path)
    monkeypatch.setenv("POLICY_INDEX_DIR", str(index))
    monkeypatch.setenv("POLICY_CORPUS_DIR", str(corpus))
    at = start(q="phát triển đô thị")
    assert {"2021" in field(c, "cite") or "2024" in field(c, "cite") for c in cards(at)} == {True, False}
    assert any("1 văn bản không ghi ngày" in c.value for c in at.sidebar.caption)
    at.sidebar.slider(key="f_years").set_value((2022, 2024))
    rerun(at)
    assert [c.value for c in at.sidebar.caption if "không ghi ngày" in c.value] == [
        "Lọc theo năm bỏ qua 1 văn bản không ghi ngày ban hành."]
    assert cards(at) and all("2024" in field(c, "cite") for c in cards(at))


def rendered_texts(at: AppTest) -> list[str]:
    """Every Markdown source the page sent (markdown, captions, alerts, labels)."""
    out = [e.value for kind in ("markdown", "caption", "warning", "info", "error", "success", "subheader")
           for e in getattr(at, kind)]
    out += [w.label for w in [*at.checkbox, *at.expander, *at.button, *at.text_input, *at.selectbox]]
    return out


def assert_no_live_markup(at: AppTest) -> None:
    for text in rendered_texts(at):
        assert not re.search(r"(?<!\\)!\[", text), text  # no "![" left as Markdown
        assert "<img" not in text and "<svg" not in text, text


@model
def test_document_text_and_file_names_never_render_as_markup(hostile_index, tmp_path, monkeypatch):
    index, corpus = hostile_index
    monkeypatch.setattr("indexer.ui.state.session_dir", lambda: tmp_path)
    live = tmp_path / "corpus"
    shutil.copytree(corpus, live)
    (live / "![n](http:127.0.0.1:9:new.png).md").write_text("KẾ HOẠCH\nI. MỤC TIÊU\n1. Mới.\n", encoding="utf-8")
    monkeypatch.setenv("POLICY_INDEX_DIR", str(index))
    monkeypatch.setenv("POLICY_CORPUS_DIR", str(live))
    at = start(q="không gian ngầm")
    found = cards(at)
    assert found and "![t](http://127.0.0.1:9/t.png)" in field(found[0], "doc")  # shown, as text
    assert_no_live_markup(at)
    at.session_state[at.expander[0].key] = True  # open "show in document"
    rerun(at)
    assert_no_live_markup(at)
    for page in ("topics", "compare", "documents"):
        go(at, page)
        if page == "compare":
            at.text_input(key="cmp_q").input("không gian ngầm")
            rerun(at)
        assert_no_live_markup(at)
    [warning] = [w.value for w in at.warning]
    assert "![n](http:127.0.0.1:9:new.png).md" in unmd(warning)  # the new file is named, as text


@model
def test_export_page_renders_hostile_rows(env, tmp_path, monkeypatch):
    from indexer.ui import state

    monkeypatch.setattr(state, "session_dir", lambda: tmp_path)
    rows = [ExportRow(citation="=HYPERLINK(\"http://x\")", text="＝1+1 \uffff\ufffe tỷ lệ", chunk_id="a",
                      note="![x](http://127.0.0.1:9/p.png)").to_dict(),
            ExportRow(citation="c2", text="- Tỷ lệ đô thị hóa", chunk_id="b").to_dict()]
    state.save_rows("hostile-session", rows)
    at = start(page="export", s="hostile-session")
    listed = [m.value for m in at.markdown if 'class="ps-rank">' in m.value]
    assert len(listed) == 2
    buttons = [b.label for b in at.get("download_button")]
    failed = [c.value for c in at.caption if "Không tạo được tệp" in c.value]
    assert len(buttons) + len(failed) == 5 and "Tải CSV" in buttons
    assert all(len(line.splitlines()) == 1 for line in failed)
    assert_no_live_markup(at)
