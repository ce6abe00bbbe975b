"""The corpus folder: which files are candidates, their hashes and stable ids, and ONE
staleness check (what changed since an index version was built), used by build and upload."""
from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import unicodedata
from pathlib import Path

from indexer.records import CorpusChanges, Skipped
from indexer.settings import CORRECTIONS_FILE, MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from indexer.text.normalize import fold

__all__ = ["doc_id_for", "display_name", "list_corpus", "file_sha256", "hash_files", "corpus_changes",
           "diff_hashes", "HashCache", "assign_doc_ids", "stand_in_hash"]


def doc_id_for(file_name: str, taken: set[str]) -> str:
    """A stable, readable id from the file name: 'quang-ngai_ke-hoach-151'."""
    stem = Path(file_name).stem
    slug = re.sub(r"[^a-z0-9]+", "-", fold(unicodedata.normalize("NFC", stem))).strip("-")[:80]
    slug = slug or "doc"
    if slug in taken:
        slug = f"{slug}-{Path(file_name).suffix.lstrip('.').lower()}"
    n, base = 2, slug
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def display_name(name: str) -> str:
    """A file name safe to store and print: undecodable bytes as U+FFFD, control and
    bidirectional-override characters escaped (\\x07, \\u202e)."""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(ch if unicodedata.category(ch) not in ("Cc", "Cf") else
                   (f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}") for ch in name)


def list_corpus(corpus_dir: Path) -> tuple[list[Path], list[Skipped]]:
    """Candidate files of a corpus folder (sorted), and the files refused outright."""
    files, skipped = [], []
    for path in sorted(Path(corpus_dir).iterdir()):
        if path.name.startswith(".") or path.name == CORRECTIONS_FILE or path.is_dir():
            continue
        shown = display_name(path.name)
        if shown != path.name:  # could not be stored, or would garble one-line reports
            try:
                path.name.encode("utf-8")
                reason = "file name contains control or invisible formatting characters"
            except UnicodeEncodeError:
                reason = "file name is not valid UTF-8"
            skipped.append(Skipped(shown, f"{reason}; rename the file"))
        elif path.is_symlink():
            skipped.append(Skipped(path.name, "symbolic link (not followed)"))
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(Skipped(path.name, f"unsupported file type {path.suffix or '(none)'}"))
        else:
            files.append(path)
    return files, skipped


def file_sha256(path: Path) -> str:
    """sha256 of a regular file's bytes, read in blocks (a FIFO or device is never read: OSError)."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced by a FIFO since it was listed
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


TOO_LARGE, UNREADABLE = "too-large:", "unreadable:"


def stand_in_hash(kind: str, info: os.stat_result) -> str:
    """The identity of a file that is not hashed (too large, unreadable): kind, size, mtime.

    Build and staleness check agree on it, so such a file is "seen" once the index records it,
    and "changed" again as soon as it is rewritten."""
    return f"{kind}{info.st_size}:{info.st_mtime_ns}"


def assign_doc_ids(names: list[str], previous_ids: dict[str, str]) -> dict[str, str]:
    """{file name: doc id}: a file indexed before keeps its id; a new file gets a fresh one that
    no other file of the corpus uses (X.docx beside an indexed X.txt, case variants …)."""
    ids: dict[str, str] = {}
    for name in names:
        old = previous_ids.get(name)
        if old and old not in ids.values():
            ids[name] = old
    taken = set(ids.values())
    for name in names:
        if name not in ids:
            ids[name] = doc_id_for(name, taken)
            taken.add(ids[name])
    return ids


class HashCache:
    """sha256 of files, recomputed only when a file's size or modification time changes."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[int, int, str]] = {}  # path → (size, mtime_ns, sha256)

    def __call__(self, path: Path) -> str:
        st = path.stat()
        known = self._known.get(str(path))
        if known is None or known[:2] != (st.st_size, st.st_mtime_ns):
            known = self._known[str(path)] = (st.st_size, st.st_mtime_ns, file_sha256(path))
        return known[2]


def hash_files(files: list[Path], skipped: list[Skipped], *, hasher=file_sha256,
               progress=None) -> dict[str, str]:
    """{file name: sha256} of the corpus files; a file too large or unreadable gets a stand-in
    identity (:func:`stand_in_hash`) and is never read; a non-regular one (FIFO …) joins ``skipped``."""
    hashes: dict[str, str] = {}
    for i, path in enumerate(files):
        if progress:
            progress("hash", i, len(files))
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                skipped.append(Skipped(path.name, "not a regular file"))
                continue
            if info.st_size > MAX_FILE_BYTES:  # never read; the build reports it (and keeps an old copy)
                hashes[path.name] = stand_in_hash(TOO_LARGE, info)
                continue
        except OSError as exc:
            skipped.append(Skipped(path.name, f"cannot read file: {exc.strerror or exc}"))
            continue
        try:
            hashes[path.name] = hasher(path)
        except OSError:  # unreadable now: the build reports it (and keeps an indexed copy)
            hashes[path.name] = stand_in_hash(UNREADABLE, info)
    if progress:
        progress("hash", len(files), len(files))
    return hashes


def diff_hashes(hashes: dict[str, str], indexed: dict[str, str],
                skipped: list[dict] | list[Skipped]) -> CorpusChanges:
    """Files added, changed or removed, comparing the corpus hashes with an index's files.

    A file the index refused (``skipped`` with the same sha256) is not new: it was seen."""
    known_bad = {}
    for s in skipped:
        file, sha = (s.get("file"), s.get("sha256")) if isinstance(s, dict) else (s.file, s.sha256)
        if sha:
            known_bad[file] = sha
    changes = CorpusChanges(removed=sorted(set(indexed) - set(hashes)))
    for name, sha in sorted(hashes.items()):
        if name in indexed:
            if indexed[name] != sha and known_bad.get(name) != sha:  # a bad new copy is seen, not stale
                changes.changed.append(name)
        elif known_bad.get(name) != sha:
            changes.added.append(name)
    return changes


def corpus_changes(corpus_dir: Path, manifest=None, *, hasher=file_sha256) -> CorpusChanges:
    """What changed in ``corpus_dir`` since the version of ``manifest`` was built (None: no index,
    every file is new)."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        return CorpusChanges()
    files, skipped = list_corpus(corpus_dir)
    hashes = hash_files(files, skipped, hasher=hasher)
    indexed, refused = (manifest.files, manifest.skipped) if manifest is not None else ({}, [])
    changes = diff_hashes(hashes, indexed, refused)
    changes.too_large = sorted(name for name, sha in hashes.items() if sha.startswith(TOO_LARGE))
    changes.added = [name for name in changes.added if name not in changes.too_large]  # a build can't add it
    return changes
