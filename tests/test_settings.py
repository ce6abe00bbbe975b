"""indexer.settings: the one place that reads the environment and policy-search.toml."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from indexer import settings
from indexer.errors import SettingsError
from indexer.ingest import readers

from conftest import ROOT


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("POLICY_INDEX_DIR", "POLICY_CORPUS_DIR", "POLICY_MODEL", "POLICY_PRECISION", "POLICY_STORE",
                 "POLICY_SHARED_DIR", "POLICY_MODELS_DIR", "POLICY_LLM_ENDPOINT", "POLICY_LLM_MODEL",
                 "POLICY_LLM_TIMEOUT", "POLICY_QDRANT_URL"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "policy-search.toml"
    monkeypatch.setenv("POLICY_CONFIG", str(config))
    settings._file_settings.cache_clear()
    yield config
    settings._file_settings.cache_clear()


def write(config: Path, text: str) -> None:
    config.write_text(text, encoding="utf-8")
    settings._file_settings.cache_clear()


def test_defaults(clean_env):
    assert settings.index_dir() == Path(".index") and settings.corpus_dir() == Path("corpus")
    assert settings.model_name() is None and settings.model_precision() is None
    assert settings.store() == "embedded" and settings.index_type() == "flat"
    assert settings.shared_dir() == ROOT.parent / "shared"
    assert settings.models_dir() == ROOT / "models"
    assert settings.llm_endpoint() is None and settings.llm_model() is None  # generation is off


def test_file_then_environment_then_argument(clean_env, monkeypatch):
    write(clean_env, 'corpus_dir = "docs"\nshared_dir = "/data/shared"\n[model]\nprecision = "fp32"\n'
                     '[index]\nstore = "qdrant"\ntype = "hnsw"\n[llm]\nendpoint = "http://llm"\n')
    assert settings.corpus_dir() == Path("docs") and settings.shared_dir() == Path("/data/shared")
    assert settings.model_precision() == "fp32" and settings.store() == "qdrant"
    assert settings.index_type() == "hnsw" and settings.llm_endpoint() == "http://llm"
    monkeypatch.setenv("POLICY_CORPUS_DIR", "env-docs")
    monkeypatch.setenv("POLICY_SHARED_DIR", "/env/shared")
    monkeypatch.setenv("POLICY_PRECISION", "int8")
    monkeypatch.setenv("POLICY_STORE", "embedded")
    assert settings.corpus_dir() == Path("env-docs") and settings.shared_dir() == Path("/env/shared")
    assert settings.model_precision() == "int8" and settings.store() == "embedded"
    assert settings.corpus_dir("arg") == Path("arg") and settings.model_precision("bf16") == "bf16"


def test_blank_environment_values_are_unset(clean_env, monkeypatch):
    monkeypatch.setenv("POLICY_INDEX_DIR", "  ")
    assert settings.index_dir() == Path(".index")


@pytest.mark.parametrize("call, value", [(settings.model_precision, "fp8"), (settings.store, "mongo"),
                                         (settings.index_type, "lsh")])
def test_choices_are_checked(clean_env, call, value):
    with pytest.raises(SettingsError, match="choose one of"):
        call(value)


def test_broken_config_file_is_a_settings_error(clean_env):
    write(clean_env, "index_dir = [")
    with pytest.raises(SettingsError, match="cannot read"):
        settings.index_dir()


def test_llm_timeout_must_be_a_number(clean_env, monkeypatch):
    assert settings.llm_timeout() == 30.0
    monkeypatch.setenv("POLICY_LLM_TIMEOUT", "soon")
    with pytest.raises(SettingsError):
        settings.llm_timeout()


def test_limits_are_defined_once_and_agree():
    assert settings.MAX_UPLOAD_BYTES == settings.MAX_FILE_BYTES == 50 * 2**20
    assert settings.UPLOAD_TYPES == tuple(s[1:] for s in settings.SUPPORTED_SUFFIXES)
    assert set(readers._FORMATS) == set(settings.SUPPORTED_SUFFIXES)
    assert readers.SUPPORTED_SUFFIXES is settings.SUPPORTED_SUFFIXES
    assert settings.DEFAULT_PRECISION in settings.PRECISIONS
    assert settings.DEFAULT_STORE in settings.STORES and settings.DEFAULT_INDEX_TYPE in settings.INDEX_TYPES


def _reads_environment(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "getenv":
                return True
            if node.func.attr == "get" and isinstance(node.func.value, ast.Attribute) \
                    and node.func.value.attr == "environ":
                return True
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "environ" and isinstance(node.ctx, ast.Load):
            return True
    return False


def test_only_settings_reads_the_environment():
    readers_of_env = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "indexer").rglob("*.py"))
                      if _reads_environment(ast.parse(p.read_text(encoding="utf-8")))]
    assert readers_of_env == ["indexer/settings.py"]
