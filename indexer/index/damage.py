"""Damaged index folders and full disks: detected, reported in one line, repaired when possible.

The index folder holds ``CURRENT`` (a file naming the live version), ``versions/`` (a folder)
and ``build.lock``. Anything else in their place — ``CURRENT`` a folder or binary, ``versions``
a file, a manifest that is not an object or has fields of the wrong type, a BM25 index that
cannot score — is an :class:`IndexCorrupt` whose hint says how to fix it. A build repairs
what it can by moving the damaged entries aside (``*.damaged-<time>``; nothing is deleted)
and writing a fresh version. A write that fails because the disk is full is a
:class:`DiskFull`, after the half-written version has been removed.
"""
from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import time
from pathlib import Path

from indexer.errors import IndexCorrupt, PolicySearchError

__all__ = ["DiskFull", "check_index_folder", "read_pointer", "check_manifest_data", "check_bm25",
           "repair_layout", "is_disk_full", "disk_full_error", "remove_temp_folders"]

LOW_SPACE_BYTES = 1 << 20  # below this much free space, a failed write is blamed on a full disk
_DISK_FULL_WORDS = ("no space left", "disk is full", "database or disk is full", "disk quota")


class DiskFull(PolicySearchError):
    """The disk holding the index is full: the build stopped, the live version is unchanged."""

    code = "disk_full"


def _fix(index_dir: Path) -> str:
    return f"chạy lại: python -m indexer build --index-dir {index_dir} (run build again to repair it)"


def check_index_folder(index_dir: Path) -> None:
    """IndexCorrupt when the index folder, or its ``versions`` entry, is not a folder."""
    index_dir = Path(index_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexCorrupt(f"thư mục chỉ mục {index_dir} là một tệp, không phải thư mục "
                           f"(the index folder is a file)",
                           f"đổi tên hoặc xoá tệp đó, hoặc chọn thư mục khác bằng --index-dir "
                           f"(rename or remove the file, or choose another --index-dir)")
    versions = index_dir / "versions"
    if versions.exists() and not versions.is_dir():
        raise IndexCorrupt(f"chỉ mục {index_dir} hỏng: versions là một tệp (versions is a file)",
                           _fix(index_dir))


def read_pointer(pointer: Path, index_dir: Path) -> str:
    """The version name written in ``CURRENT``; IndexCorrupt when it is a folder or not text."""
    try:
        if not pointer.is_file():
            raise IsADirectoryError(pointer)
        name = pointer.read_bytes().decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise IndexCorrupt(f"chỉ mục {index_dir} hỏng: CURRENT không đọc được "
                           f"(CURRENT is not a small text file)", _fix(index_dir)) from None
    if not name.isprintable() or len(name) > 200:
        raise IndexCorrupt(f"chỉ mục {index_dir} hỏng: CURRENT không chứa tên phiên bản "
                           f"(CURRENT holds no version name)", _fix(index_dir))
    return name


_MANIFEST_TYPES = {"format_version": int, "model_id": str, "model_name": str, "dim": int,
                   "query_prompt": str, "passage_prompt": str, "index_type": str,
                   "embed_template": str, "files": dict, "n_docs": int, "n_chunks": int,
                   "built_at": str, "skipped": list}


def check_manifest_data(data: object, where: Path) -> None:
    """IndexCorrupt unless the parsed manifest is an object whose fields have their types."""
    if not isinstance(data, dict):
        raise IndexCorrupt(f"manifest of {where} is a {type(data).__name__}, not an object")
    for key, kind in _MANIFEST_TYPES.items():
        if key in data and (not isinstance(data[key], kind) or isinstance(data[key], bool)):
            raise IndexCorrupt(f"manifest of {where}: {key} is {data[key]!r:.40}, "
                               f"not a {kind.__name__}")
    files = data.get("files") or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise IndexCorrupt(f"manifest of {where}: files must map names to hashes")
    for item in data.get("skipped") or []:
        if not isinstance(item, dict) or not isinstance(item.get("file"), str):
            raise IndexCorrupt(f"manifest of {where}: skipped holds {item!r:.40}")


def check_bm25(bm25, n_chunks: int, where: Path) -> None:
    """IndexCorrupt unless the loaded BM25 index covers the clauses and can score a query."""
    expected = max(n_chunks, 1)  # an empty index is saved with one empty document
    try:
        num_docs = int(bm25.scores["num_docs"])
        probe = list(bm25.vocab_dict)[:3] or [""]
        scores = bm25.get_scores(probe)
    except Exception as exc:  # bm25s raises TypeError, IndexError, KeyError … on bad params
        raise IndexCorrupt(f"{where}/bm25 cannot score ({type(exc).__name__}: {exc})") from None
    if num_docs != expected or len(scores) != expected:
        raise IndexCorrupt(f"{where}/bm25 covers {num_docs} clauses, the index has {n_chunks}")


def repair_layout(index_dir: Path) -> list[str]:
    """Move a ``CURRENT`` that is not a text file, or a ``versions`` that is not a folder, aside.

    Called by a build holding the lock; returns what was moved (for the build report)."""
    moved = []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for name, ok in (("CURRENT", _pointer_ok), ("versions", Path.is_dir)):
        path = Path(index_dir) / name
        if (path.exists() or path.is_symlink()) and not ok(path):
            target = path.with_name(f"{name}.damaged-{stamp}")
            os.replace(path, target)
            moved.append(f"{name} → {target.name}")
    return moved


def _pointer_ok(path: Path) -> bool:
    try:
        read_pointer(path, path.parent)
        return True
    except IndexCorrupt:
        return False


def remove_temp_folders(index_dir: Path) -> None:
    """Delete half-written versions and pointer files (the caller holds the build lock)."""
    versions = Path(index_dir) / "versions"
    if versions.is_dir():
        for path in versions.glob(".tmp-*"):
            shutil.rmtree(path, ignore_errors=True)
    for path in Path(index_dir).glob("CURRENT.*.tmp"):
        path.unlink(missing_ok=True)


def is_disk_full(exc: BaseException, path: Path) -> bool:
    """Whether ``exc`` (from sqlite, FAISS, numpy or the OS) came from a full disk at ``path``."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if any(word in str(exc).lower() for word in _DISK_FULL_WORDS):
        return True
    if isinstance(exc, (OSError, RuntimeError, sqlite3.Error)):  # FAISS: "write error"
        try:
            return shutil.disk_usage(path).free < LOW_SPACE_BYTES
        except OSError:
            return False
    return False


def disk_full_error(index_dir: Path) -> DiskFull:
    """The one-line error of a build stopped by a full disk."""
    try:
        free = f"{shutil.disk_usage(index_dir).free / 2**20:.1f} MB"
    except OSError:
        free = "?"
    return DiskFull(f"ổ đĩa đầy: không ghi được chỉ mục vào {index_dir} (disk full, {free} free); "
                    f"bản chỉ mục đang dùng không đổi (the live index is unchanged)",
                    "giải phóng dung lượng rồi chạy lại build (free some space, then build again)")
