"""Uploads into the corpus folder, without any user interface (what changed since the last
build is `indexer.index.corpus.corpus_changes`, the one staleness check).

Used by the Streamlit page (app.py), which only adds widgets, caching and its labels. Messages
for the user are produced through a translator ``t(key, **values) -> str`` passed by the caller
(the page passes its own, so texts follow the chosen language); the default, :func:`plain`,
renders the key and its values. The keys used are ``bad_name``, ``bad_type`` (suffix, allowed),
``empty_file``, ``too_large`` (size, limit), ``upload_duplicate`` (name, other), ``upload_bad``
(name, reason), ``upload_renamed`` (old, name) and ``upload_saved`` (name).
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Callable

from indexer.errors import IngestError
from indexer.index.corpus import file_sha256
from indexer.parse.pipeline import parse_file
from indexer.records import UploadItem, UploadReport
from indexer.settings import MAX_NAME_BYTES, MAX_UPLOAD_BYTES, UPLOAD_TYPES

Translate = Callable[..., str]  # t(key, **values) -> text for the user

__all__ = ["UPLOAD_TYPES", "MAX_UPLOAD_BYTES", "MAX_NAME_BYTES", "Translate", "plain", "safe_filename",
           "upload_problem", "unusable_reason", "unique_path", "write_new_file", "store_uploads",
           "messages", "save_uploads"]


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
    """``folder/name``, or ``folder/stem-2.ext`` … when an entry of that name exists (a dangling
    symbolic link counts: exclusive create would fail on it forever)."""
    path = folder / name
    stem, suffix, n = path.stem, path.suffix, 2
    while os.path.lexists(path):
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


def _known_hashes(corpus_dir: Path) -> dict[str, str]:
    """{sha256: name} of the regular files of the corpus (links, FIFOs and unreadable files left out)."""
    known = {}
    for path in sorted(corpus_dir.iterdir()):
        try:
            if path.is_file() and not path.is_symlink():
                known[file_sha256(path)] = path.name
        except OSError:
            continue
    return known


def store_uploads(files: list[tuple[str, bytes]], corpus_dir: Path) -> UploadReport:
    """Save the uploads the indexer can read, never overwriting; one `UploadItem` per file."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    known = _known_hashes(corpus_dir)
    report = UploadReport()
    for raw_name, data in files:
        name = safe_filename(raw_name) or raw_name
        problem = upload_problem(raw_name, len(data), t=_keyed)
        if problem is None:
            sha = hashlib.sha256(data).hexdigest()
            if sha in known:
                report.items.append(UploadItem(name, "duplicate", duplicate_of=known[sha]))
                continue
            reason = unusable_reason(name, data)
            problem = None if reason is None else ("unusable", {"reason": reason})
        if problem is not None:
            report.items.append(UploadItem(name, "refused", reason_key=problem[0], reason_values=problem[1]))
            continue
        target = write_new_file(corpus_dir, name, data)
        known[sha] = target.name
        report.items.append(UploadItem(name, "renamed" if target.name != name else "saved",
                                       saved_as=target.name))
    return report


def _keyed(key: str, **values) -> tuple[str, dict]:
    """A translator that keeps the message key and values (structured reasons)."""
    return key, values


def messages(report: UploadReport, *, t: Translate = plain) -> list[tuple[str, str]]:
    """(kind, text) lines for the user: success, warning (renamed), info (duplicate), error (refused)."""
    out = []
    for item in report.items:
        if item.status == "duplicate":
            out.append(("info", t("upload_duplicate", name=item.name, other=item.duplicate_of)))
        elif item.status == "refused":
            reason = (item.reason_values.get("reason", "") if item.reason_key == "unusable"
                      else t(item.reason_key, **item.reason_values))
            out.append(("error", t("upload_bad", name=item.name, reason=reason)))
        elif item.status == "renamed":
            out.append(("warning", t("upload_renamed", old=item.name, name=item.saved_as)))
        else:
            out.append(("success", t("upload_saved", name=item.saved_as)))
    return out


def save_uploads(files: list[tuple[str, bytes]], corpus_dir: Path, *,
                 t: Translate = plain) -> tuple[list[tuple[str, str]], list[Path]]:
    """Save the uploads the indexer can read: ([(kind, text) messages], saved paths)."""
    report = store_uploads(files, corpus_dir)
    return messages(report, t=t), [corpus_dir / name for name in report.saved]
