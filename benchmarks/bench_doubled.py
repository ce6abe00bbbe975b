"""Warm query latency as the corpus doubles: 45 documents (the seeds + realdocs) against 90.

Only 45 real documents ship here; the 90-document corpus is those 45 plus a copy of each with
one line appended (so no copy is skipped as a duplicate and every clause is indexed twice, near
duplicates included, as in a real corpus that holds amendments and re-publications). The full
`Library.search` path is timed (query understanding, embedding, FAISS + BM25, document priors,
grouping, citations) for the realdocs and fresh questions, three rounds, in one process, both
indexes loaded, so the ratio is comparable on a noisy machine.

    .venv/bin/python -m benchmarks.bench_doubled [--work DIR] [--rounds 3]

Results are printed and written to benchmarks/results/bench_doubled.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from benchmarks.harness import CORPUS, ROOT, shared_dir, write_results
from indexer.api import Library

_COPY_LINE = "\n\nBản sao dùng để đo tốc độ tìm kiếm.\n"


def make_corpora(work: Path) -> dict[str, Path]:
    """The 45-document corpus and the doubled one, under ``work`` (kept between runs)."""
    sources = sorted(CORPUS.glob("*")) + sorted((shared_dir() / "realdocs" / "docs").glob("*"))
    single, double = work / "corpus-45", work / "corpus-90"
    for folder in (single, double):
        folder.mkdir(parents=True, exist_ok=True)
    for src in sources:
        shutil.copyfile(src, single / src.name)
        shutil.copyfile(src, double / src.name)
        copy = double / f"copy-{src.name}"
        copy.write_bytes(src.read_bytes() + _COPY_LINE.encode("utf-8"))
    return {"45": single, "90": double}


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-doubled"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    questions = [json.loads(line)["query"] for path in (shared_dir() / "realdocs" / "queries.jsonl",
                                                         ROOT / "benchmarks" / "truth" / "fresh_queries.jsonl")
                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    libraries: dict[str, Library] = {}
    embedder = None
    for size, corpus in make_corpora(args.work).items():
        library = Library(index_dir=args.work / f"index-{size}", corpus_dir=corpus, model=embedder)
        library.build()
        embedder = library.embedder
        libraries[size] = library
    for library in libraries.values():  # warm both before timing either
        for q in questions[:5]:
            library.search(q)
    report: dict[str, dict] = {}
    for size, library in libraries.items():
        times = []
        for _ in range(args.rounds):
            for q in questions:
                start = time.perf_counter()
                library.search(q)
                times.append(1000 * (time.perf_counter() - start))
        documents = len(library.engine.version.documents)
        report[size] = {"documents": documents, "queries": len(times),
                        "p50_ms": round(percentile(times, 0.5), 1), "p95_ms": round(percentile(times, 0.95), 1)}
        print(f"{documents:3d} documents: {len(times)} searches, p50 {report[size]['p50_ms']} ms, "
              f"p95 {report[size]['p95_ms']} ms")
    ratio = report["90"]["p95_ms"] / report["45"]["p95_ms"]
    print(f"p95 ratio 90/45 documents: {ratio:.2f}")
    write_results("bench_doubled", {"latency": report, "p95_ratio_90_over_45": round(ratio, 2)})


if __name__ == "__main__":
    main()
