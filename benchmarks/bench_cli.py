"""Cold start of the command line: wall time of one `python -m indexer …` process per command
(docs, chunks, topics --no-semantic need no model; search and ask load it).

    .venv/bin/python -m benchmarks.bench_cli [--index-dir DIR] [--repeat 3] [--repo OTHER_CHECKOUT]

Without --index-dir an index of corpus/ is built first (not timed). --repo times another checkout
of the project (e.g. the commit before a change) on the same index. Results: benchmarks/results/
bench_cli.json (median and best of --repeat runs per command).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.harness import CORPUS, ROOT, python, write_results


def commands(index_dir: Path, doc_id: str) -> dict[str, list[str]]:
    where = ["--index-dir", str(index_dir)]
    return {
        "docs": ["docs", "--json", *where],
        "chunks": ["chunks", doc_id, "--json", *where],
        "topics --no-semantic": ["topics", "--no-semantic", "--json", *where],
        "search": ["search", "khong gian ngam", "--json", *where],
        "ask": ["ask", "Thủy Nguyên phấn đấu tỷ lệ đô thị hóa năm 2030 đạt bao nhiêu?", "--json", *where],
    }


def run_once(repo: Path, args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([python(), "-m", "indexer", *args], cwd=repo, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {repo}: {proc.stderr.strip()[-500:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout whose CLI is timed")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    index_dir = args.index_dir
    if index_dir is None:
        from indexer.api import Library

        index_dir = Path(tempfile.mkdtemp(prefix="bench-cli-"))
        Library(index_dir=index_dir, corpus_dir=CORPUS).build()
    docs = json.loads(subprocess.run([python(), "-m", "indexer", "docs", "--json", "--index-dir", str(index_dir)],
                                     cwd=args.repo, capture_output=True, text=True, check=True).stdout)
    timings: dict[str, list[float]] = {}
    for _ in range(args.repeat):  # interleaved, so background load hits every command alike
        for name, cmd in commands(index_dir, docs[0]["doc_id"]).items():
            timings.setdefault(name, []).append(run_once(args.repo, cmd))
    report = {name: {"median_s": round(statistics.median(t), 3), "best_s": round(min(t), 3),
                     "runs_s": [round(x, 3) for x in t]} for name, t in timings.items()}
    for name, r in report.items():
        print(f"{name:<22} median {r['median_s']:.2f} s   best {r['best_s']:.2f} s")
    write_results("bench_cli", {"repo": str(args.repo.resolve()), "repeat": args.repeat,
                                "commands": report,
                                "note": "wall time of a fresh process per command (imports, index "
                                        "and model load included); the machine is shared"},
                  out=args.out)


if __name__ == "__main__":
    main()
