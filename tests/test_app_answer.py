"""The answer page, driven with AppTest on a real index of corpus/ (helpers: test_app)."""
from __future__ import annotations

import html
import re
from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

from conftest import THUY_NGUYEN
from test_app import cards, env, field, go, model, rerun, start, unmd  # noqa: F401 (env: fixture)


@model
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
    [info] = [unmd(i.value) for i in at.info]
    assert info.startswith("Không tìm thấy câu trả lời trong các văn bản")
    assert not [m for m in at.markdown if 'class="ps-answer"' in m.value]


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key="question").input(question)
    return rerun(at)


@model
def test_answer_kinds_refusal_comparison_and_document_fact(env):
    at = go(start(), "answer")
    # a province with no document in corpus/: refused, naming it; nearest passages kept apart
    ask(at, "Hà Nội phấn đấu tỷ lệ đô thị hóa năm 2030 đạt bao nhiêu?")
    [info] = [unmd(i.value) for i in at.info]
    assert "Hà Nội" in info and "Không có văn bản nào" in info
    assert not [m for m in at.markdown if 'class="ps-answer"' in m.value]
    assert [e.label for e in at.expander if "gần nhất" in unmd(e.label)]
    # a comparison: a table with one row per document, each with a value and a citation
    ask(at, "So sánh mục tiêu tỷ lệ đô thị hóa năm 2030 giữa các tỉnh")
    [table] = [m.value for m in at.markdown if 'class="ps-table"' in m.value]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    assert len(rows) >= 2 and all(value and cite for _, value, cite in rows)
    assert any("74 - 76%" in html.unescape(value) for _, value, _ in rows)
    refs = [int(n) for n in re.findall(r'href="#card-(\d+)"', table)]
    assert set(refs) <= {int(n) for c in cards(at) for n in re.findall(r'id="card-(\d+)"', c)}
    # a document fact: the direct answer line from the record, quoted from the signature block
    ask(at, "Ai ký Kế hoạch 151/KH-UBND?")
    [answer] = [m.value for m in at.markdown if 'class="ps-answer"' in m.value]
    direct = html.unescape(re.search(r'<p class="ps-direct"><b>(.*?)</b></p>', answer).group(1))
    assert direct.startswith("Người ký:") and "151/KH-UBND" in direct
    assert not [m for m in at.markdown if 'class="ps-table"' in m.value]


def test_answer_html_escapes_message_table_and_generated_text():
    from indexer.ui.pages.answer import answer_html, generated_html, table_html

    evil = '<img src=x onerror=alert(1)> ![p](http://h/p.png)'
    reply = SimpleNamespace(message=evil, sentences=[SimpleNamespace(text=evil, citation=evil, ref=3)],
                            results=[])
    rendered = answer_html(reply, n_cards=2) + generated_html(evil) + table_html(
        [{"entity": evil, "value": "không đề cập", "citation": evil, "ref": 1}], n_cards=2)
    assert "<img" not in rendered and "![" not in rendered and "](" not in rendered
    assert "#card-3" not in rendered  # no link to a card that is not on the page
    assert 'href="#card-1"' in rendered and "không đề cập" in rendered


@model
def test_answer_address_is_shareable(env):
    question = "Thủy Nguyên phấn đấu tỷ lệ đô thị hóa năm 2030 đạt bao nhiêu?"
    at = start()
    go(at, "answer")
    at.text_input(key="question").input(question)
    rerun(at)
    assert at.query_params["page"] == "answer" and at.query_params["q"] == question
    shared = start(page="answer", q=question)
    assert shared.text_input(key="question").value == question
    [answer] = [m.value for m in shared.markdown if 'class="ps-answer"' in m.value]
    assert "74 - 76%" in answer
