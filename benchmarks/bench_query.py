"""Latency of warm single queries: on the real corpus, and at 10k / 100k / 1M clauses.

Part 1 — corpus/: the full `SearchEngine.search` path (query understanding, query embedding with
the real model, FAISS + BM25, fusion, near-duplicate grouping, citations) for every dev-set
query, p50/p95, with torch's default thread count and with one thread.

Part 2 — synthetic scale. Nothing is embedded a million times: clause vectors are made by mixing
two real clause vectors plus noise (normalised), clause tokens by varying real clause token lists
(tokens dropped, tokens from other clauses added, one synthetic place-name token). At each size
the FAISS index is built with `indexer.index.store.build_dense_index` (flat = exact, hnsw, ivfpq) and
the BM25 index is a real `bm25s.BM25` (built by bm25s itself up to 100k clauses; at 1M its
score matrix is computed with numpy by the same formula — checked equal to bm25s at 10k — because
bm25s's Python-list indexing would need many GB). Timed per query, with the real query embedding
(real model) of the dev-set queries:

    embed (model) + dense top-100 (`SearchEngine.dense_scores`) + BM25 top-100
    (`search.retrieve.sparse`: bm25s get_scores) + `reciprocal_rank_fusion`

Building results (citations, highlights, grouping) touches only the ~200 fused candidates, so its
cost does not grow with the corpus; it is part of the corpus/ numbers. Build times, index sizes
and process memory (RSS) are reported; ANN recall@100 is measured against the exact index.

    .venv/bin/python -m benchmarks.bench_query [--sizes 10000 100000 1000000] [--types flat hnsw ivfpq]
        [--index-dir DIR] [--repeat N] [--skip-corpus] [--hnsw-budget SECONDS]

Results are printed and written to benchmarks/results/bench_query.json.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.harness import ROOT, dev_set, write_results

from indexer.index.build import build_index
from indexer.index.embed import load_embedder
from indexer.index.backend import QueryStats
from indexer.search import retrieve
from indexer.search.engine import SearchEngine, reciprocal_rank_fusion
from indexer.index.store import IndexProblem, build_dense_index, load_index

RESULTS = ROOT / "benchmarks" / "results" / "bench_query.json"
DEV = dev_set()
FALLBACK_QUERIES = [
    "không gian ngầm đô thị", "tỷ lệ đô thị hóa năm 2030", "nhà ở xã hội", "khong gian ngam",
    "phát triển đô thị theo định hướng giao thông công cộng TOD", "ngầm hóa đường dây điện",
    "chuyển đổi số trong quản lý đô thị", "underground space planning", "đô thị thông minh",
    "Quảng Ngãi phủ kín quy hoạch phân khu", "vành đai xanh", "phân loại rác tại nguồn",
]
K1, B = 1.5, 0.75  # bm25s defaults (method "lucene")


# --------------------------------------------------------------------------- helpers


def rss_mb() -> dict:
    """Current and peak resident set size of this process, in MB."""
    status = Path("/proc/self/status").read_text()
    value = lambda key: int(next(line.split()[1] for line in status.splitlines()
                                 if line.startswith(key))) / 1024
    return {"rss_mb": round(value("VmRSS:"), 1), "peak_rss_mb": round(value("VmHWM:"), 1)}


def stats(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"n": len(a), "p50_ms": round(float(np.percentile(a, 50)), 2),
            "p95_ms": round(float(np.percentile(a, 95)), 2), "mean_ms": round(float(a.mean()), 2),
            "max_ms": round(float(a.max()), 2)}


def load_queries(limit: int | None) -> list[str]:
    if DEV.exists():
        queries = [json.loads(line)["query"] for line in DEV.read_text(encoding="utf-8").splitlines()
                   if line.strip()]
    else:
        queries = FALLBACK_QUERIES
    return queries[:limit] if limit else queries


def set_threads(n: int | None) -> int:
    import torch

    if n:
        torch.set_num_threads(n)
    return torch.get_num_threads()


class FixedVectors:
    """Stands in for the embedder inside `dense_scores` with vectors computed beforehand, so the
    model's time is measured separately (it is added back to every total)."""

    def __init__(self, embedder, queries: list[str]):
        self.vectors = {q: embedder.encode_queries([q])[0] for q in queries}  # one at a time, as served

    def encode_queries(self, texts):
        return np.stack([self.vectors[t] for t in texts])


# --------------------------------------------------------------------------- part 1: corpus


def corpus_part(index_dir: Path, embedder, queries: list[str], repeat: int) -> dict:
    engine = SearchEngine(index_dir, embedder)
    version = engine.version
    for q in queries:  # warm: first calls load underthesea, build the accent restorer, …
        engine.search(q)
    out = {"clauses": len(version.chunks), "documents": len(version.documents),
           "index_type": version.manifest.index_type,
           "note": "below 1,000 clauses build_dense_index always uses the exact (flat) index, so "
                   "exact and ANN are the same here", "runs": {}}
    default_threads = set_threads(None)
    for threads in (default_threads, 1):
        set_threads(threads)
        total, embed = [], []
        for _ in range(repeat):
            for q in queries:
                t0 = time.perf_counter()
                engine.search(q)
                t1 = time.perf_counter()
                embedder.encode_queries([engine.understand(q, version)])
                t2 = time.perf_counter()
                total.append((t1 - t0) * 1000)
                embed.append((t2 - t1) * 1000)
        out["runs"][f"torch_threads_{threads}"] = {"search": stats(total), "query_embedding": stats(embed),
                                                   "load_avg_1m": round(os.getloadavg()[0], 2)}
        s = out["runs"][f"torch_threads_{threads}"]["search"]
        print(f"corpus/ ({out['clauses']} clauses), torch threads {threads}: search p50 {s['p50_ms']} ms"
              f"  p95 {s['p95_ms']} ms  (query embedding p50 "
              f"{out['runs'][f'torch_threads_{threads}']['query_embedding']['p50_ms']} ms)")
    set_threads(default_threads)
    out["index_bytes_on_disk"] = sum(p.stat().st_size for p in version.path.rglob("*") if p.is_file())
    out["memory"] = rss_mb()
    return out


# --------------------------------------------------------------------------- part 2: synthetic


class Seeds:
    """Real clause vectors and token lists to vary."""

    def __init__(self, version):
        self.vectors = np.ascontiguousarray(version.vectors, dtype=np.float32)
        self.vocab: dict[str, int] = {}
        ids = [np.array([self.vocab.setdefault(t, len(self.vocab)) for t in tokens], dtype=np.int32)
               for tokens in version.tokens]
        self.flat = np.concatenate(ids)
        self.lens = np.array([len(a) for a in ids], dtype=np.int64)
        self.offs = np.cumsum(self.lens) - self.lens
        self.n_real_vocab = len(self.vocab)


PLACES = 50_000  # synthetic place-name tokens ("~xa123"), one per clause
EXTRA = 10  # real tokens from other clauses added to each clause
KEEP = 0.8  # share of the base clause's tokens kept


def synth_vectors(seeds: Seeds, n: int, rng: np.random.Generator, block: int = 100_000) -> np.ndarray:
    out = np.empty((n, seeds.vectors.shape[1]), dtype=np.float32)
    for start in range(0, n, block):
        m = min(block, n - start)
        a = seeds.vectors[rng.integers(0, len(seeds.vectors), m)]
        b = seeds.vectors[rng.integers(0, len(seeds.vectors), m)]
        w = rng.uniform(0.5, 1.0, (m, 1)).astype(np.float32)
        x = w * a + (1 - w) * b + rng.normal(0, 0.02, a.shape).astype(np.float32)
        out[start:start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def synth_tokens_block(seeds: Seeds, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(doc, token id) of m synthetic clauses, docs numbered 0..m-1, in doc order."""
    base = rng.integers(0, len(seeds.lens), m)
    lens = seeds.lens[base]
    doc = np.repeat(np.arange(m, dtype=np.int64), lens)
    first = np.repeat(np.cumsum(lens) - lens, lens)
    tok = seeds.flat[np.repeat(seeds.offs[base], lens) + (np.arange(lens.sum()) - first)]
    keep = rng.random(len(tok)) < KEEP
    doc = np.concatenate([doc[keep], np.repeat(np.arange(m), EXTRA), np.arange(m)])
    tok = np.concatenate([tok[keep], seeds.flat[rng.integers(0, len(seeds.flat), m * EXTRA)],
                          (seeds.n_real_vocab + rng.integers(0, PLACES, m)).astype(np.int32)])
    order = np.argsort(doc, kind="stable")
    return doc[order], tok[order]


def vocab_of(seeds: Seeds) -> dict[str, int]:
    vocab = dict(seeds.vocab)
    for k in range(PLACES):
        vocab[f"~xa{k}"] = seeds.n_real_vocab + k
    return vocab


def bm25_native(seeds: Seeds, n: int, seed: int):
    """The bm25s index built by bm25s itself from per-clause token-id lists."""
    import bm25s

    rng = np.random.default_rng(seed)
    docs: list[list[int]] = []
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        doc, tok = synth_tokens_block(seeds, m, rng)
        bounds = np.flatnonzero(np.diff(doc)) + 1
        docs += [part.tolist() for part in np.split(tok, bounds)]
    retriever = bm25s.BM25()
    retriever.index((docs, vocab_of(seeds)), show_progress=False)
    return retriever


def bm25_numpy(seeds: Seeds, n: int, seed: int):
    """The same bm25s index (lucene BM25, k1=1.5, b=0.75), its score matrix computed with numpy."""
    import bm25s

    rng = np.random.default_rng(seed)
    n_vocab = seeds.n_real_vocab + PLACES
    docs, toks, tfs, lengths = [], [], [], []
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        doc, tok = synth_tokens_block(seeds, m, rng)
        keys, counts = np.unique(doc * n_vocab + tok, return_counts=True)
        docs.append((keys // n_vocab + start).astype(np.int32))
        toks.append((keys % n_vocab).astype(np.int32))
        tfs.append(counts.astype(np.float32))
        lengths.append(np.bincount(doc, minlength=m))
        del doc, tok, keys, counts
    doc, tok, tf = np.concatenate(docs), np.concatenate(toks), np.concatenate(tfs)
    del docs, toks, tfs
    dl = np.concatenate(lengths).astype(np.float32)
    df = np.bincount(tok, minlength=n_vocab).astype(np.float64)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    score = idf[tok] * tf / (K1 * ((1 - B) + B * dl[doc] / dl.mean()) + tf)
    del tf
    order = np.argsort(tok, kind="stable")  # CSC by token; docs stay sorted within a token
    data, indices = score[order].astype(np.float32), doc[order].astype(np.int32)
    del score, order, doc
    indptr = np.concatenate([[0], np.cumsum(np.bincount(tok, minlength=n_vocab))]).astype(np.int64)
    del tok
    retriever = bm25s.BM25()
    retriever.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": n}
    retriever.vocab_dict = vocab_of(seeds)
    retriever.unique_token_ids_set = set(retriever.vocab_dict.values())
    retriever.nonoccurrence_array = None
    return retriever


def bm25_bytes(retriever) -> int:
    return sum(retriever.scores[k].nbytes for k in ("data", "indices", "indptr"))


def faiss_bytes(index) -> int:
    import faiss

    with tempfile.NamedTemporaryFile(dir="/tmp", suffix=".faiss") as handle:
        faiss.write_index(index, handle.name)
        return os.path.getsize(handle.name)


def build_hnsw(vectors: np.ndarray, m: int, ef_construction: int):
    """HNSW with a smaller graph than build_dense_index's (M=32, efConstruction=80)."""
    import faiss

    index = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    index.hnsw.efSearch = 128
    index.add(vectors)
    return index


class Synthetic:
    """The retrieval half of a Backend over synthetic clauses (clause ids are row numbers)."""

    def __init__(self, dense, bm25, n: int):
        self.dense, self.bm25, self.n = dense, bm25, n

    def dense_search(self, vector, k, doc_ids=None):
        scores, rows = self.dense.search(np.asarray(vector, dtype=np.float32).reshape(1, -1), min(k, self.n))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def sparse_search(self, tokens, k, doc_ids=None):
        scores = self.bm25.get_scores(tokens)
        top = np.argsort(-scores)[:k]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]

    def query_stats(self):
        return QueryStats(restorer=None, vocabulary=self.bm25.vocab_dict)


def time_queries(engine: SearchEngine, fixed: SearchEngine, version, understood: list[str],
                 embedder, repeat: int) -> tuple[dict, list[list[int]]]:
    parts = {"embed": [], "dense": [], "bm25": [], "fuse": [], "total": []}
    tops = []
    for r in range(repeat):
        for q in understood:
            t0 = time.perf_counter()
            embedder.encode_queries([q])
            t1 = time.perf_counter()
            dense = retrieve.dense(version, fixed.embedder, q, None)
            t2 = time.perf_counter()
            sparse = retrieve.sparse(version, q, None)
            t3 = time.perf_counter()
            reciprocal_rank_fusion([dense, sparse])
            t4 = time.perf_counter()
            for key, a, b in (("embed", t0, t1), ("dense", t1, t2), ("bm25", t2, t3), ("fuse", t3, t4),
                              ("total", t0, t4)):
                parts[key].append((b - a) * 1000)
            if r == 0:
                tops.append([row for row, _ in dense])
    return {k: stats(v) for k, v in parts.items()}, tops


def scale_part(base_version, embedder, queries: list[str], sizes: list[int], types: list[str],
               repeat: int, hnsw_budget: float, engine: SearchEngine) -> list[dict]:
    seeds = Seeds(base_version)
    understood = [engine.understand(q, base_version) for q in queries]
    fixed = SearchEngine(engine.index_dir, FixedVectors(embedder, understood), version=base_version)
    rows = []

    # the numpy BM25 builder reproduces bm25s exactly (checked on 10k clauses)
    check = min(10_000, max(sizes))
    native, mine = bm25_native(seeds, check, seed=1), bm25_numpy(seeds, check, seed=1)
    from indexer.search.engine import query_tokens
    worst = 0.0
    for q in understood:
        tokens = query_tokens(native.vocab_dict, q)
        if tokens:
            worst = max(worst, float(np.abs(native.get_scores(tokens) - mine.get_scores(tokens)).max()))
    print(f"numpy BM25 builder vs bm25s on {check} clauses: max score difference {worst:.2e}")
    del native, mine
    hnsw_rate = None  # vectors per second of the last HNSW build (M=32)

    for n in sizes:
        gc.collect()
        row = {"clauses": n, "bm25_check_max_diff": worst, "indexes": {}}
        rng = np.random.default_rng(n)
        t = time.perf_counter()
        vectors = synth_vectors(seeds, n, rng)
        row["vectors_seconds"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        bm25 = bm25_native(seeds, n, seed=n) if n <= 100_000 else bm25_numpy(seeds, n, seed=n)
        row["bm25"] = {"builder": "bm25s" if n <= 100_000 else "numpy (same formula)",
                       "build_seconds": round(time.perf_counter() - t, 1),
                       "bytes": bm25_bytes(bm25)}
        print(f"{n:>9} clauses: vectors {row['vectors_seconds']} s, BM25 {row['bm25']['builder']} "
              f"{row['bm25']['build_seconds']} s, {row['bm25']['bytes'] / 2**20:.0f} MB")
        exact_tops = None

        def sims(q: str, rows: list[int]) -> np.ndarray:  # exact cosine similarity, best first
            return np.sort(vectors[rows] @ fixed.embedder.vectors[q])[::-1]

        for index_type in types:
            gc.collect()
            label, t = index_type, time.perf_counter()
            if index_type == "hnsw" and hnsw_rate and n / hnsw_rate * 1.3 > hnsw_budget:
                label = "hnsw-M16-ef40"
                print(f"  HNSW (M=32, efConstruction=80) would take ~{n / hnsw_rate * 1.3:.0f} s here "
                      f"(budget {hnsw_budget:.0f} s): building M=16, efConstruction=40 instead")
                dense = build_hnsw(vectors, 16, 40)
            else:
                dense = build_dense_index(vectors, index_type)
            seconds = time.perf_counter() - t
            if label == "hnsw":
                hnsw_rate = n / seconds
            version = Synthetic(dense, bm25, n)
            timings, tops = time_queries(engine, fixed, version, understood, embedder, repeat)
            entry = {"build_seconds": round(seconds, 1), "bytes": faiss_bytes(dense),
                     "faiss_type": type(dense).__name__, **timings, **rss_mb(),
                     "load_avg_1m": round(os.getloadavg()[0], 2)}
            if index_type == "flat":
                exact_tops = tops
                gaps = [float(sims(q, rows)[0] - sims(q, rows)[-1]) for q, rows in zip(understood, tops)]
                entry["exact_similarity_1st_minus_100th"] = round(float(np.median(gaps)), 4)
            elif exact_tops is not None:
                entry["recall_at_100_vs_exact"] = round(float(np.mean(
                    [len(set(a) & set(b)) / max(len(b), 1) for a, b in zip(tops, exact_tops)])), 4)
                entry["recall_at_10_vs_exact"] = round(float(np.mean(
                    [len(set(a[:10]) & set(b[:10])) / 10 for a, b in zip(tops, exact_tops)])), 4)
                # near-ties abound in this synthetic data: how far below the exact 100th
                # neighbour's cosine similarity do the ANN results fall?
                entry["ann_results_within_0.01_of_exact_100th"] = round(float(np.mean(
                    [np.mean(sims(q, a) >= sims(q, b)[-1] - 0.01) for q, a, b
                     in zip(understood, tops, exact_tops)])), 4)
            row["indexes"][label] = entry
            print(f"  {label:<14} build {entry['build_seconds']:7.1f} s  {entry['bytes'] / 2**20:7.0f} MB"
                  f"  total p50 {timings['total']['p50_ms']:6.1f} ms  p95 {timings['total']['p95_ms']:6.1f} ms"
                  f"  (embed {timings['embed']['p50_ms']:.0f}, dense {timings['dense']['p50_ms']:.1f}, "
                  f"bm25 {timings['bm25']['p50_ms']:.1f} ms p50)"
                  + (f"  recall@10/100 {entry['recall_at_10_vs_exact']}/{entry['recall_at_100_vs_exact']}"
                     f" (within 0.01: {entry['ann_results_within_0.01_of_exact_100th']})"
                     if "recall_at_100_vs_exact" in entry else "") + f"  RSS {entry['rss_mb']:.0f} MB")
            del dense, version
        row["memory_after"] = rss_mb()
        rows.append(row)
        del vectors, bm25
    return rows


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, help="an index of corpus/ (default: build one)")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--types", nargs="*", default=["flat", "hnsw", "ivfpq"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--queries", type=int, default=None, help="use only the first N queries")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--scale-threads", type=int, default=1,
                        help="torch threads for the query embedding in part 2 (1: steady under load)")
    parser.add_argument("--hnsw-budget", type=float, default=300.0,
                        help="seconds allowed for one HNSW build before a smaller graph is used")
    args = parser.parse_args()

    embedder = load_embedder()
    queries = load_queries(args.queries)
    index_dir = args.index_dir
    built_seconds = None
    try:
        if index_dir is None:
            raise IndexProblem("no index given")
        load_index(index_dir, embedder.model_id)
    except IndexProblem:
        index_dir = Path(tempfile.mkdtemp(prefix="bench-query-")) / "index"
        t = time.perf_counter()
        build_index(args.corpus, index_dir, embedder)
        built_seconds = round(time.perf_counter() - t, 1)
        print(f"built an index of {args.corpus} in {built_seconds} s")

    result = {"benchmark": "bench_query", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "torch_threads_default": set_threads(None),
                          "load_avg_at_start": os.getloadavg()},
              "queries": {"n": len(queries), "source": str(DEV) if DEV.exists() else "built-in list"},
              "repeat": args.repeat}
    engine = SearchEngine(index_dir, embedder)
    if not args.skip_corpus:
        result["corpus"] = corpus_part(index_dir, embedder, queries, args.repeat)
    if args.sizes:
        default_threads = set_threads(None)
        set_threads(args.scale_threads)
        result["synthetic"] = {
            "torch_threads": args.scale_threads,
            "method": "vectors: w*a + (1-w)*b + N(0, 0.02) of two random real clause vectors "
                      "(w in [0.5, 1]), normalised; tokens: a random real clause's tokens, each "
                      f"kept with p={KEEP}, plus {EXTRA} random real tokens and one of {PLACES} "
                      "synthetic place tokens",
            "timed_path": "real query embedding + SearchEngine.dense_scores (top 100) + "
                          "search.retrieve.sparse (bm25s get_scores, top 100) + reciprocal_rank_fusion",
            "sizes": scale_part(engine.version, embedder, queries, args.sizes, args.types, args.repeat,
                                args.hnsw_budget, engine)}
        set_threads(default_threads)
    result["machine"]["load_avg_at_end"] = os.getloadavg()
    result["memory_at_end"] = rss_mb()
    if built_seconds is not None:  # the temporary index built above
        result["corpus_index_build_seconds"] = built_seconds
        shutil.rmtree(index_dir.parent, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_results("bench_query", result, RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
