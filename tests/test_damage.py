"""Damaged index folders and full disks (issue 15 items 5 and 10).

Fast tier: a real index written by the store (a real document parsed without the model, with
random unit vectors) is damaged in each of the reported ways; every command then prints one
line with the fix and exits with code 2. Model tier: ``build`` repairs each state, and a build
on a full (2 MB tmpfs) disk says "disk full", leaves no ``.tmp-*`` and keeps the live version.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from indexer.cli import main
from indexer.errors import IndexCorrupt, PolicySearchError
from indexer.index.build import parse_file
from indexer.index.damage import DiskFull, is_disk_full
from indexer.index.store import FORMAT_VERSION, Manifest, StoredChunk, load_index, write_version

DOC = ("KẾ HOẠCH\nPhát triển đô thị bền vững giai đoạn 2025 - 2030\nI. Mục tiêu\n"
       "1. Nâng cao chất lượng quy hoạch đô thị và phát triển hạ tầng xanh trên địa bàn tỉnh.\n"
       "2. Phát triển nhà ở xã hội cho công nhân và người thu nhập thấp tại các khu công nghiệp.\n"
       "II. Nhiệm vụ\n1. Rà soát quy hoạch chung đô thị, bổ sung không gian ngầm và giao thông công cộng.\n")


def _write_small_index(index_dir: Path, corpus: Path, dim: int = 8) -> Path:
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "ke-hoach.txt").write_text(DOC, encoding="utf-8")
    parsed = parse_file(corpus / "ke-hoach.txt", "ke-hoach")
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(parsed.chunks), dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    stored = [StoredChunk(c, c.segmented.lower().split(), f"h{i}") for i, c in enumerate(parsed.chunks)]
    manifest = Manifest(format_version=FORMAT_VERSION, model_id="test", model_name="test", dim=dim,
                        query_prompt="", passage_prompt="", index_type="flat", embed_template="",
                        files={parsed.meta.file: parsed.meta.sha256}, corrections_sha256=None, n_docs=1,
                        n_chunks=len(stored), built_at="")
    return write_version(index_dir, manifest, [parsed.meta], {"ke-hoach": asdict(parsed.meta)},
                         {"ke-hoach": parsed.text}, stored, vectors)


def _edit_manifest(version: Path, **changes) -> None:
    path = version / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def damage(index_dir: Path, state: str) -> None:
    """Put ``index_dir`` into one of the damaged states the hostile review found."""
    version = index_dir / "versions" / (index_dir / "CURRENT").read_text().strip()
    if state == "manifest_list":
        (version / "manifest.json").write_text("[]")
    elif state == "current_dir":
        (index_dir / "CURRENT").unlink()
        (index_dir / "CURRENT").mkdir()
    elif state == "current_binary":
        (index_dir / "CURRENT").write_bytes(bytes(range(256)))
    elif state == "files_null":
        _edit_manifest(version, files=None)
    elif state == "skipped_x":
        _edit_manifest(version, skipped="x")
    elif state == "bm25_params":
        (version / "bm25" / "params.index.json").write_text("{}")
    elif state == "bm25_num_docs":
        params = json.loads((version / "bm25" / "params.index.json").read_text())
        (version / "bm25" / "params.index.json").write_text(json.dumps({**params, "num_docs": 1}))
    elif state == "versions_file":
        shutil.rmtree(index_dir / "versions")
        (index_dir / "versions").write_text("x")
    elif state == "index_file":
        shutil.rmtree(index_dir)
        index_dir.write_text("x")
    else:
        raise AssertionError(state)


STATES = ["manifest_list", "current_dir", "current_binary", "files_null", "skipped_x", "bm25_params",
          "bm25_num_docs", "versions_file", "index_file"]


BM25_STATES = {"bm25_params", "bm25_num_docs"}  # docs/chunks read the catalogue, not BM25


@pytest.mark.parametrize("state", STATES)
def test_every_damaged_state_is_one_line_with_the_fix(state, tmp_path, capsys):
    index_dir = tmp_path / "index"
    _write_small_index(index_dir, tmp_path / "corpus")
    damage(index_dir, state)
    with pytest.raises(IndexCorrupt) as info:  # what search and build load
        load_index(index_dir)
    assert "--index-dir" in str(info.value)
    for command in (["docs"], ["chunks", "ke-hoach"]):
        code = main(command + ["--index-dir", str(index_dir)])
        captured = capsys.readouterr()
        if state in BM25_STATES:  # listing documents needs no BM25: it still works
            assert code == 0 and "ke-hoach" in captured.out
            continue
        err = captured.err.strip()
        assert code == 2 and "\n" not in err and err.startswith("error: ")
        assert "Traceback" not in err
        fix = "--index-dir" in err and ("build" in err or "rename" in err)
        assert fix, err


def test_failed_write_leaves_no_temp_folder_and_keeps_the_live_version(tmp_path):
    """A write that fails midway (here: a document whose id is not unique) removes its .tmp-*."""
    index_dir = tmp_path / "index"
    first = _write_small_index(index_dir, tmp_path / "corpus")
    version = load_index(index_dir)
    meta = version.documents["ke-hoach"]
    stored = [StoredChunk(c, t, h) for c, t, h in zip(version.chunks, version.tokens, version.embed_hashes)]
    with pytest.raises(Exception):
        write_version(index_dir, version.manifest, [meta, meta], version.raw_documents, version.texts,
                      stored, version.vectors)
    assert not list((index_dir / "versions").glob(".tmp-*"))
    assert load_index(index_dir).path == first


def test_disk_full_errors_are_recognised(tmp_path):
    import errno
    import sqlite3

    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"), tmp_path)
    assert is_disk_full(sqlite3.OperationalError("database or disk is full"), tmp_path)
    assert not is_disk_full(ValueError("bad value"), tmp_path)
    assert issubclass(DiskFull, PolicySearchError)


# -- a real full disk -------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs (needs root; skipped otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)])


def _fill(disk: Path, leave: int) -> Path:
    """Fill ``disk`` so that about ``leave`` bytes stay free."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(0, free - leave))
    return filler


def test_store_write_on_a_full_disk(small_disk, tmp_path):
    """Fast tier: the store's own write on a real full filesystem."""
    index_dir = small_disk / "index"
    first = _write_small_index(index_dir, tmp_path / "corpus")
    filler = _fill(small_disk, 8 * 1024)
    with pytest.raises(DiskFull) as info:
        _write_small_index(index_dir, tmp_path / "corpus")
    assert "disk full" in str(info.value) and "\n" not in str(info.value)
    assert not list((index_dir / "versions").glob(".tmp-*"))
    assert load_index(index_dir).path == first
    filler.unlink()
    assert _write_small_index(index_dir, tmp_path / "corpus") != first
