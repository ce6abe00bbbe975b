"""A damaged model folder is detected without loading it (issue 15 item 11)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from safetensors.numpy import save_file

from indexer.cli import main
from indexer.index.embed import ensure_model, resolve_model
from indexer.index.model_check import MARKER, ModelDamaged, file_records, verify_model_folder
from indexer.settings import models_dir


def _truncated_copy(tmp_path, keep_bytes: int = 1 << 20, source=None):
    """The real default model folder, its model.safetensors cut after ``keep_bytes``."""
    source = source or models_dir() / "multilingual-e5-small"
    if not (source / "model.safetensors").is_file():
        pytest.skip("default model not prepared (make model)")
    target = tmp_path / "e5-damaged"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("model.safetensors"))
    with open(source / "model.safetensors", "rb") as src, open(target / "model.safetensors", "wb") as dst:
        dst.write(src.read(keep_bytes))
    return target


def test_truncated_safetensors_is_model_damaged(tmp_path):
    folder = _truncated_copy(tmp_path)
    with pytest.raises(ModelDamaged) as info:
        ensure_model(resolve_model(str(folder)))
    assert "model damaged" in str(info.value) and "make model" in info.value.hint


def test_prepare_model_and_search_say_model_damaged(tmp_path, capsys):
    folder = _truncated_copy(tmp_path)
    assert main(["prepare-model", "--model", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert "model damaged" in err and "make model" in err and "\n" not in err
    assert "model ready" not in capsys.readouterr().out
    assert main(["search", "đô thị", "--model", str(folder), "--index-dir", str(tmp_path / "idx")]) == 2
    err = capsys.readouterr().err
    assert "model damaged" in err or "No index" in err  # never a traceback


def test_the_prepared_default_model_is_whole():
    folder = models_dir() / "multilingual-e5-small"
    if not folder.is_dir():
        pytest.skip("default model not prepared")
    verify_model_folder(folder)


def test_recorded_sizes_and_hashes(tmp_path):
    """A converted folder records size and sha256 of each file: any change is caught."""
    folder = tmp_path / "m"
    folder.mkdir()
    save_file({"w": np.arange(1000, dtype=np.float32)}, str(folder / "model.safetensors"))
    (folder / "tokenizer.json").write_text("{}")
    (folder / MARKER).write_text(json.dumps({"files": file_records(folder)}))
    verify_model_folder(folder, full=True)
    data = bytearray((folder / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF  # same size, other bytes: only the hash sees it
    (folder / "model.safetensors").write_bytes(bytes(data))
    verify_model_folder(folder)
    with pytest.raises(ModelDamaged):
        verify_model_folder(folder, full=True)
    (folder / "tokenizer.json").write_text("{} ")
    with pytest.raises(ModelDamaged):
        verify_model_folder(folder)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelDamaged):
        verify_model_folder(folder)


@pytest.mark.model
def test_prepare_model_converts_a_damaged_default_model_again(tmp_path, monkeypatch, capsys):
    """`make model` (prepare-model) is the fix the error names: it really repairs the default model."""
    source = models_dir() / "multilingual-e5-small"
    if not source.is_dir():
        pytest.skip("default model not prepared")
    target = tmp_path / "multilingual-e5-small"
    _truncated_copy(tmp_path, source=source).rename(target)
    monkeypatch.setenv("POLICY_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelDamaged):
        ensure_model(resolve_model(None))
    assert main(["prepare-model"]) == 0
    assert "model ready" in capsys.readouterr().out
    verify_model_folder(target, full=True)  # sizes and hashes recorded by the new conversion
    assert json.loads((target / MARKER).read_text())["files"]["model.safetensors"]["size"] == \
        (source / "model.safetensors").stat().st_size
