"""Uploads into the corpus folder and corpus-vs-index changes, without any user interface.

Used by the Streamlit page (app.py), which only adds widgets, caching and its labels. Messages
for the user are produced through a translator ``t(key, **values) -> str`` passed by the caller
(the page passes its own, so texts follow the chosen language); the default, :func:`plain`,
renders the key and its values. The keys used are ``bad_name``, ``bad_type`` (suffix, allowed),
``empty_file``, ``too_large`` (size, limit), ``upload_duplicate`` (name, other), ``upload_bad``
(name, reason), ``upload_renamed`` (old, name) and ``upload_saved`` (name).
"""
from __future__ import annotations

import hashlib
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Callable

from indexer.settings import MAX_NAME_BYTES, MAX_UPLOAD_BYTES, UPLOAD_TYPES

Translate = Callable[..., str]  # t(key, **values) -> text for the user
Hasher = Callable[[str, tuple], dict]  # (folder, signature) -> {file name: sha256}

__all__ = ["UPLOAD_TYPES", "MAX_UPLOAD_BYTES", "MAX_NAME_BYTES", "Translate", "plain", "safe_filename",
           "upload_problem", "unusable_reason", "unique_path", "write_new_file", "save_uploads",
           "corpus_changes", "file_hashes"]


def plain(key: str, **values) -> str:
    """Default translator: the message key, followed by its values if any (``key(a=1, b=2)``)."""
    if not values:
        return key
    return f"{key}(" + ", ".join(f"{k}={v}" for k, v in values.items()) + ")"


def safe_filename(name: str) -> str | None:
    """A safe name for an upload (no folders, control characters or leading dots; NFC; bounded) or None."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]  # strip any path, Unix or Windows
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control, format …
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return None
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem.strip(" .")
    if not stem or not re.search(r"\w", stem):
        return None
    suffix = suffix.lower()
    while len(f"{stem}.{suffix}".encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return f"{stem}.{suffix}" if suffix else stem


def upload_problem(name: str, size: int, *, t: Translate = plain) -> str | None:
    """Why an upload is refused outright (type, size, name), or None."""
    safe = safe_filename(name)
    if safe is None:
        return t("bad_name")
    suffix = Path(safe).suffix.lower().lstrip(".")
    if suffix not in UPLOAD_TYPES:
        return t("bad_type", suffix=f".{suffix}" if suffix else "(none)",
                 allowed=", ".join(f".{x}" for x in UPLOAD_TYPES))
    if size == 0:
        return t("empty_file")
    if size > MAX_UPLOAD_BYTES:
        return t("too_large", size=f"{size / 2**20:.1f}", limit=MAX_UPLOAD_BYTES // 2**20)
    return None


def unusable_reason(name: str, data: bytes) -> str | None:
    """Why the indexer could not use a file (parsed in a scratch folder), or None."""
    from indexer.index.build import parse_file
    from indexer.ingest.readers import IngestError

    with tempfile.TemporaryDirectory(prefix="upload-check-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            parse_file(path, "upload-check")
        except IngestError as exc:
            return exc.reason
        except Exception as exc:  # a parser bug: refuse the file, keep the app alive
            return f"could not be processed ({type(exc).__name__})"
    return None


def unique_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem-2.ext`` … when a file of that name exists."""
    path = folder / name
    stem, suffix, n = path.stem, path.suffix, 2
    while path.exists():
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path


def write_new_file(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to a file of ``folder`` that did not exist (exclusive create: never overwrites)."""
    while True:
        target = unique_path(folder, name)
        try:
            with open(target, "xb") as handle:
                handle.write(data)
            return target
        except FileExistsError:  # created meanwhile by someone else: take the next name
            continue


def save_uploads(files: list[tuple[str, bytes]], corpus_dir: Path, *,
                 t: Translate = plain) -> tuple[list[tuple[str, str]], list[Path]]:
    """Save the uploads the indexer can read, never overwriting: ([(kind, text) messages], saved paths)."""
    from indexer.index.build import file_sha256

    corpus_dir.mkdir(parents=True, exist_ok=True)
    known = {file_sha256(p): p.name for p in sorted(corpus_dir.iterdir()) if p.is_file()}
    messages, saved = [], []
    for raw_name, data in files:
        problem = upload_problem(raw_name, len(data), t=t)
        name = safe_filename(raw_name) or raw_name
        if problem is None:
            sha = hashlib.sha256(data).hexdigest()
            if sha in known:
                messages.append(("info", t("upload_duplicate", name=name, other=known[sha])))
                continue
            problem = unusable_reason(name, data)
        if problem is not None:
            messages.append(("error", t("upload_bad", name=name, reason=problem)))
            continue
        target = write_new_file(corpus_dir, name, data)
        known[sha] = target.name
        saved.append(target)
        if target.name != name:
            messages.append(("warning", t("upload_renamed", old=name, name=target.name)))
        else:
            messages.append(("success", t("upload_saved", name=target.name)))
    return messages, saved


def file_hashes(folder: str, signature: tuple) -> dict[str, str]:
    """sha256 of the corpus files named in ``signature`` ((name, size, mtime_ns) triples)."""
    from indexer.index.build import file_sha256

    return {name: file_sha256(Path(folder) / name) for name, _size, _mtime in signature}


def corpus_changes(corpus_dir: Path, manifest, *, hasher: Hasher = file_hashes) -> dict[str, list[str]]:
    """Files added, changed or removed in ``corpus_dir`` since the version of ``manifest`` was built."""
    # hasher(folder, signature): the page passes a cached file_hashes keyed by (name, size, mtime_ns)
    from indexer.index.build import list_corpus

    if not corpus_dir.is_dir():
        return {}
    files, _ = list_corpus(corpus_dir)
    signature = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    hashes = hasher(str(corpus_dir), signature)
    indexed = {k: v for k, v in manifest.files.items() if k != "__pipeline__"}
    known_bad = {s["file"]: s.get("sha256") for s in manifest.skipped}
    changes = {"new": [], "changed": [], "removed": sorted(set(indexed) - set(hashes))}
    for name, sha in hashes.items():
        if name in indexed:
            if indexed[name] != sha:
                changes["changed"].append(name)
        elif known_bad.get(name) != sha:
            changes["new"].append(name)
    return {k: v for k, v in changes.items() if v}
