"""Sentence vectors computed at build time, so that answering a question needs no passage encoding.

An answer quotes sentences of the retrieved clauses, ranked by their cosine with the question.
Encoding a dozen sentences per question on one CPU thread costs ~0.4 s; encoded in bulk at build
time they cost ~6 ms each, once. The vectors live beside the index versions in
``<index_dir>/sentence-vectors.npz`` (keys: a hash of model id + sentence text), are carried over
between builds for unchanged sentences, and are optional: a sentence without a stored vector is
encoded when asked.
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from indexer.text.sentences import split_sentences

FILE = "sentence-vectors.npz"
ENABLED = True  # benchmarks switch it off to measure answering without stored vectors
STEP = 512  # sentences embedded between two progress reports


def sentence_key(text: str, model_id: str) -> str:
    return hashlib.sha1(f"{model_id}\n{text}".encode("utf-8")).hexdigest()[:20]


def clause_sentences(texts: Iterable[str]) -> list[str]:
    """The distinct sentences answers may quote from these clause texts (same splitter)."""
    return list(dict.fromkeys(s for t in texts for s in split_sentences(t)))


def _read(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            return data["keys"], data["vectors"]
    except (OSError, KeyError, ValueError):
        return None  # absent or damaged: rebuilt from scratch


def update(index_dir: Path, clause_texts: Iterable[str], embedder,
           progress: Callable[[str, int, int], None] | None = None, force: bool = False) -> int:
    """Store a vector for every sentence of the clauses; returns how many were newly embedded
    (``force``: every one, none carried over)."""
    path = Path(index_dir) / FILE
    for stale in Path(index_dir).glob(f".{FILE}.*.tmp.npz"):  # left by a killed build (build lock held)
        stale.unlink(missing_ok=True)
    sentences = clause_sentences(clause_texts)
    keys = [sentence_key(s, embedder.model_id) for s in sentences]
    old = None if force else _read(path)
    known = {str(k): i for i, k in enumerate(old[0])} if old is not None else {}
    vectors = np.zeros((len(sentences), embedder.dim), dtype=np.float32)
    todo = []
    for row, key in enumerate(keys):
        if key in known:
            vectors[row] = old[1][known[key]]
        else:
            todo.append(row)
    if not todo and old is not None and len(known) == len(keys):
        return 0  # exactly the stored sentences
    progress = progress or (lambda stage, done, total: None)
    for start in range(0, len(todo), STEP):
        rows = todo[start:start + STEP]
        progress("sentences", start, len(todo))
        vectors[rows] = embedder.encode_passages([sentences[r] for r in rows])
    progress("sentences", len(todo), len(todo))
    temp = path.with_name(f".{FILE}.{os.getpid()}.tmp.npz")
    np.savez(temp, keys=np.array(keys, dtype="U20"), vectors=vectors)
    os.replace(temp, path)
    return len(todo)


class SentenceVectors:
    """The stored sentence vectors of one index folder (reloaded when the file changes)."""

    def __init__(self, index_dir: Path, model_id: str):
        self.path = Path(index_dir) / FILE
        self.model_id = model_id
        self._stamp: tuple | None = None
        self._rows: dict[str, int] = {}
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return
        data = _read(self.path) if stamp else None
        self._rows = {str(k): i for i, k in enumerate(data[0])} if data else {}
        self._vectors = data[1] if data else np.zeros((0, 0), dtype=np.float32)
        self._stamp = stamp

    def available(self) -> bool:
        """Whether vectors are stored (and in use)."""
        if not ENABLED:
            return False
        with self._lock:
            self._refresh()
            return bool(self._rows)

    def lookup(self, sentences: list[str]) -> tuple[np.ndarray | None, list[int]]:
        """(vectors with a row per sentence, rows still missing); None when nothing is stored."""
        if not ENABLED:
            return None, list(range(len(sentences)))
        with self._lock:
            self._refresh()
            rows, vectors = self._rows, self._vectors
        if not rows:
            return None, list(range(len(sentences)))
        out = np.zeros((len(sentences), vectors.shape[1]), dtype=np.float32)
        missing = []
        for i, s in enumerate(sentences):
            row = rows.get(sentence_key(s, self.model_id))
            if row is None:
                missing.append(i)
            else:
                out[i] = vectors[row]
        return out, missing


_OPEN: dict[tuple[str, str], SentenceVectors] = {}


def open_vectors(index_dir: Path, model_id: str) -> SentenceVectors:
    key = (str(index_dir), model_id)
    if key not in _OPEN:
        _OPEN[key] = SentenceVectors(Path(index_dir), model_id)
    return _OPEN[key]
