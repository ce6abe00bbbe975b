"""Real builds against the hostile-review cases (issue 15): the model tier of tests/test_hardening.py
and tests/test_damage.py. One small document is embedded once; later builds take its vectors
from that index (test_build.CachedEmbedder: same model, same vectors, less time)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from indexer.cli import main
from indexer.errors import CorrectionsError
from indexer.index import build as build_module
from indexer.index.build import build_index
from indexer.index.corpus import corpus_changes
from indexer.index.damage import DiskFull
from indexer.index.store import load_index
from test_build import CachedEmbedder
from test_damage import DOC, STATES, _fill, damage, small_disk  # noqa: F401 (fixture)
from tests.filegen import write_docx

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def base(tmp_path_factory, embedder):
    """A corpus of one small document and its index, built with the real model."""
    root = tmp_path_factory.mktemp("hostile-builds")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "ke-hoach.txt").write_text(DOC, encoding="utf-8")
    build_index(corpus, root / "index", embedder)
    return corpus, root / "index"


@pytest.fixture
def copy(base, tmp_path, embedder):
    """A private copy of the corpus and index, and an embedder serving the base's vectors."""
    corpus, index = base
    shutil.copytree(corpus, tmp_path / "corpus")
    shutil.copytree(index, tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index", CachedEmbedder(embedder, index)


def _finishes(target, seconds: float = 300.0):
    box = {}
    thread = threading.Thread(target=lambda: box.update(value=target()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the build hangs"
    return box["value"]


def test_same_stem_and_case_variants_keep_ids_stable(copy):
    corpus, index, embedder = copy
    before = load_index(index)
    old_id = next(iter(before.documents))
    write_docx(DOC, corpus / "ke-hoach.docx")
    (corpus / "ke-hoach.md").write_text(DOC.replace("2030", "2035"), encoding="utf-8")
    (corpus / "Ke-Hoach.TXT").write_text(DOC.replace("2030", "2040"), encoding="utf-8")
    report = build_index(corpus, index, embedder)
    assert report.n_docs == 4
    after = load_index(index)
    ids = {m.file: m.doc_id for m in after.documents.values()}
    assert ids["ke-hoach.txt"] == old_id and len(set(ids.values())) == 4
    assert not list((index / "versions").glob(".tmp-*"))
    assert build_index(corpus, index, embedder).up_to_date  # and the next build is clean


def test_a_fifo_in_the_corpus_does_not_hang_the_build(copy):
    corpus, index, embedder = copy
    os.mkfifo(corpus / "pipe.txt")
    report = _finishes(lambda: build_index(corpus, index, embedder))
    assert any(s.file == "pipe.txt" and "regular" in s.reason for s in report.skipped)
    assert report.n_docs == 1


def test_a_file_grown_past_the_limit_keeps_its_indexed_version(copy):
    corpus, index, embedder = copy
    before = load_index(index)
    with open(corpus / "ke-hoach.txt", "ab") as handle:  # now 51 MB: never read
        handle.truncate(51 * 2**20)
    report = build_index(corpus, index, embedder)
    assert report.n_docs == 1 and any("too large" in s.reason for s in report.skipped)
    after = load_index(index)
    meta = next(iter(after.documents.values()))
    assert [c.text for c in after.chunks] == [c.text for c in before.chunks]
    assert any("kept the previously indexed version" in w for w in meta.warnings)
    assert not corpus_changes(corpus, after.manifest)  # the page's warning is cleared by that build
    again = build_index(corpus, index, embedder)
    assert again.up_to_date
    assert sum("kept the previously" in w for w in next(iter(load_index(index).documents.values())).warnings) == 1


def test_a_new_file_past_the_limit_is_reported_once_and_not_stale(copy):
    corpus, index, embedder = copy
    with open(corpus / "big.txt", "wb") as handle:
        handle.truncate(51 * 2**20)
    changes = corpus_changes(corpus, load_index(index).manifest)
    assert not changes and changes.too_large == ["big.txt"]
    report = build_index(corpus, index, embedder)
    assert any(s.file == "big.txt" and "too large" in s.reason for s in report.skipped)
    assert not corpus_changes(corpus, load_index(index).manifest)
    assert build_index(corpus, index, embedder).up_to_date


@pytest.mark.parametrize("state", [s for s in STATES if s != "index_file"])
def test_build_repairs_every_damaged_state(copy, state):
    corpus, index, embedder = copy
    damage(index, state)
    report = build_index(corpus, index, embedder)
    assert not report.up_to_date and report.n_docs == 1
    assert load_index(index).manifest.n_chunks == report.n_chunks
    assert not embedder.embedded  # vectors reused: nothing re-embedded in this test


def test_build_into_a_file_says_how_to_fix_it(copy, capsys):
    corpus, index, _ = copy
    damage(index, "index_file")
    assert main(["build", str(corpus), "--index-dir", str(index)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--index-dir" in err and index.read_text() == "x"  # nothing lost


def test_disk_full_build_cleans_up_and_says_so(small_disk, base, embedder):
    corpus, source = base
    index = small_disk / "index"
    shutil.copytree(source, index)
    live = load_index(index).path
    cached = CachedEmbedder(embedder, source)
    (corpus.parent / "corpus-b").mkdir(exist_ok=True)
    other = corpus.parent / "corpus-b"
    (other / "ke-hoach.txt").write_text(DOC.replace("2030", "2031"), encoding="utf-8")
    filler = _fill(small_disk, 16 * 1024)
    with pytest.raises(DiskFull) as info:
        build_index(other, index, cached)
    assert "disk full" in str(info.value)
    assert not list((index / "versions").glob(".tmp-*"))
    assert load_index(index).path == live
    filler.unlink()
    assert not build_index(other, index, cached).up_to_date


def test_invalid_correction_date_stops_the_build_naming_row_and_column(copy):
    corpus, index, embedder = copy
    (corpus / "metadata.csv").write_text("file,date\nke-hoach.txt,22/9/2022\n", encoding="utf-8")
    build_index(corpus, index, embedder)
    meta = next(iter(load_index(index).documents.values()))
    assert meta.date == "2022-09-22" and meta.year == 2022
    (corpus / "metadata.csv").write_text("file,date\nke-hoach.txt,31/2/2022\n", encoding="utf-8")
    with pytest.raises(CorrectionsError) as info:
        build_index(corpus, index, embedder)
    assert "dòng 2" in str(info.value) and "cột date" in str(info.value)


def test_embedding_progress_is_reported_in_steps(copy, monkeypatch):
    corpus, index, embedder = copy
    (corpus / "ke-hoach.txt").write_text(DOC.replace("2030", "2036"), encoding="utf-8")
    monkeypatch.setattr(build_module, "EMBED_STEP", 2)
    seen = []
    build_index(corpus, index, embedder, progress=lambda stage, done, total: seen.append((stage, done, total)),
                force=True)
    steps = [done for stage, done, _ in seen if stage == "embed"]
    assert len(steps) >= 3 and steps == sorted(steps) and steps[0] == 0


def test_search_batch_with_bad_lines(base, capsys, tmp_path):
    _, index = base
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "query": "nhà ở xã hội"}\n["x"]\n{bad\n{"q": "quy hoạch"}\n{"text": 1}\n',
                     encoding="utf-8")
    assert main(["search", "--batch", str(batch), "--index-dir", str(index)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, 3, 4, 5]
    assert out[0]["results"] and out[3]["results"]
    assert [o.get("error", "")[:7] for o in out] == ["", "line 2:", "line 3:", "", "line 5:"]


def test_disk_full_through_the_cli_is_one_line_on_its_own(small_disk, base, tmp_path, capsys):
    corpus, source = base
    index = small_disk / "index"
    shutil.copytree(source, index)
    other = tmp_path / "corpus"
    other.mkdir()
    (other / "ke-hoach.txt").write_text(DOC.replace("2030", "2032"), encoding="utf-8")
    _fill(small_disk, 16 * 1024)
    assert main(["build", str(other), "--index-dir", str(index)]) == 2
    lines = capsys.readouterr().err.replace("\r", "\n").splitlines()
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith("error: ") and "disk full" in errors[0]
    assert not list((index / "versions").glob(".tmp-*"))


HOSTILE_DOC = ("KẾ HOẠCH\nPhát triển đô thị bền vững\nI. Mục tiêu\n"
               "1. Tỷ lệ đô thị hóa đạt 60%\uffff vào năm 2030, ![x](http://evil.example/p.png) phủ kín quy hoạch.\n"
               "=HYPERLINK(\"http://evil.example\",\"bấm vào đây để xem quy hoạch đô thị\")\n"
               "＝1+1 phát triển nhà ở xã hội cho công nhân tại các khu công nghiệp\n"
               "- Phát triển hạ tầng giao thông công cộng và không gian ngầm đô thị\n")


def test_export_of_a_hostile_document_in_all_five_formats(tmp_path, embedder, capsys):
    """U+FFFF and formula-like lines in an indexed document: every format is written, no formula live."""
    import csv
    import io

    from docx import Document
    from openpyxl import load_workbook

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "hostile.txt").write_text(HOSTILE_DOC, encoding="utf-8")
    index = tmp_path / "index"
    build_index(corpus, index, embedder)
    signs = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
    for fmt in ("csv", "xlsx", "docx", "md", "json"):
        out = tmp_path / f"out.{fmt}"
        assert main(["export", "đô thị nhà ở quy hoạch", "--format", fmt, "--out", str(out),
                     "--index-dir", str(index), "--k", "10"]) == 0, capsys.readouterr().err
        data = out.read_bytes()
        assert data
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
            for row in rows:
                assert not any(cell.lstrip(" ").startswith(signs) for cell in row), row
            assert any(cell.startswith(("'=HYPERLINK", "'＝1+1")) for row in rows for cell in row)
        elif fmt == "xlsx":
            prefixed = 0
            for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2):
                for cell in row:
                    if cell.value is not None:
                        assert cell.data_type == "s"
                        if str(cell.value).lstrip(" ").startswith(signs):
                            assert cell.quotePrefix
                            prefixed += 1
            assert prefixed
        elif fmt == "docx":
            assert Document(io.BytesIO(data)).paragraphs
        elif fmt == "md":
            assert "](http://evil" not in data.decode("utf-8")
        else:
            assert isinstance(json.loads(data), list)
