"""Settings shared by the CLI and the app: where the index lives, which model embeds.

Order of precedence: explicit argument (``--index-dir``, ``--model``), environment
variable (``POLICY_INDEX_DIR``, ``POLICY_MODEL``, ``POLICY_PRECISION``), the config file
``policy-search.toml`` in the working directory (or ``POLICY_CONFIG``), then defaults.
"""
from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

DEFAULT_INDEX_DIR = ".index"
DEFAULT_CORPUS_DIR = "corpus"
CONFIG_FILE = "policy-search.toml"


@lru_cache(maxsize=4)
def _file_settings(path: str) -> dict:
    p = Path(path)
    if not p.exists():
        return {}
    with p.open("rb") as handle:
        return tomllib.load(handle)


def file_settings() -> dict:
    """Settings from the TOML config file (empty when there is none)."""
    return _file_settings(os.environ.get("POLICY_CONFIG", CONFIG_FILE))


def index_dir(explicit: str | Path | None = None) -> Path:
    value = explicit or os.environ.get("POLICY_INDEX_DIR") or file_settings().get("index_dir")
    return Path(value or DEFAULT_INDEX_DIR)


def corpus_dir(explicit: str | Path | None = None) -> Path:
    value = explicit or os.environ.get("POLICY_CORPUS_DIR") or file_settings().get("corpus_dir")
    return Path(value or DEFAULT_CORPUS_DIR)


def model_name(explicit: str | None = None) -> str | None:
    """Configured model name or path; None means the default model."""
    return explicit or os.environ.get("POLICY_MODEL") or file_settings().get("model", {}).get("name")


def model_precision(explicit: str | None = None) -> str | None:
    return explicit or os.environ.get("POLICY_PRECISION") or \
        file_settings().get("model", {}).get("precision")


def load_embedder(model: str | None = None, precision: str | None = None):
    """The configured embedding model, prepared (converted) if it is the missing default."""
    from indexer.index.embed import Embedder, ensure_model, resolve_model

    spec = resolve_model(model_name(model), model_precision(precision))
    ensure_model(spec)
    return Embedder(spec)
