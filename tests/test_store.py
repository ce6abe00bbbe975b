"""The on-disk index: version layout, atomic pointer, and clear errors (never a traceback) for
a missing, mismatched or damaged index — each saying how to rebuild.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.index.build import build_index
from indexer.search.engine import SearchEngine
from indexer.index.store import (FORMAT_VERSION, IndexCorrupt, IndexMismatch, IndexMissing, IndexProblem,
                           current_version_path, load_index, read_manifest)

from conftest import CORPUS, ROOT, SEEDS
from test_build import CachedEmbedder, answers, copy_index

HINT = "Rebuild it with: python -m indexer build --index-dir"


@pytest.fixture
def index_copy(corpus_index, tmp_path) -> Path:
    return copy_index(corpus_index, tmp_path / "index")


def live(index_dir: Path) -> Path:
    return current_version_path(index_dir)


def edit_manifest(index_dir: Path, **changes) -> None:
    path = live(index_dir) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def truncate(path: Path, fraction: float = 0.5) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(int(path.stat().st_size * fraction))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indexer", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


# --------------------------------------------------------------------------- layout


def test_layout_of_a_version(corpus_index, embedder):
    path = live(corpus_index)
    assert (corpus_index / "CURRENT").read_text(encoding="utf-8") == path.name
    assert {p.name for p in path.iterdir()} >= {"manifest.json", "index.sqlite", "dense.faiss", "bm25"}
    manifest = read_manifest(path)
    assert manifest.format_version == FORMAT_VERSION and manifest.model_id == embedder.model_id
    assert sorted(manifest.files) == sorted(SEEDS)
    assert not list((corpus_index / "versions").glob(".tmp-*"))
    assert not list(corpus_index.glob("CURRENT.*"))
    version = load_index(corpus_index, embedder.model_id)
    assert version.dense.ntotal == len(version.chunks) == manifest.n_chunks
    assert version.vectors.shape == (manifest.n_chunks, manifest.dim)


def test_a_new_version_switches_atomically_and_keeps_the_previous_one(index_copy, corpus_copy, embedder):
    before = live(index_copy)
    (corpus_copy / SEEDS[0]).unlink()
    report = build_index(corpus_copy, index_copy, embedder)
    assert live(index_copy).name == report.version != before.name
    assert before.exists() and load_index(index_copy).manifest.n_docs == len(SEEDS) - 1
    # a third version prunes the first; the live one and the one before stay
    (corpus_copy / SEEDS[1]).unlink()
    second = build_index(corpus_copy, index_copy, embedder)
    names = sorted(p.name for p in (index_copy / "versions").iterdir())
    assert names == sorted([report.version, second.version]) and not before.exists()


# --------------------------------------------------------------------------- mismatches


def test_index_of_another_model_is_refused_with_how_to_rebuild(index_copy, embedder):
    edit_manifest(index_copy, model_id="bkai-foundation-models/vietnamese-bi-encoder@fp32")
    with pytest.raises(IndexMismatch) as info:
        SearchEngine(index_copy, embedder)
    message = str(info.value)
    assert "vietnamese-bi-encoder" in message and embedder.model_id in message
    assert "python -m indexer build --index-dir" in message and "--model" in message
    load_index(index_copy)  # without a model to check against, it still opens (docs, chunks)


def test_index_of_another_format_version_is_refused(index_copy, embedder):
    edit_manifest(index_copy, format_version=FORMAT_VERSION + 1)
    with pytest.raises(IndexMismatch) as info:
        load_index(index_copy, embedder.model_id)
    assert f"format version {FORMAT_VERSION + 1}" in str(info.value) and HINT in str(info.value)


def _damage(index_dir: Path, how: str) -> None:
    version = live(index_dir)
    if how == "truncated dense.faiss":
        truncate(version / "dense.faiss")
    elif how == "empty dense.faiss":
        truncate(version / "dense.faiss", 0)
    elif how == "truncated index.sqlite":
        truncate(version / "index.sqlite")
    elif how == "garbage index.sqlite":
        (version / "index.sqlite").write_bytes(os.urandom(8192))
    elif how == "missing index.sqlite":
        (version / "index.sqlite").unlink()
    elif how == "truncated manifest":
        truncate(version / "manifest.json")
    elif how == "manifest with unknown fields":
        edit_manifest(index_dir, surprise=1)
    elif how == "truncated bm25":
        for path in (version / "bm25").iterdir():
            truncate(path)
    elif how == "missing bm25":
        shutil.rmtree(version / "bm25")
    elif how == "fewer clauses than the manifest says":
        edit_manifest(index_dir, n_chunks=read_manifest(version).n_chunks + 1)
    elif how == "CURRENT points outside":
        (index_dir / "CURRENT").write_text("../../etc", encoding="utf-8")
    elif how == "CURRENT empty":
        (index_dir / "CURRENT").write_text("", encoding="utf-8")
    else:
        raise AssertionError(how)


DAMAGES = ["truncated dense.faiss", "empty dense.faiss", "truncated index.sqlite",
           "garbage index.sqlite", "missing index.sqlite", "truncated manifest",
           "manifest with unknown fields", "truncated bm25", "missing bm25",
           "fewer clauses than the manifest says", "CURRENT points outside", "CURRENT empty"]


@pytest.mark.parametrize("how", DAMAGES)
def test_damaged_index_gives_a_clear_error_with_how_to_rebuild(index_copy, embedder, how):
    _damage(index_copy, how)
    with pytest.raises(IndexCorrupt) as info:
        load_index(index_copy, embedder.model_id)
    assert HINT in str(info.value)
    with pytest.raises(IndexCorrupt):
        SearchEngine(index_copy, embedder)


def test_missing_index(tmp_path, embedder):
    with pytest.raises(IndexMissing) as info:
        SearchEngine(tmp_path / "nowhere", embedder)
    assert "No index found" in str(info.value) and HINT in str(info.value)


def test_cli_prints_one_error_line_not_a_traceback(index_copy, tmp_path):
    truncate(live(index_copy) / "index.sqlite")
    for args in (["docs", "--index-dir", str(index_copy)],
                 ["chunks", "some-doc", "--index-dir", str(index_copy)],
                 ["docs", "--index-dir", str(tmp_path / "nowhere")]):
        proc = cli(*args)
        assert proc.returncode == 2, proc.stderr
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and HINT in lines[0], proc.stderr
        assert "Traceback" not in proc.stderr and proc.stdout == ""
    edit_manifest(index_copy, format_version=99)
    proc = cli("docs", "--index-dir", str(index_copy), "--json")
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "format version 99" in proc.stderr


# --------------------------------------------------------------------------- recovery


def test_engine_keeps_serving_its_version_when_a_damaged_one_is_published(index_copy, embedder):
    engine = SearchEngine(index_copy, embedder)
    expected = answers(engine, ["không gian ngầm"])
    good = live(index_copy)
    broken = good.parent / "v99999999-000000-broken"
    shutil.copytree(good, broken)
    truncate(broken / "dense.faiss")
    (index_copy / "CURRENT").write_text(broken.name, encoding="utf-8")
    assert answers(engine, ["không gian ngầm"]) == expected
    assert engine.version.path == good


def test_build_over_a_damaged_index_rebuilds_it(index_copy, embedder):
    cached = CachedEmbedder(embedder, index_copy)  # vectors read before the damage
    truncate(live(index_copy) / "dense.faiss")
    report = build_index(CORPUS, index_copy, cached)
    assert sorted(report.read_files) == sorted(SEEDS) and not report.up_to_date
    version = load_index(index_copy, embedder.model_id)
    assert version.manifest.n_docs == len(SEEDS) and version.dense.ntotal == len(version.chunks)
    assert SearchEngine(index_copy, embedder).search("không gian ngầm")
