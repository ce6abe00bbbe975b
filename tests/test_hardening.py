"""Hostile-review fixes that need no model (issue 15 items 2, 6, 8, 9, 12, 13).

The model-tier counterparts (real builds) are in tests/test_hostile.py.
"""
from __future__ import annotations

import json
import os
import threading
from types import SimpleNamespace

import pytest

from conftest import CORPUS, QN_PLAN
from indexer.errors import IngestError, QueryError
from indexer.features.batch import parse_batch_line, read_batch
from indexer.features.upload import store_uploads, unique_path
from indexer.index.corpus import (TOO_LARGE, assign_doc_ids, corpus_changes, file_sha256, hash_files,
                                  list_corpus)
from indexer.parse.pipeline import parse_file
from indexer.settings import MAX_CLAUSES_PER_DOC

PLAN = (CORPUS / QN_PLAN).read_bytes()


def _finishes(target, seconds: float = 10.0):
    """Run ``target`` in a thread; fail (instead of hanging the suite) if it does not finish."""
    box = {}

    def run():
        try:
            box["value"] = target()
        except BaseException as exc:  # re-raised in the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{target} did not finish in {seconds} s"
    if "error" in box:
        raise box["error"]
    return box.get("value")


# -- item 2: ids ----------------------------------------------------------------------------

def test_new_file_beside_an_indexed_one_never_takes_its_id():
    previous = {"X.txt": "x"}
    names = sorted(["X.txt", "X.docx", "X.md", "x.TXT", "X .txt"])
    ids = assign_doc_ids(names, previous)
    assert ids["X.txt"] == "x"  # the indexed document keeps its id
    assert len(set(ids.values())) == len(names)  # every id unique


def test_ids_stay_stable_as_files_come_and_go():
    first = assign_doc_ids(["a.txt", "b.txt"], {})
    second = assign_doc_ids(["a.docx", "a.txt", "b.txt"], first)
    assert second["a.txt"] == first["a.txt"] and second["b.txt"] == first["b.txt"]
    assert second["a.docx"] not in first.values()


# -- item 6: upload beside a dangling symlink -----------------------------------------------------

def test_upload_beside_a_dangling_symlink_does_not_hang(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    os.symlink(tmp_path / "nowhere.md", corpus / "ke-hoach.md")
    assert unique_path(corpus, "ke-hoach.md").name == "ke-hoach-2.md"
    report = _finishes(lambda: store_uploads([("ke-hoach.md", PLAN)], corpus))
    assert report.saved == ["ke-hoach-2.md"]
    assert os.path.islink(corpus / "ke-hoach.md")  # the link is left alone
    assert (corpus / "ke-hoach-2.md").read_bytes() == PLAN


# -- item 9: FIFOs and other non-regular files ------------------------------------------------------

def test_a_fifo_named_txt_is_never_opened(tmp_path):
    (tmp_path / "a.txt").write_bytes(PLAN)
    os.mkfifo(tmp_path / "pipe.txt")
    files, skipped = list_corpus(tmp_path)
    hashes = _finishes(lambda: hash_files(files, skipped))
    assert set(hashes) == {"a.txt"}
    assert any(s.file == "pipe.txt" and "regular" in s.reason for s in skipped)
    with pytest.raises(OSError):
        _finishes(lambda: file_sha256(tmp_path / "pipe.txt"))  # even when asked directly
    changes = _finishes(lambda: corpus_changes(tmp_path, SimpleNamespace(files={"a.txt": hashes["a.txt"]},
                                                                         skipped=[])))
    assert not changes  # a FIFO is not a corpus change either


# -- items 7 and 8: files above the size limit ----------------------------------------------------

def test_a_too_large_file_has_a_stand_in_identity_and_is_not_read(tmp_path, monkeypatch):
    from indexer.index import corpus as corpus_module

    (tmp_path / "big.txt").write_bytes(PLAN * 4)
    monkeypatch.setattr(corpus_module, "MAX_FILE_BYTES", len(PLAN))
    read = []
    files, skipped = list_corpus(tmp_path)
    hashes = hash_files(files, skipped, hasher=lambda p: read.append(p) or file_sha256(p))
    assert hashes["big.txt"].startswith(TOO_LARGE) and read == [] and not skipped
    # once a build recorded it as skipped, the page's staleness check stays quiet …
    manifest = SimpleNamespace(files={}, skipped=[{"file": "big.txt", "reason": "file too large",
                                                   "sha256": hashes["big.txt"]}])
    assert not corpus_changes(tmp_path, manifest)
    # … also when it is a document indexed before it grew (the build keeps that version)
    manifest = SimpleNamespace(files={"big.txt": "0" * 64}, skipped=manifest.skipped)
    assert not corpus_changes(tmp_path, manifest)
    # … and rewriting it is a change again
    (tmp_path / "big.txt").write_bytes(PLAN)
    assert corpus_changes(tmp_path, manifest).changed == ["big.txt"]


# -- item 12: search --batch ------------------------------------------------------------------------

def test_batch_lines():
    assert parse_batch_line('{"id": "a", "query": "nhà ở"}', 1).query == "nhà ở"
    assert parse_batch_line('{"q": "nhà ở"}', 2).query == "nhà ở"
    assert parse_batch_line('{"q": "nhà ở"}', 2).id == 2
    assert parse_batch_line('"nhà ở xã hội"', 3).query == "nhà ở xã hội"
    for line, fragment in [('["a", "b"]', "an array"), ('{"query": ', "not valid JSON"),
                           ('{"text": "x"}', 'no "query" field'), ('{"query": 5}', "not text"),
                           ("42", "a number"), ("null", "null")]:
        item = parse_batch_line(line, 7)
        assert item.query is None and item.error.startswith("line 7: ") and fragment in item.error
        assert '"query"' in item.error  # says what is expected


def test_batch_file_keeps_going_after_a_bad_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": 1, "query": "a"}\n[1]\n\n{bad\n{"q": "b"}\n', encoding="utf-8")
    items = list(read_batch(path))
    assert [i.line for i in items] == [1, 2, 4, 5]
    assert [i.query for i in items] == ["a", None, None, "b"]
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(QueryError):
        list(read_batch(path))
    with pytest.raises(QueryError):
        list(read_batch(tmp_path / "missing.jsonl"))


# -- item 13: clauses per document ------------------------------------------------------------------

def test_clause_cap_refuses_a_huge_document_with_a_clear_message(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_bytes(PLAN)
    n = len(parse_file(path, "plan").chunks)
    with pytest.raises(IngestError) as info:
        parse_file(path, "plan", max_clauses=n - 1)
    assert f"too many clauses ({n} > {n - 1} limit)" in info.value.reason
    assert "split" in info.value.reason
    assert MAX_CLAUSES_PER_DOC == 5000


def test_a_document_beyond_the_default_cap_is_refused_before_segmentation(tmp_path):
    lines = ["KẾ HOẠCH", "Phát triển đô thị", "I. Nhiệm vụ"]
    lines += [f"{i}. Nhiệm vụ số {i}: rà soát quy hoạch đô thị, phát triển nhà ở xã hội và hạ tầng "
              f"giao thông công cộng tại địa bàn số {i} của tỉnh, hoàn thành trước năm 2030."
              for i in range(1, MAX_CLAUSES_PER_DOC + 200)]
    path = tmp_path / "huge.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(IngestError) as info:
        parse_file(path, "huge")
    assert "too many clauses" in info.value.reason
