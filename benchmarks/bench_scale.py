"""Both stores at scale: build (write) time, query p50/p95, RSS and disk per clause count.

Nothing is embedded 100k times on this machine (2 shared cores): clause vectors are SYNTHETIC,
made from the real clause vectors of an index of corpus/ (two real vectors mixed plus noise,
normalised), clause tokens are real clause token lists varied (tokens dropped, tokens from other
clauses, one of 50,000 synthetic place tokens), clause texts are real clause texts. Documents hold
50 clauses each. Each (store, size) runs in its own process, so peak RSS is that store's alone.

Timed per query (the query embedding itself is the same for both stores and excluded):
    Backend.dense_search (top 100) + Backend.sparse_search (top 100)
    + reciprocal_rank_fusion + Backend.fetch_chunks (top 10)
Build = the store's `write` of all clauses (the pipeline's parse/embed are not included).
Qdrant runs in the client's LOCAL MODE (pure-Python, brute force, one sqlite commit per point):
the numbers measure that engine, not a Qdrant server; see docs/scaling.md.

    .venv/bin/python -m benchmarks.bench_scale [--sizes 10000 100000] [--qdrant-sizes 10000]
        [--source-index DIR] [--queries 50] [--out FILE]

Results are printed and written to benchmarks/results/bench_scale.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.harness import ROOT, write_results

import numpy as np

OUT = ROOT / "benchmarks" / "results" / "bench_scale.json"
PER_DOC = 50


def synthetic(source: Path, n: int, seed: int = 0):
    """(manifest, documents, raw, texts, stored, vectors) of n synthetic clauses."""
    from indexer.index.store import StoredChunk, load_index

    real = load_index(source)
    rng = np.random.default_rng(seed)
    base = real.vectors
    a, b = rng.integers(0, len(base), n), rng.integers(0, len(base), n)
    w = rng.uniform(0.5, 1.0, (n, 1)).astype(np.float32)
    vectors = w * base[a] + (1 - w) * base[b] + rng.normal(0, 0.02, (n, base.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vocab = sorted({t for toks in real.tokens for t in toks})
    documents, raw, texts, stored = [], {}, {}, []
    template = next(iter(real.documents.values()))
    for d in range((n + PER_DOC - 1) // PER_DOC):
        doc_id = f"doc{d:07d}"
        meta = replace(template, doc_id=doc_id, file=f"{doc_id}.txt", sha256=f"{d:064x}",
                       warnings=[], inferred=[])
        documents.append(meta)
        raw[doc_id] = meta.__dict__ | {}
        texts[doc_id] = ""
        for i in range(PER_DOC):
            row = d * PER_DOC + i
            if row >= n:
                break
            src = real.chunks[a[row]]
            chunk = replace(src, chunk_id=f"{doc_id}:{i:04d}", doc_id=doc_id, ordinal=i)
            tokens = [t for t in real.tokens[a[row]] if rng.random() < 0.8]
            tokens += [vocab[j] for j in rng.integers(0, len(vocab), 10)] + [f"place{rng.integers(50_000)}"]
            stored.append(StoredChunk(chunk, tokens, f"{row:032x}"))
        meta.n_chunks = min(PER_DOC, n - d * PER_DOC)
        raw[doc_id]["n_chunks"] = meta.n_chunks
    manifest = replace(real.manifest, files={m.file: m.sha256 for m in documents}, n_docs=len(documents),
                       n_chunks=n, skipped=[])
    queries = [(vectors[j] + rng.normal(0, 0.05, base.shape[1]).astype(np.float32),
                [stored[j].tokens[k] for k in rng.integers(0, max(1, len(stored[j].tokens)), 6)])
               for j in rng.integers(0, n, 200)]
    return manifest, documents, raw, texts, stored, vectors, queries


def _disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _ms(values: list[float]) -> dict:
    values = sorted(values)
    return {"n": len(values), "p50_ms": round(statistics.median(values) * 1000, 2),
            "p95_ms": round(values[min(len(values) - 1, int(0.95 * len(values)))] * 1000, 2),
            "mean_ms": round(statistics.fmean(values) * 1000, 2)}


def _rss_mb() -> float:
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS")) / 1024


def run_one(store_kind: str, n: int, source: Path, n_queries: int) -> dict:
    """One store at one size, in this process."""
    from indexer.index.backend import open_backend
    from indexer.index.stores import make_store
    from indexer.search.fusion import reciprocal_rank_fusion

    manifest, documents, raw, texts, stored, vectors, queries = synthetic(source, n)
    work = Path(tempfile.mkdtemp(prefix=f"qdrant-bench-{store_kind}-"))
    try:
        store = make_store(store_kind, work / "index", str(work / "qdrant"))
        rss_before = _rss_mb()
        started = time.perf_counter()
        store.write(manifest, documents, raw, texts, stored, vectors)
        build = time.perf_counter() - started
        if store_kind == "qdrant":
            from indexer.index import qdrant_store as qs

            qs.close_client(store.location)  # a search process opens the store anew
        del stored, vectors
        started = time.perf_counter()
        backend = open_backend(work / "index", manifest.model_id)
        backend.query_stats()
        open_seconds = time.perf_counter() - started
        timings = {"dense": [], "sparse": [], "total": []}
        for vector, tokens in queries[:n_queries]:
            t0 = time.perf_counter()
            dense = backend.dense_search(vector, 100)
            t1 = time.perf_counter()
            sparse = backend.sparse_search(tokens, 100)
            t2 = time.perf_counter()
            fused = reciprocal_rank_fusion([dense, sparse])
            backend.fetch_chunks([c for c, _ in fused[:10]])
            t3 = time.perf_counter()
            timings["dense"].append(t1 - t0)
            timings["sparse"].append(t2 - t1)
            timings["total"].append(t3 - t0)
        return {"store": store_kind, "clauses": n, "documents": len(documents),
                "build_seconds": round(build, 1), "build_clauses_per_s": round(n / build, 1),
                "open_seconds": round(open_seconds, 2),
                "query": {k: _ms(v) for k, v in timings.items()},
                "rss_mb_after_open": round(_rss_mb(), 1), "rss_mb_before_write": round(rss_before, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "disk_bytes": _disk(work), "load_avg_1m": round(os.getloadavg()[0], 2)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ensure_source(path: str | None) -> Path:
    """An embedded index of corpus/ whose real vectors and tokens seed the synthetic clauses."""
    if path:
        return Path(path)
    target = Path(tempfile.gettempdir()) / "bench-scale-source"
    if not (target / "CURRENT").exists():
        from indexer.index.build import build_index
        from indexer.index.embed import load_embedder

        build_index(ROOT / "corpus", target, load_embedder())
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--qdrant-sizes", type=int, nargs="*", default=[2_000, 10_000],
                        help="sizes for Qdrant local mode (it writes ~100 points/s here)")
    parser.add_argument("--source-index", help="embedded index of corpus/ (built if not given)")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--one", nargs=2, metavar=("STORE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]), Path(args.source_index), args.queries)))
        return
    source = ensure_source(args.source_index)
    runs = []
    for kind, sizes in (("embedded", args.sizes), ("qdrant", args.qdrant_sizes)):
        for n in sizes:
            proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_scale", "--one", kind, str(n), "--source-index",
                                   str(source), "--queries", str(args.queries)],
                                  capture_output=True, text=True, cwd=ROOT)
            if proc.returncode:
                print(proc.stderr[-2000:], file=sys.stderr)
                continue
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            runs.append(result)
            q = result["query"]["total"]
            print(f"{kind:9} {n:>8} clauses  build {result['build_seconds']:>7}s  open "
                  f"{result['open_seconds']:>6}s  query p50 {q['p50_ms']:>8} ms p95 {q['p95_ms']:>8} ms  "
                  f"peak RSS {result['peak_rss_mb']:>7} MB  disk {result['disk_bytes'] / 2**20:.1f} MB",
                  flush=True)
    report = {"benchmark": "bench_scale", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
                          "load_avg_at_end": [round(x, 2) for x in os.getloadavg()]},
              "vectors": "SYNTHETIC: mixes of two real clause vectors of corpus/ plus noise, normalised",
              "tokens": "real clause token lists varied (80% kept, 10 random real tokens, 1 of 50k place tokens)",
              "timed_path": "dense top-100 + sparse top-100 + RRF + fetch top-10 clauses (no query embedding)",
              "qdrant_mode": "client local mode (path=...), not a server", "runs": runs}
    write_results("bench_scale", report, args.out)


if __name__ == "__main__":
    main()
