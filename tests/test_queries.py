"""Hostile queries: each gets sensible results or a clear QueryError, never a traceback —
through the API and through the command line."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from indexer import cli
from indexer.index import embed
from indexer.search.engine import Filters, QueryError

from conftest import ROOT

LONG = ("phát triển đô thị bền vững, quy hoạch không gian ngầm và nhà ở xã hội " * 150)[:10_000]
REFUSED = {  # nothing to search for: a clear message
    "empty": "",
    "spaces": "  \n\t  ",
    "punctuation": "!!! ??? ... ;;; --- /// ((( )))",
    "control characters only": "\x00\x01\x07\x1b\x7f\u200b\u202e",
    "combining marks only": "\u0301\u0300\u0303",
    "none": None,
}
ANSWERED = {  # something to search for: results, not an error
    "10,000 characters": LONG,
    "10,000 letters without a space": "a" * 10_000,
    "10,000 digits": "9" * 10_000,
    "control characters": "\x00không\x1b[31m gian\x07 ngầm\x7f\u202e",
    "SQL": "'; DROP TABLE chunks; -- \" OR 1=1 /* quy hoạch */",
    "regex": r".*(a+)+$ [a-z]{1,1000} \d+ (?i)quy\s+hoạch \\",
    "HTML": "<script>alert('x')</script><b onclick=\"x()\">quy hoạch</b> &lt;đô thị&gt;",
    "format strings": "%s%n{0}{__class__} ${HOME} `rm -rf /` quy hoạch",
    "lone surrogate": "quy ho\ud800ạch đô thị",
    "emoji": "🏙️🚇 đô thị ngầm",
    "other scripts": "城市规划 градостроительство تخطيط đô thị",
    "single letter": "a",
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_nothing_to_search_gives_a_clear_message(engine, name):
    with pytest.raises(QueryError) as info:
        engine.search(REFUSED[name])
    message = str(info.value)
    assert message and "\n" not in message and len(message) < 200


@pytest.mark.parametrize("name", list(ANSWERED))
def test_odd_queries_get_results(engine, name):
    version = engine.version
    results = engine.search(ANSWERED[name], k=10)
    assert len(results) <= 10
    if name != "single letter":
        assert results
    for r in results:
        assert r.text and r.citation and r.doc_id in version.documents
        assert all(0 <= s < e <= len(r.text) for s, e in r.highlights)
        json.dumps(r.to_dict(), ensure_ascii=False)  # serialisable for the CLI and the app
    assert engine.version is version  # nothing was written: the same version, intact


def test_query_text_never_reaches_storage(engine):
    engine.search(ANSWERED["SQL"])
    again = type(engine)(engine.index_dir, engine.embedder)  # reload from disk
    assert len(again.version.chunks) == len(engine.version.chunks)


def test_odd_parameters(engine):
    assert engine.search("quy hoạch", k=0) == [] and engine.search("quy hoạch", k=-5) == []
    assert 0 < len(engine.search("quy hoạch", k=10_000)) <= len(engine.version.chunks)
    assert engine.search("quy hoạch", filters=Filters(provinces=["'; DROP TABLE --", ".*"])) == []
    assert engine.search("quy hoạch", filters=Filters(levels=["%"], doc_types=[""])) == []
    assert engine.search("quy hoạch", filters=Filters(year_from=2030, year_to=2020)) == []
    assert engine.search("quy hoạch", filters=Filters(doc_ids=["../../etc/passwd"])) == []
    with pytest.raises(ValueError, match="unknown search mode"):
        engine.search("quy hoạch", mode="sql")


def test_cli_search_errors_are_one_line(engine, monkeypatch, capsys):
    monkeypatch.setattr(embed, "load_embedder", lambda *a, **k: engine.embedder)
    index = str(engine.index_dir)
    for query in ["!!!", "\x1b\x07\x00", "((((", ""]:
        code = cli.main(["search", query, "--index-dir", index])
        captured = capsys.readouterr()
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), captured
        assert "\x1b" not in captured.err and "Traceback" not in captured.err
    for query in [LONG, ANSWERED["SQL"], ANSWERED["HTML"], "\x1b[2J\x07quy hoạch"]:
        assert cli.main(["search", query, "--index-dir", index, "--json"]) == 0
        out = capsys.readouterr().out
        assert json.loads(out) and "\x1b" not in out


def test_cli_subprocess_batch_of_hostile_queries(engine, tmp_path):
    queries = {**{f"r-{k}": v for k, v in REFUSED.items() if v is not None},
               **{f"a-{k}": v for k, v in ANSWERED.items()}}
    batch = tmp_path / "queries.jsonl"
    batch.write_text("".join(json.dumps({"id": k, "query": v}) + "\n" for k, v in queries.items()),
                     encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "indexer", "search", "--batch", str(batch), "--json",
                           "--index-dir", str(engine.index_dir)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    out = {item["id"]: item for item in map(json.loads, proc.stdout.splitlines())}
    assert set(out) == set(queries)
    for key, item in out.items():
        if key.startswith("r-"):
            assert item["results"] == [] and item["error"]
        elif key != "a-single letter":
            assert item["results"] and "error" not in item


def test_cli_subprocess_empty_query(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "indexer", "search", "", "--index-dir",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_accent_restoration_prefers_frequent_phrases_over_a_rare_longer_one():
    from indexer.text.accents import AccentRestorer

    texts = ["Sở phải báo cáo."] * 10 + ["Tổ chức rà soát định kỳ."] * 10 + ["phái ra nước ngoài"] * 2
    restorer = AccentRestorer(texts)
    assert restorer.restore("phai ra soat") == "phải rà soát"  # not the rare "phái ra" + "soát"
    assert restorer.restore("không gian ngầm") == "không gian ngầm"  # accented queries are kept


def test_question_phrases_are_restored_though_documents_seldom_print_them():
    """Documents state, people ask: "may lan" is "mấy lần" (how many times), not the corpus's "nhà máy"."""
    from indexer.text.accents import AccentRestorer

    texts = ["Xây dựng nhà máy xử lý rác."] * 20 + ["Hỗ trợ một lần cho mỗi hộ."] * 3
    restorer = AccentRestorer(texts)
    assert restorer.restore("ho tro may lan") == "hỗ trợ mấy lần"
    assert restorer.restore("nha may xu ly rac") == "nhà máy xử lý rác"  # a machine where there is one
    assert AccentRestorer.from_tables(*AccentRestorer(texts).tables()).restore("may lan") == "mấy lần"


def test_english_queries_gain_province_names_as_documents_print_them():
    from indexer.search.query import expand_query

    assert "Quảng Bình" in expand_query("flood relief plan of Quang Binh province")
    assert "Hà Nội" in expand_query("social assistance in Hanoi")
    assert expand_query("Kế hoạch của tỉnh Quảng Bình") == "Kế hoạch của tỉnh Quảng Bình"  # already printed
