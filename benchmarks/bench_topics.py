"""Time topic coverage: every shipped topic over every document of the corpus index.

Loads the index once, then runs `coverage` N times phrase-only and N times with the semantic
fallback (embedder loaded once), and times the whole command ``python -m indexer topics
--json`` end to end (interpreter start, index and model loading included). Results are
printed and written to benchmarks/results/bench_topics.json.

    .venv/bin/python -m benchmarks.bench_topics [--index-dir DIR] [--corpus DIR] [--repeat N]

Without --index-dir (or when it holds no index) the corpus is indexed into a temporary folder
first; that build is timed separately and is not part of the topic timings.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import ROOT, write_results

from indexer.index.build import build_index
from indexer.index.embed import load_embedder
from indexer.index.store import IndexProblem, load_index
from indexer.features import topics as topics_module
from indexer.features.topics import coverage, load_topics

RESULTS = ROOT / "benchmarks" / "results" / "bench_topics.json"


def timed(fn, *args, **kwargs) -> tuple[object, float]:
    """(result, seconds) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def summary(seconds: list[float]) -> dict:
    """Median, min and max of repeated timings, in milliseconds."""
    return {"runs": len(seconds), "median_ms": round(statistics.median(seconds) * 1000, 2),
            "min_ms": round(min(seconds) * 1000, 2), "max_ms": round(max(seconds) * 1000, 2)}


def ensure_index(index_dir: Path | None, corpus: Path, embedder) -> tuple[Path, float | None]:
    """An index of the corpus: the given one if loadable, else a fresh one in a temp folder."""
    if index_dir is not None:
        try:
            load_index(index_dir)
            return index_dir, None
        except IndexProblem:
            pass
    target = index_dir or Path(tempfile.mkdtemp(prefix="bench-topics-")) / "index"
    _, seconds = timed(build_index, corpus, target, embedder)
    return target, seconds


def cli_seconds(index_dir: Path, repeat: int) -> tuple[list[float], int]:
    """Wall time of `python -m indexer topics --json` (all shipped topics), and its cell count."""
    times, cells = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "indexer", "topics", "--json", "--index-dir",
                              str(index_dir)], cwd=ROOT, capture_output=True, text=True,
                             check=True)
        times.append(time.perf_counter() - start)
        cells = len(json.loads(out.stdout)["cells"])
    return times, cells


def matrix(cells) -> dict[str, dict[str, int]]:
    """topic → {doc_id: count} (0 when not mentioned)."""
    out: dict[str, dict[str, int]] = {}
    for cell in cells:
        out.setdefault(cell.topic, {})[cell.doc_id] = cell.count
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--cli-repeat", type=int, default=3)
    args = parser.parse_args()

    embedder, embedder_s = timed(load_embedder)
    index_dir, build_s = ensure_index(args.index_dir, args.corpus, embedder)
    version, load_s = timed(load_index, index_dir)
    topics, topics_s = timed(load_topics)

    phrase_runs = [timed(coverage, version, topics)[1] for _ in range(args.repeat)]
    cells = coverage(version, topics)
    cold_runs = []
    for _ in range(max(1, args.repeat // 4)):
        topics_module._QUERY_CACHE.clear()  # descriptions encoded again, as in a fresh process
        cold_runs.append(timed(coverage, version, topics, embedder=embedder)[1])
    warm_runs = [timed(coverage, version, topics, embedder=embedder)[1]
                 for _ in range(args.repeat)]
    semantic_cells = coverage(version, topics, embedder=embedder)
    cli_runs, cli_cells = cli_seconds(index_dir, args.cli_repeat)

    n_semantic = sum(e.match == "semantic" for c in semantic_cells for e in c.evidence)
    result = {
        "corpus": str(args.corpus), "index_dir": str(index_dir), "model": version.manifest.model_id,
        "documents": len(version.documents), "clauses": len(version.chunks),
        "topics": [t.id for t in topics], "cells": len(cells),
        "index_build_s": round(build_s, 2) if build_s is not None else None,
        "load_embedder_s": round(embedder_s, 3), "load_index_s": round(load_s, 3),
        "load_topics_ms": round(topics_s * 1000, 2),
        "coverage_phrase": summary(phrase_runs),
        "coverage_semantic_cold": summary(cold_runs),
        "coverage_semantic_cached_queries": summary(warm_runs),
        "semantic_evidence_added": n_semantic,
        "cli_topics_json": {**summary(cli_runs), "cells": cli_cells},
        "matrix": matrix(semantic_cells),
    }
    write_results("bench_topics", result, RESULTS)
    print(f"{result['documents']} documents, {result['clauses']} clauses, {len(topics)} topics, "
          f"{len(cells)} cells")
    print(f"coverage, phrases only:      median {result['coverage_phrase']['median_ms']} ms "
          f"over {args.repeat} runs")
    print(f"coverage, semantic fallback: median {result['coverage_semantic_cold']['median_ms']} ms "
          f"encoding the {len(topics)} descriptions, "
          f"{result['coverage_semantic_cached_queries']['median_ms']} ms with cached query vectors "
          f"({n_semantic} semantic evidence clauses)")
    print(f"load index {load_s:.2f} s, load model {embedder_s:.2f} s")
    print(f"`python -m indexer topics --json` end to end: median "
          f"{result['cli_topics_json']['median_ms'] / 1000:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
