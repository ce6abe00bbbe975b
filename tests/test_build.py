"""Incremental, atomic, exclusive builds on the real corpus and the real model.

Every test works on a copy of the session index (`corpus_index`) so that unchanged clauses
keep their vectors and nothing but the changed clauses is embedded again.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from indexer import cli
from indexer.errors import PolicySearchError
from indexer.index import embed
from indexer.index.build import BuildLocked, _hash, build_index
from indexer.search.engine import Filters, SearchEngine
from indexer.index.store import current_version_path, load_index

from conftest import CORPUS, QN_CITY, QN_PLAN, ROOT, SEEDS

QUERIES = ["không gian ngầm đô thị", "tỷ lệ đô thị hóa năm 2030", "nha o xa hoi",
           "chuẩn hóa số liệu chỉ tiêu đô thị"]
# A body clause of the Quảng Ngãi plan (point II.1.a), and a sentence to append to it.
CHANGED_LINE_START = "a) Thực hiện chuẩn hóa các số liệu chỉ tiêu"
ADDED = " Thí điểm tuyến xe buýt điện nối trung tâm với khu kinh tế Dung Quất."


class CachedEmbedder:
    """The real model, except that clause texts already embedded in an index are served from it.

    A vector depends only on (model, text) — that is what the build's own cache relies on —
    so this changes no result, only the time a full rebuild takes in a test.
    """

    def __init__(self, embedder, index_dir: Path):
        self._embedder = embedder
        version = load_index(index_dir)
        self._cache = dict(zip(version.embed_hashes, version.vectors))
        self.embedded: list[str] = []  # texts that really went through the model

    def __getattr__(self, name):
        return getattr(self._embedder, name)

    def encode_passages(self, texts, **kwargs):
        out = np.zeros((len(texts), self._embedder.dim), dtype=np.float32)
        todo = []
        for i, text in enumerate(texts):
            vector = self._cache.get(_hash(text, self._embedder.model_id))
            if vector is None:
                todo.append(i)
            else:
                out[i] = vector
        if todo:
            out[todo] = self._embedder.encode_passages([texts[i] for i in todo], **kwargs)
            self.embedded += [texts[i] for i in todo]
        return out


def copy_index(corpus_index: Path, target: Path) -> Path:
    shutil.copytree(corpus_index, target, ignore=shutil.ignore_patterns("build.lock"))
    return target


def answers(engine: SearchEngine, queries=QUERIES) -> list[list[tuple[str, float]]]:
    return [[(r.chunk_id, r.score) for r in engine.search(q)] for q in queries]


def change_plan(corpus: Path, added: str = ADDED) -> None:
    path = corpus / QN_PLAN
    lines = path.read_text(encoding="utf-8").split("\n")
    (i,) = [n for n, line in enumerate(lines) if line.startswith(CHANGED_LINE_START)]
    lines[i] = lines[i].rstrip() + added
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def index_copy(corpus_index, tmp_path) -> Path:
    return copy_index(corpus_index, tmp_path / "index")


# --------------------------------------------------------------------------- incremental


def test_rebuild_with_nothing_changed_reads_nothing(index_copy, embedder):
    before = current_version_path(index_copy)
    started = time.perf_counter()
    report = build_index(CORPUS, index_copy, embedder)
    elapsed = time.perf_counter() - started
    assert report.up_to_date and report.read_files == [] and report.embedded_chunks == 0
    assert sorted(report.reused_files) == sorted(SEEDS) and report.n_docs == len(SEEDS)
    assert current_version_path(index_copy) == before  # no new version written
    assert elapsed < 5, f"no-change rebuild took {elapsed:.1f} s"


def test_changed_file_is_the_only_one_read_and_only_its_changed_clauses_embedded(
        index_copy, corpus_copy, embedder):
    old = load_index(index_copy)
    change_plan(corpus_copy)
    report = build_index(corpus_copy, index_copy, embedder)
    assert not report.up_to_date
    assert report.read_files == [QN_PLAN]
    assert sorted(report.reused_files) == sorted(set(SEEDS) - {QN_PLAN})
    new = load_index(index_copy)
    fresh = set(new.embed_hashes) - set(old.embed_hashes)
    assert report.embedded_chunks == len(fresh) and 1 <= len(fresh) <= 2
    changed = [c for c, h in zip(new.chunks, new.embed_hashes) if h in fresh]
    assert any(ADDED.strip() in c.text for c in changed)
    # every other document is carried over clause for clause, vectors included
    plan_id = next(d.doc_id for d in new.documents.values() if d.file == QN_PLAN)
    keep = lambda v: [(asdict(c), h) for c, h in zip(v.chunks, v.embed_hashes) if c.doc_id != plan_id]
    assert keep(new) == keep(old)
    rows_old = {h: i for i, h in enumerate(old.embed_hashes)}
    for i, h in enumerate(new.embed_hashes):
        if h in rows_old:
            assert np.array_equal(new.vectors[i], old.vectors[rows_old[h]])
    top = SearchEngine(index_copy, embedder).search("xe buýt điện Dung Quất", k=3)
    assert top[0].doc_id == plan_id and "Dung Quất" in top[0].text


def test_deleted_file_disappears_from_results(index_copy, corpus_copy, embedder):
    engine = SearchEngine(index_copy, embedder)  # opened before the build: must follow it
    query = "thành phố Quảng Ngãi phủ kín quy hoạch phân khu"
    city_id = next(d.doc_id for d in engine.version.documents.values() if d.file == QN_CITY)
    assert city_id in {r.doc_id for r in engine.search(query)}
    (corpus_copy / QN_CITY).unlink()
    report = build_index(corpus_copy, index_copy, embedder)
    assert report.removed_files == [QN_CITY] and report.read_files == []
    assert report.embedded_chunks == 0 and report.n_docs == len(SEEDS) - 1
    for q in [query, *QUERIES]:
        results = engine.search(q, k=20, group_duplicates=False)
        assert results and city_id not in {r.doc_id for r in results}
        assert all(city_id not in {a.doc_id for a in r.also_in} for r in results)
    assert city_id not in engine.version.documents


def test_metadata_csv_correction_is_applied_without_reading_files(index_copy, corpus_copy, embedder):
    old = load_index(index_copy)
    plan = next(d for d in old.documents.values() if d.file == QN_PLAN)
    (corpus_copy / "metadata.csv").write_text(
        f"file,date,signer\n{QN_PLAN},2019-03-04,Nguyễn Văn Sửa\n", encoding="utf-8")
    report = build_index(corpus_copy, index_copy, embedder)
    assert not report.up_to_date and report.read_files == []
    engine = SearchEngine(index_copy, embedder)
    # only clauses whose embedded text shows the corrected fields (the document card of the
    # header clause) are embedded again
    fresh = [c for c, h in zip(engine.version.chunks, engine.version.embed_hashes)
             if h not in set(old.embed_hashes)]
    assert report.embedded_chunks == len(fresh) <= 1 and all(c.doc_id == plan.doc_id for c in fresh)
    fixed = engine.version.documents[plan.doc_id]
    assert (fixed.date, fixed.signer) == ("2019-03-04", "Nguyễn Văn Sửa")
    hits = engine.search("đô thị", k=50, filters=Filters(year_to=2019))
    assert hits and {r.doc_id for r in hits} == {plan.doc_id}
    assert all(r.date == "2019-03-04" for r in hits)
    # removing the correction restores what the document itself says
    (corpus_copy / "metadata.csv").unlink()
    build_index(corpus_copy, index_copy, embedder)
    restored = load_index(index_copy).documents[plan.doc_id]
    assert (restored.date, restored.signer) == (plan.date, plan.signer)


# --------------------------------------------------------------------------- exclusive


def test_second_build_is_refused_while_one_runs(index_copy, embedder, monkeypatch, capsys):
    with FileLock(str(index_copy / "build.lock")):
        with pytest.raises(BuildLocked, match="Another build is running"):
            build_index(CORPUS, index_copy, embedder)
        monkeypatch.setattr(embed, "load_embedder", lambda *a, **k: embedder)
        code = cli.main(["build", str(CORPUS), "--index-dir", str(index_copy)])
        err = capsys.readouterr().err
        assert code != 0
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines == [f"error: Another build is running on {index_copy} — wait for it to finish"]
    assert build_index(CORPUS, index_copy, embedder).up_to_date  # the lock is free again


# --------------------------------------------------------------------------- crash-safe


def test_failed_write_leaves_the_previous_version_live(index_copy, corpus_copy, embedder, monkeypatch):
    import indexer.index.store as store

    engine = SearchEngine(index_copy, embedder)
    before, expected = current_version_path(index_copy), answers(engine)
    (corpus_copy / QN_CITY).unlink()

    def disk_full(path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "_fsync_tree", disk_full)  # every file written, not yet published
    with pytest.raises(PolicySearchError, match="disk full") as caught:
        build_index(corpus_copy, index_copy, embedder)
    assert caught.value.code == "disk_full" and caught.value.hint  # one line with the fix
    assert current_version_path(index_copy) == before
    assert not list((index_copy / "versions").glob(".tmp-*"))  # the attempt is removed at once
    assert answers(SearchEngine(index_copy, embedder)) == expected
    monkeypatch.undo()
    report = build_index(corpus_copy, index_copy, embedder)
    assert report.removed_files == [QN_CITY]
    assert sorted(p.name for p in (index_copy / "versions").iterdir()) == sorted(
        [before.name, report.version])  # the previous version is kept beside the new one


def _build_process(corpus: Path, index_dir: Path) -> tuple[subprocess.Popen, threading.Event]:
    """`python -m indexer build` in a subprocess; the event is set once the build has begun."""
    proc = subprocess.Popen([sys.executable, "-m", "indexer", "build", str(corpus),
                             "--index-dir", str(index_dir)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    started = threading.Event()

    def watch():
        seen = b""
        for chunk in iter(lambda: proc.stderr.read1(4096), b""):
            seen = (seen + chunk)[-200:]
            if b"hash" in seen:  # the model is loaded and the lock taken: the build proper
                started.set()
        started.set()

    threading.Thread(target=watch, daemon=True).start()
    return proc, started


def test_kill_9_during_build_leaves_previous_index_loadable(index_copy, corpus_copy, embedder):
    rng = random.Random(20240601)
    killed = 0
    for trial in range(3):
        change_plan(corpus_copy, f" Thí điểm số {trial}: tuyến xe buýt điện thứ {trial + 1}.")
        before = current_version_path(index_copy)
        expected = answers(SearchEngine(index_copy, embedder))
        proc, started = _build_process(corpus_copy, index_copy)
        assert started.wait(180), "the build did not start"
        # early in the read, later in read / embed, or late (write / publish, or already done)
        time.sleep(rng.uniform(*[(0.0, 0.3), (0.3, 1.2), (1.2, 3.0)][trial]))
        proc.send_signal(signal.SIGKILL)
        code = proc.wait(60)
        if current_version_path(index_copy) == before:
            assert code == -signal.SIGKILL
            killed += 1
            assert answers(SearchEngine(index_copy, embedder)) == expected
        else:  # it had already published: the new version is complete
            assert load_index(index_copy, embedder.model_id).manifest.n_docs == len(SEEDS)
    assert killed >= 1, "every build finished before the kill; nothing was tested"
    report = build_index(corpus_copy, index_copy, embedder)  # the next build completes
    assert report.n_docs == len(SEEDS)
    assert not list((index_copy / "versions").glob(".tmp-*"))
    assert "Thí điểm số 2" in load_index(index_copy).texts[
        next(d.doc_id for d in load_index(index_copy).documents.values() if d.file == QN_PLAN)]


# --------------------------------------------------------------------------- concurrent


def test_searches_during_a_rebuild_see_one_version_or_the_other(index_copy, corpus_copy, embedder):
    engine = SearchEngine(index_copy, embedder)
    before = answers(engine)
    (corpus_copy / QN_CITY).unlink()
    errors: list[BaseException] = []
    seen: list[list[list[tuple[str, float]]]] = []
    done = threading.Event()

    def searcher():
        try:
            while not done.is_set():
                seen.append(answers(engine))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        while len(seen) < 2 and not errors:  # searching is under way
            time.sleep(0.05)
        report = build_index(corpus_copy, index_copy, embedder)
        n_before_switch = len(seen)
        deadline = time.time() + 60
        while len(seen) < n_before_switch + 4 and time.time() < deadline and not errors:
            time.sleep(0.05)  # let every thread run whole rounds on the new version
    finally:
        done.set()
        for t in threads:
            t.join(60)
    assert not errors, errors
    after = answers(SearchEngine(index_copy, embedder))
    assert after != before
    assert engine.version.name == report.version
    for a in seen:
        assert all(x in (b, c) for x, b, c in zip(a, before, after))  # never a mix of versions
    assert before in seen and after in seen
