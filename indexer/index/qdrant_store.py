"""The index in Qdrant: one collection per build, published by switching an alias.

Everything search needs lives in Qdrant, so any number of stateless search processes can
serve it: clause points (named dense vector, cosine; named sparse vector ``bm25`` with the
IDF modifier carrying the product's own underthesea BM25 tokens; the clause and its
document's filter fields as payload), one point per document (metadata and cleaned text)
and ``meta`` points (manifest, BM25 and query statistics). The index folder keeps only a
manifest saying where the store is (store = qdrant, location, alias), so ``--index-dir``
works unchanged.

A build writes a complete new collection ``<alias>-<stamp>`` and only then moves the alias
onto it (one atomic alias operation), so a build killed at any moment leaves the previous
collection live and unchanged. Old collections are pruned after the switch.

``location`` is a URL (a Qdrant server or cluster) or a folder (the client's local mode:
same API, one process at a time, a brute-force engine meant for tests and small corpora).
"""
from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Iterable

import numpy as np

from indexer import settings
from indexer.errors import PolicySearchError
from indexer.records import DocumentMeta

DEFAULT_ALIAS = "policy-search"
DENSE, SPARSE = "dense", "bm25"
K1, B = 1.5, 0.75  # BM25 saturation, as bm25s (lucene variant) uses
KEEP = 2  # collections kept: the live one and the one before
BATCH = 256
STATS_PIECE = 4_000_000  # characters of statistics JSON per meta point
FILTER_FIELDS = ("doc_id", "kind", "province", "province_current", "locality", "level",
                 "doc_type", "year")
_NS = uuid.UUID("6f1c8f4e-3c1e-4a53-9a43-7e0f5e2c9b11")


class QdrantStoreError(PolicySearchError):
    """Qdrant cannot be reached, or holds no usable index at the configured place."""

    code = "qdrant"


# -- where the store is --------------------------------------------------------

def is_url(location: str) -> bool:
    return "://" in str(location)


def normalise_location(location: str | Path, index_dir: Path) -> str:
    """A URL as given; a folder made absolute (the default is ``<index_dir>/qdrant``)."""
    text = str(location or "").strip()
    if not text:
        return str((Path(index_dir) / "qdrant").resolve())
    return text.rstrip("/") if is_url(text) else str(Path(text).expanduser().resolve())


def publish_pointer(index_dir: Path, manifest: dict, name: str) -> None:
    """Make ``index_dir`` point at the new build: a version folder holding only its manifest
    (store = qdrant, location, alias), switched to like an embedded version."""
    from indexer.index.store import _fsync_dir, _switch_current, prune_versions

    versions = Path(index_dir) / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    tmp = versions / f".tmp-{name}"
    tmp.mkdir(exist_ok=True)
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, versions / name)
    _fsync_dir(versions)
    _switch_current(Path(index_dir), name)
    prune_versions(Path(index_dir))


def live_pointer(index_dir: Path):
    """The live manifest of ``index_dir`` when it names a Qdrant store, else None."""
    from indexer.index.store import IndexProblem, current_version_path, read_manifest

    try:
        manifest = read_manifest(current_version_path(Path(index_dir)))
    except IndexProblem:
        return None
    return manifest if manifest.store == "qdrant" else None


# -- connecting ----------------------------------------------------------------

_CLIENTS: dict[str, object] = {}
_CLIENTS_LOCK = threading.Lock()


@atexit.register
def close_all() -> None:
    """Close every client (local mode releases its folder; no noise at interpreter exit)."""
    for location in list(_CLIENTS):
        close_client(location)


def client_for(location: str):
    """One client per location and process (local mode allows a single client per folder)."""
    with _CLIENTS_LOCK:
        if location not in _CLIENTS:
            _CLIENTS[location] = _connect(location)
        return _CLIENTS[location]


def close_client(location: str) -> None:
    """Close and forget the client of a location (releases a local folder for other processes)."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.pop(location, None)
    if client is not None:
        client.close()


def _connect(location: str):
    from qdrant_client import QdrantClient

    hint = _fix_hint(location)
    try:
        if is_url(location):
            client = QdrantClient(url=location, timeout=settings.qdrant_timeout(),
                                  api_key=settings.qdrant_api_key(),
                                  check_compatibility=False)
        else:
            client = QdrantClient(path=location)
        client.get_collections()  # reach the server now, not at the first query
    except Exception as exc:  # noqa: BLE001 - every failure becomes one clear line
        raise QdrantStoreError(_describe(location, exc), hint) from None
    return client


def _describe(location: str, exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "already accessed by another instance" in text:
        return (f"Thư mục Qdrant {location} đang được một tiến trình khác dùng / the local Qdrant "
                f"folder {location} is in use by another process")
    if "Unexpected Response" in text:
        return (f"{location} trả lời nhưng không phải máy chủ Qdrant / {location} answered but is "
                f"not a Qdrant server ({text[:120]})")
    return (f"Không kết nối được Qdrant tại {location} / cannot reach Qdrant at {location} "
            f"({text[:160]})")


def _fix_hint(location: str) -> str:
    if is_url(location):
        return ("Start the server (docker run -p 6333:6333 qdrant/qdrant) or correct the URL: "
                "--qdrant-location http://HOST:6333 (or POLICY_QDRANT_LOCATION); nothing was changed.")
    return ("Local mode lets one process open a folder at a time: close the other program, or "
            "use a Qdrant server (--qdrant-location http://HOST:6333); nothing was changed.")


def call(location: str, what: str, fn, *args, **kwargs):
    """Run a client call; a transport or server failure becomes a QdrantStoreError."""
    try:
        return fn(*args, **kwargs)
    except PolicySearchError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise QdrantStoreError(f"Qdrant ({location}) failed while {what}: "
                               f"{str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}",
                               _fix_hint(location)) from None


# -- ids and sparse vectors ---------------------------------------------------

def point_id(kind: str, key: str) -> str:
    """Stable point id of a clause, a document or a meta part."""
    return str(uuid.uuid5(_NS, f"{kind}:{key}"))


def _hash32(token: str, salt: int = 0) -> int:
    data = token.encode("utf-8") + (b"\x00" + str(salt).encode() if salt else b"")
    return int.from_bytes(hashlib.blake2b(data, digest_size=4).digest(), "big")


def token_ids(vocabulary: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
    """token → sparse index: a 32-bit blake2b hash; the rare token whose hash is taken by
    another (in sorted order) is rehashed with a salt. Returns (ids, overrides)."""
    ids: dict[str, int] = {}
    taken: set[int] = set()
    overrides: dict[str, int] = {}
    for token in sorted(set(vocabulary)):
        salt, value = 0, _hash32(token)
        while value in taken:
            salt += 1
            value = _hash32(token, salt)
        if salt:
            overrides[token] = value
        ids[token] = value
        taken.add(value)
    return ids, overrides


def lookup_id(token: str, overrides: dict[str, int]) -> int:
    return overrides.get(token, _hash32(token))


def sparse_doc(tokens: list[str], avgdl: float, overrides: dict[str, int]) -> tuple[list[int], list[float]]:
    """A clause's BM25 term weights (saturated tf; Qdrant's IDF modifier adds the idf)."""
    counts = Counter(t for t in tokens if t)
    norm = K1 * (1 - B + B * len(tokens) / avgdl) if avgdl else K1
    pairs = sorted((lookup_id(t, overrides), n / (n + norm)) for t, n in counts.items())
    return [i for i, _ in pairs], [float(v) for _, v in pairs]


def sparse_query(tokens: list[str], vocab: dict, overrides: dict[str, int]) -> tuple[list[int], list[float]]:
    """Query weights: how often each indexed token occurs (unknown tokens cannot match)."""
    counts = Counter(t for t in tokens if t in vocab)
    pairs = sorted((lookup_id(t, overrides), float(n)) for t, n in counts.items())
    return [i for i, _ in pairs], [v for _, v in pairs]


# -- schema and writing ----------------------------------------------------------

def document_fields(meta: DocumentMeta) -> dict:
    """Filterable fields of a document, copied onto each of its clauses."""
    return {"doc_id": meta.doc_id, "province": meta.province, "province_current": meta.province_current,
            "locality": meta.locality, "level": meta.level, "doc_type": meta.doc_type,
            "year": _year(meta)}


def _year(meta: DocumentMeta) -> int | None:
    """Year of issue for server-side filters (search filters on the documents it holds)."""
    if meta.date:
        return int(meta.date[:4])
    found = next((re.search(r"year (\d{4})", w) for w in meta.warnings if re.search(r"year (\d{4})", w)), None)
    return int(found.group(1)) if found else None


def create_collection(client, name: str, dim: int, location: str) -> None:
    """A new collection: named dense (cosine) and sparse (IDF) vectors, payload indexes; on a
    server, shards, replicas, quantisation and on-disk payload from the settings."""
    import warnings

    from qdrant_client import models as m

    from indexer.settings import qdrant_collection_options

    options = qdrant_collection_options() if is_url(location) else {}
    quantization = {"int8": m.ScalarQuantization(scalar=m.ScalarQuantizationConfig(
                        type=m.ScalarType.INT8, quantile=0.99, always_ram=True)),
                    "binary": m.BinaryQuantization(binary=m.BinaryQuantizationConfig(always_ram=True)),
                    }.get(options.get("quantization", "none"))
    extra = {k: v for k, v in (("shard_number", options.get("shards")),
                               ("replication_factor", options.get("replicas")),
                               ("on_disk_payload", options.get("on_disk_payload"))) if v is not None}
    call(location, "creating a collection", client.create_collection, name,
         vectors_config={DENSE: m.VectorParams(size=dim, distance=m.Distance.COSINE,
                                               on_disk=True if quantization else None)},
         sparse_vectors_config={SPARSE: m.SparseVectorParams(modifier=m.Modifier.IDF)},
         quantization_config=quantization, **extra)
    with warnings.catch_warnings():  # local mode warns that it ignores payload indexes
        warnings.simplefilter("ignore")
        for field in FILTER_FIELDS:
            schema = m.PayloadSchemaType.INTEGER if field == "year" else m.PayloadSchemaType.KEYWORD
            call(location, "indexing payload", client.create_payload_index, name, field, schema)


def write_collection(location: str, alias: str, manifest: dict, documents: list[DocumentMeta],
                     raw_documents: dict[str, dict], texts: dict[str, str], stored: list,
                     vectors: np.ndarray) -> str:
    """Write a complete new collection, then switch the alias to it; returns its name."""
    from qdrant_client import models as m

    client = client_for(location)
    name = f"{alias}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    create_collection(client, name, int(manifest["dim"]), location)
    lengths = [len(s.tokens) for s in stored]
    avgdl = float(np.mean(lengths)) if lengths else 0.0
    vocab = Counter(t for s in stored for t in set(s.tokens) if t)
    _, overrides = token_ids(vocab)
    by_id = {d.doc_id: d for d in documents}
    fields = {d.doc_id: document_fields(d) for d in documents}
    for start in range(0, len(stored), BATCH):
        points = []
        for row in range(start, min(start + BATCH, len(stored))):
            s = stored[row]
            indices, values = sparse_doc(s.tokens, avgdl, overrides)
            payload = {"kind": "clause", **fields[s.chunk.doc_id], "chunk": asdict(s.chunk),
                       "embed_hash": s.embed_hash}
            points.append(m.PointStruct(
                id=point_id("clause", s.chunk.chunk_id), payload=payload,
                vector={DENSE: np.asarray(vectors[row], dtype=np.float32).tolist(),
                        SPARSE: m.SparseVector(indices=indices, values=values)}))
        call(location, "writing clauses", client.upsert, name, points, wait=True)
    doc_points = [m.PointStruct(id=point_id("doc", d.doc_id), vector={},
                                payload={"kind": "doc", **fields[d.doc_id], "meta": asdict(d),
                                         "raw_meta": raw_documents[d.doc_id], "text": texts[d.doc_id]})
                  for d in by_id.values()]
    for start in range(0, len(doc_points), BATCH):
        call(location, "writing documents", client.upsert, name, doc_points[start:start + BATCH], wait=True)
    stats = {"vocab": dict(sorted(vocab.items())), "query": query_stats(stored, vocab)}
    meta_points = _meta_points(manifest, overrides, avgdl, len(stored), stats)
    for start in range(0, len(meta_points), 4):
        call(location, "writing the manifest", client.upsert, name, meta_points[start:start + 4], wait=True)
    switch_alias(client, location, alias, name)
    prune(location, alias)
    return name


def _meta_points(manifest: dict, overrides: dict[str, int], avgdl: float, n_clauses: int,
                 stats: dict) -> list:
    """The manifest, then the statistics (BM25 vocabulary, query understanding) as JSON split
    over payload-only points; the head point is written last, so it marks a complete build."""
    from qdrant_client import models as m

    blob = json.dumps(stats, ensure_ascii=False, separators=(",", ":"))
    pieces = [blob[i:i + STATS_PIECE] for i in range(0, len(blob), STATS_PIECE)] or [""]
    points = [m.PointStruct(id=point_id("meta", str(i)), vector={},
                            payload={"kind": "meta", "part": i, "blob": piece})
              for i, piece in enumerate(pieces, start=1)]
    head = {"kind": "meta", "part": 0, "parts": len(pieces), "manifest": manifest,
            "overrides": overrides, "avgdl": avgdl, "n_clauses": n_clauses}
    return points + [m.PointStruct(id=point_id("meta", "0"), vector={}, payload=head)]


def switch_alias(client, location: str, alias: str, name: str) -> None:
    """Point ``alias`` at ``name`` in one atomic operation (delete + create together)."""
    from qdrant_client import models as m

    operations = []
    if alias_target(client, location, alias):
        operations.append(m.DeleteAliasOperation(delete_alias=m.DeleteAlias(alias_name=alias)))
    operations.append(m.CreateAliasOperation(create_alias=m.CreateAlias(collection_name=name,
                                                                        alias_name=alias)))
    call(location, "switching the alias", client.update_collection_aliases,
         change_aliases_operations=operations)


def alias_target(client, location: str, alias: str) -> str | None:
    aliases = call(location, "reading aliases", client.get_aliases).aliases
    return next((a.collection_name for a in aliases if a.alias_name == alias), None)


def prune(location: str, alias: str, keep: int = KEEP) -> list[str]:
    """Delete this alias's old builds (keeping the live one and the newest others) and
    abandoned half-written ones; returns the names deleted."""
    client = client_for(location)
    live = alias_target(client, location, alias)
    names = sorted(c.name for c in call(location, "listing collections", client.get_collections).collections
                   if c.name.startswith(f"{alias}-") and c.name[len(alias) + 1:][:1].isdigit())
    complete = [n for n in names if n == live or _is_complete(client, location, n)]
    keepers = {live} | set(complete[-keep:]) if live else set(names)
    doomed = [n for n in names if n not in keepers]
    for name in doomed:
        call(location, "deleting an old collection", client.delete_collection, name)
    return doomed


def _is_complete(client, location: str, name: str) -> bool:
    """Whether a collection got as far as its manifest (written last)."""
    points = call(location, "reading a manifest", client.retrieve, name, [point_id("meta", "0")],
                  with_payload=["kind"])
    return bool(points)


def query_stats(stored: list, vocab: Counter) -> dict:
    """Query-understanding statistics of a build, stored with it (computed once, here)."""
    from indexer.index.backend import QueryStats

    return QueryStats.from_texts([s.chunk.text for s in stored], set(vocab)).to_json()
