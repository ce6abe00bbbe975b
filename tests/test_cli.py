"""Command-line contracts: `docs --json`, `chunks DOC_ID --json`, `topics --json`, settings."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from indexer import settings as config

from conftest import HA_TINH, QN_PLAN, ROOT

DOC_FIELDS = {"doc_id", "file", "sha256", "title", "doc_type", "number", "date", "issuer", "level",
              "province", "province_current", "locality", "signer", "inferred", "n_chunks", "warnings"}


def run(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "indexer", *args], capture_output=True, text=True,
                          cwd=ROOT, check=True).stdout


def test_docs_json(corpus_index):
    docs = json.loads(run("docs", "--index-dir", str(corpus_index), "--json"))
    assert len(docs) == 5
    assert all(DOC_FIELDS <= set(d) for d in docs)
    by_file = {d["file"]: d for d in docs}
    plan = by_file[QN_PLAN]
    assert (plan["number"], plan["date"], plan["issuer"], plan["signer"]) == \
        ("151/KH-UBND", "2022-09-22", "UBND tỉnh Quảng Ngãi", "Đặng Văn Minh")
    import hashlib
    assert plan["sha256"] == hashlib.sha256((ROOT / "corpus" / QN_PLAN).read_bytes()).hexdigest()
    assert by_file[HA_TINH]["inferred"] == ["province"]
    assert all(d["n_chunks"] > 20 for d in docs)


def test_chunks_json_in_order(corpus_index):
    docs = json.loads(run("docs", "--index-dir", str(corpus_index), "--json"))
    doc_id = next(d["doc_id"] for d in docs if d["file"] == QN_PLAN)
    chunks = json.loads(run("chunks", doc_id, "--index-dir", str(corpus_index), "--json"))
    assert {"chunk_id", "section", "text"} <= set(chunks[0])
    starts = [c["start"] for c in chunks]
    assert starts == sorted(starts)
    assert chunks[0]["section"] == "Phần mở đầu" and "151" in chunks[0]["text"]


def test_unknown_document_is_a_clear_error(corpus_index):
    proc = subprocess.run([sys.executable, "-m", "indexer", "chunks", "nope", "--index-dir", str(corpus_index)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode != 0 and proc.stderr.startswith("error:") and "Traceback" not in proc.stderr


@pytest.mark.model
def test_build_exit_codes(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad.pdf").write_bytes(b"not a pdf at all")
    proc = subprocess.run([sys.executable, "-m", "indexer", "build", str(corpus), "--index-dir",
                           str(tmp_path / "idx")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode != 0 and "bad.pdf" in proc.stderr and "Traceback" not in proc.stderr
    (corpus / "good.txt").write_text((ROOT / "corpus" / QN_PLAN).read_text(encoding="utf-8"), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "indexer", "build", str(corpus), "--index-dir",
                           str(tmp_path / "idx")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "skipped bad.pdf: not a PDF" in proc.stdout
    assert "documents: 1" in proc.stdout


def test_settings_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("POLICY_INDEX_DIR", raising=False)
    monkeypatch.setenv("POLICY_CONFIG", str(tmp_path / "policy-search.toml"))
    config._file_settings.cache_clear()
    assert config.index_dir() == Path(".index")
    (tmp_path / "policy-search.toml").write_text('index_dir = "from-file"\n[model]\nname = "some/model"\n')
    config._file_settings.cache_clear()
    assert config.index_dir() == Path("from-file") and config.model_name() == "some/model"
    monkeypatch.setenv("POLICY_INDEX_DIR", "from-env")
    monkeypatch.setenv("POLICY_MODEL", "env/model")
    assert config.index_dir() == Path("from-env") and config.model_name() == "env/model"
    assert config.index_dir("explicit") == Path("explicit") and config.model_name("arg/model") == "arg/model"
    config._file_settings.cache_clear()
