"""indexer.api.Library on the real index, and the CLI commands that go through it
(compare, export), plus the fast parts (no index, facets of parsed documents)."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile

import pytest

from indexer import cli
from indexer.api import Library, facets_of
from indexer.errors import IndexMissing, NotFound, QueryError
from indexer.index import embed
from indexer.records import Filters
from indexer.text.normalize import fold

from conftest import CORPUS, LAM_DONG, QN_CITY, QN_PLAN, ROOT, SEEDS

# -- fast: no index, or parsed documents only -----------------------------------------------------


def test_a_library_is_cheap_to_make():
    code = ("import sys; from indexer.api import Library; Library(); "
            "heavy = {'torch', 'sentence_transformers', 'faiss', 'bm25s', 'underthesea', 'streamlit'}; "
            "assert not heavy & set(sys.modules), heavy & set(sys.modules)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_status_without_an_index_lists_the_corpus_as_new(tmp_path):
    status = Library(index_dir=tmp_path / "none", corpus_dir=CORPUS).status()
    assert not status.exists and isinstance(status.problem, IndexMissing)
    assert sorted(status.changes.added) == sorted(SEEDS) and status.stale
    with pytest.raises(IndexMissing):
        Library(index_dir=tmp_path / "none").documents()


def test_facets_of_parsed_documents(parsed):
    metas = [p.meta for p in parsed.values()]
    facets = facets_of(metas)
    names = [p.name for p in facets.provinces]
    assert {"Quảng Ngãi", "Lâm Đồng", "Hà Tĩnh"} <= set(names)
    assert names == sorted(names, key=fold)  # accent-insensitive order
    qn = next(p for p in facets.provinces if p.name == "Quảng Ngãi")
    assert qn.n_docs == 2
    assert facets.n_docs == 5 and facets.year_min <= 2022 <= facets.year_max
    assert facets.n_undated == sum(1 for m in metas if m.year is None)
    assert parsed[QN_CITY].meta.year == 2022  # a draft: blank date, year kept as a field
    assert set(facets.levels) >= {"tỉnh", "thành phố"}


# -- model tier: the real index ------------------------------------------------------------------

@pytest.mark.model
def test_status_of_a_fresh_index(library):
    status = library.status()
    assert status.exists and status.problem is None and not status.stale
    assert status.n_docs == 5 and status.n_chunks == sum(d.n_chunks for d in library.documents())


@pytest.mark.model
def test_documents_chunks_and_context(library):
    docs = {d.file: d for d in library.documents()}
    plan = docs[QN_PLAN]
    chunks = library.chunks(plan.doc_id)
    assert chunks and [c.ordinal for c in chunks] == sorted(c.ordinal for c in chunks)
    ctx = library.context(chunks[5].chunk_id, before=1, after=1)
    assert ctx.chunk == chunks[5] and ctx.before == [chunks[4]] and ctx.after == [chunks[6]]
    with pytest.raises(NotFound):
        library.chunks("nope")
    with pytest.raises(NotFound):
        library.context("nope:1")


@pytest.mark.model
def test_search_filters_and_year(library):
    results = library.search("không gian ngầm", k=5, filters=Filters(provinces=["lam dong"]))
    assert results and {r.file for r in results} == {LAM_DONG}
    undated = [d for d in library.documents() if d.year is None]
    dated = library.search("quy hoạch", k=50, filters=Filters(year_from=1900), group=False)
    assert not {r.doc_id for r in dated} & {d.doc_id for d in undated}
    with pytest.raises(QueryError):
        library.search("!!!")


@pytest.mark.model
def test_compare_by_province_and_document(library):
    rows = library.compare("không gian ngầm", by="province")
    groups = [r.group for r in rows]
    assert set(groups) == {d.province or "?" for d in library.documents()}
    assert groups == sorted(groups, key=lambda n: (n == "?", fold(n)))
    assert all(r.best is None or r.best.doc_id in r.doc_ids for r in rows)
    by_doc = library.compare("không gian ngầm", by="document")
    assert len(by_doc) == 5 and all(len(r.doc_ids) == 1 for r in by_doc)
    with pytest.raises(QueryError):
        library.compare("x", by="region")


@pytest.mark.model
def test_coverage_phrases_only_and_semantic(library):
    phrases = library.coverage(["underground_space"], semantic=False)
    assert not phrases.semantic and {c.topic for c in phrases.cells} == {"underground_space"}
    assert any(c.mentioned for c in phrases.cells)
    rollup = phrases.rollup()
    assert sum(len(r["documents"]) for r in rollup) == 5
    with pytest.raises(NotFound):
        library.coverage(["no_such_topic"])


@pytest.fixture
def shared_model(monkeypatch, embedder):
    """The CLI in this process reuses the session's loaded model."""
    monkeypatch.setattr(embed, "load_embedder", lambda *a, **k: embedder)


@pytest.mark.model
def test_cli_compare_json(corpus_index, shared_model, capsys):
    assert cli.main(["compare", "không gian ngầm", "--by", "province", "--json",
                     "--index-dir", str(corpus_index)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["by"] == "province" and data["rows"]
    row = data["rows"][0]
    assert set(row) == {"group", "doc_ids", "results"} and row["results"][0]["citation"]
    assert cli.main(["compare", "không gian ngầm", "--by", "document", "--province", "Quảng Ngãi",
                     "--index-dir", str(corpus_index)]) == 0
    out = capsys.readouterr().out
    assert out.count("document(s))") == 2


@pytest.mark.model
def test_cli_export_writes_every_format(corpus_index, shared_model, capsys, tmp_path):
    for fmt in ("csv", "xlsx", "docx", "md", "json"):
        out = tmp_path / f"x.{fmt}"
        assert cli.main(["export", "không gian ngầm", "--format", fmt, "--out", str(out), "--k", "3",
                         "--index-dir", str(corpus_index)]) == 0
        assert "exported 3 clause(s)" in capsys.readouterr().out
        data = out.read_bytes()
        assert data
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
            assert len(rows) == 3 and all(r["citation"] for r in rows)
        elif fmt == "json":
            rows = json.loads(data)
            assert len(rows) == 3 and rows[0]["note"] == "tìm kiếm: không gian ngầm"
        elif fmt in ("xlsx", "docx"):
            assert zipfile.is_zipfile(io.BytesIO(data))
        else:
            assert data.decode("utf-8").count("\n") > 3
    code = cli.main(["export", "x", "--format", "csv", "--out", str(tmp_path / "no" / "x.csv"),
                     "--index-dir", str(corpus_index)])
    assert code == 2 and capsys.readouterr().err.startswith("error: ")


@pytest.mark.model
def test_listing_commands_load_no_heavy_library(corpus_index):
    """docs, chunks and topics --no-semantic read the catalogue: no torch, FAISS, BM25 or segmenter."""
    docs = json.loads(subprocess.run([sys.executable, "-m", "indexer", "docs", "--json", "--index-dir",
                                      str(corpus_index)], cwd=ROOT, capture_output=True, text=True,
                                     check=True).stdout)
    code = (
        "import sys, io, contextlib; from indexer import cli\n"
        f"where = ['--index-dir', {str(corpus_index)!r}]\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert cli.main(['docs', '--json', *where]) == 0\n"
        f"    assert cli.main(['chunks', {docs[0]['doc_id']!r}, '--json', *where]) == 0\n"
        "    assert cli.main(['topics', '--no-semantic', '--json', *where]) == 0\n"
        "heavy = {'torch', 'sentence_transformers', 'faiss', 'bm25s', 'underthesea', 'streamlit', 'openpyxl',"
        " 'docx', 'pypdf'} & set(sys.modules)\n"
        "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
