"""Settings: the one place that reads environment variables and ``policy-search.toml``, and
defines every limit and choice list once.

Order of precedence: explicit argument (``--index-dir``, ``--model`` …), environment variable
(``POLICY_INDEX_DIR``, ``POLICY_CORPUS_DIR``, ``POLICY_MODEL``, ``POLICY_PRECISION``,
``POLICY_MODELS_DIR``, ``POLICY_SHARED_DIR``, ``POLICY_STORE``, ``POLICY_QDRANT_LOCATION``,
``POLICY_QDRANT_ALIAS``, ``POLICY_LLM_ENDPOINT``,
``POLICY_LLM_MODEL``), the config file ``policy-search.toml`` in the working directory (or
``POLICY_CONFIG``), then the defaults below.
"""
from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

from indexer.errors import SettingsError

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = "policy-search.toml"
DEFAULT_INDEX_DIR = ".index"
DEFAULT_CORPUS_DIR = "corpus"
CORRECTIONS_FILE = "metadata.csv"  # per-corpus metadata corrections, not a document

# -- files ---------------------------------------------------------------------------------
MB = 2**20
MAX_FILE_BYTES = 50 * MB  # largest file read into the index (bigger ones are skipped)
MAX_UPLOAD_BYTES = MAX_FILE_BYTES  # largest upload; .streamlit/config.toml maxUploadSize agrees
MAX_NAME_BYTES = 180  # longest saved upload name, in UTF-8 bytes
SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
UPLOAD_TYPES = tuple(s.lstrip(".") for s in SUPPORTED_SUFFIXES)  # for the upload widget

# -- queries and results -------------------------------------------------------------------
MAX_QUERY_CHARS = 2000  # longer queries are cut
MAX_K = 200  # most clauses one search returns
ANSWER_K = 8  # clauses an answer reads
MAX_CLAUSES_PER_DOC = 5000  # more clauses than this: the document is refused (split it); ≈ 30 min of embedding
MAX_CLAUSE_CHARS = 600  # clause size cap when chunking (≈ 150 model tokens)
MIN_CLAUSE_CHARS = 60  # smaller fragments join a neighbour
MAX_EVIDENCE = 60  # evidence rows shown per topic table
SEARCH_MODES = ("hybrid", "dense", "bm25")
COMPARE_BY = ("province", "document")
EXPORT_FORMATS = ("csv", "xlsx", "docx", "md", "json")

# -- model and index -----------------------------------------------------------------------
DEFAULT_MODEL = "multilingual-e5-small"
PRECISIONS = ("fp32", "int8", "bf16")
DEFAULT_PRECISION = "bf16"  # measured: same dev-set quality as fp32, ~2.4x faster (CPU autocast)
INDEX_TYPES = ("flat", "hnsw", "ivfpq")
DEFAULT_INDEX_TYPE = "flat"
STORES = ("embedded", "qdrant")
DEFAULT_STORE = "embedded"


@lru_cache(maxsize=4)
def _file_settings(path: str) -> dict:
    p = Path(path)
    if not p.exists():
        return {}
    try:
        with p.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}", "fix or remove the config file") from exc


def env(name: str) -> str | None:
    """An environment variable, None when unset or blank."""
    value = os.environ.get(name)
    return value if value and value.strip() else None


def file_settings() -> dict:
    """Settings from the TOML config file (empty when there is none)."""
    return _file_settings(env("POLICY_CONFIG") or CONFIG_FILE)


def _section(name: str) -> dict:
    value = file_settings().get(name, {})
    return value if isinstance(value, dict) else {}


def _choice(value: str | None, choices: tuple[str, ...], what: str) -> str | None:
    if value is not None and value not in choices:
        raise SettingsError(f"unknown {what} {value!r}", f"choose one of {', '.join(choices)}")
    return value


def index_dir(explicit: str | Path | None = None) -> Path:
    value = explicit or env("POLICY_INDEX_DIR") or file_settings().get("index_dir")
    return Path(value or DEFAULT_INDEX_DIR)


def corpus_dir(explicit: str | Path | None = None) -> Path:
    value = explicit or env("POLICY_CORPUS_DIR") or file_settings().get("corpus_dir")
    return Path(value or DEFAULT_CORPUS_DIR)


def models_dir() -> Path:
    """Folder holding converted/local models: $POLICY_MODELS_DIR or <repo>/models."""
    return Path(env("POLICY_MODELS_DIR") or REPO_ROOT / "models")


def shared_dir(explicit: str | Path | None = None) -> Path:
    """Shared evaluation data (seeds, dev set, real documents): $POLICY_SHARED_DIR or <repo>/../shared."""
    value = explicit or env("POLICY_SHARED_DIR") or file_settings().get("shared_dir")
    return Path(value) if value else REPO_ROOT.parent / "shared"


def model_name(explicit: str | None = None) -> str | None:
    """Configured model name or path; None means the default model."""
    return explicit or env("POLICY_MODEL") or _section("model").get("name")


def model_precision(explicit: str | None = None) -> str | None:
    """Configured precision (fp32 | int8 | bf16); None means the default."""
    value = explicit or env("POLICY_PRECISION") or _section("model").get("precision")
    return _choice(value, PRECISIONS, "precision")


def index_type(explicit: str | None = None) -> str:
    value = explicit or _section("index").get("type") or DEFAULT_INDEX_TYPE
    return _choice(value, INDEX_TYPES, "index type")


def store(explicit: str | None = None) -> str:
    """Where a build is written: the embedded store (default) or Qdrant (`qdrant_location`)."""
    value = explicit or env("POLICY_STORE") or _section("index").get("store") or DEFAULT_STORE
    return _choice(value, STORES, "store")


def qdrant_location(explicit: str | None = None) -> str | None:
    """Qdrant for ``store = "qdrant"``: a URL (server or cluster) or a folder (the client's local
    mode); None means ``<index_dir>/qdrant``."""
    return (explicit or env("POLICY_QDRANT_LOCATION") or env("POLICY_QDRANT_URL")
            or _section("qdrant").get("location") or _section("qdrant").get("url"))


QDRANT_QUANTIZATION = ("none", "int8", "binary")


def qdrant_collection_options() -> dict:
    """How new Qdrant collections are laid out on a server/cluster (local mode ignores it):
    [qdrant] shards, replicas, quantization (none | int8 | binary), on_disk_payload; or
    POLICY_QDRANT_SHARDS, POLICY_QDRANT_REPLICAS, POLICY_QDRANT_QUANTIZATION."""
    section = _section("qdrant")
    out = {}
    for key, var in (("shards", "POLICY_QDRANT_SHARDS"), ("replicas", "POLICY_QDRANT_REPLICAS")):
        value = env(var) or section.get(key)
        if value is not None:
            try:
                out[key] = int(value)
            except (TypeError, ValueError):
                raise SettingsError(f"{var} / [qdrant] {key} must be a whole number, got {value!r}") from None
    out["quantization"] = _choice(env("POLICY_QDRANT_QUANTIZATION") or section.get("quantization") or "none",
                                  QDRANT_QUANTIZATION, "quantization")
    out["on_disk_payload"] = bool(section.get("on_disk_payload", True))
    return out


def qdrant_timeout() -> float:
    """Seconds to wait for a Qdrant server (POLICY_QDRANT_TIMEOUT or [qdrant] timeout; 10)."""
    value = env("POLICY_QDRANT_TIMEOUT") or _section("qdrant").get("timeout") or 10
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"POLICY_QDRANT_TIMEOUT must be a number of seconds, got {value!r}") from None


def qdrant_api_key() -> str | None:
    """API key of a Qdrant server or cluster (POLICY_QDRANT_API_KEY); None for none."""
    return env("POLICY_QDRANT_API_KEY") or _section("qdrant").get("api_key") or None


def qdrant_alias(explicit: str | None = None) -> str | None:
    """The alias searches follow (each build is a new collection behind it)."""
    return explicit or env("POLICY_QDRANT_ALIAS") or _section("qdrant").get("alias")


def llm_endpoint(explicit: str | None = None) -> str | None:
    """OpenAI-compatible chat endpoint for generated answers; None (the default) = extractive only."""
    return explicit or env("POLICY_LLM_ENDPOINT") or _section("llm").get("endpoint")


def llm_model(explicit: str | None = None) -> str | None:
    return explicit or env("POLICY_LLM_MODEL") or _section("llm").get("model")


def llm_timeout() -> float:
    value = env("POLICY_LLM_TIMEOUT") or _section("llm").get("timeout") or 30
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"POLICY_LLM_TIMEOUT must be a number of seconds, got {value!r}") from None

