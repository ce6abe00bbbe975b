"""Cold start of the command line: wall time of one `python -m indexer …` process per command
(docs, chunks, topics --no-semantic need no model; search and ask load it).

    .venv/bin/python -m benchmarks.bench_cli [--index-dir DIR] [--repeat 3]
        [--baseline OTHER_CHECKOUT --baseline-index-dir DIR]

Without --index-dir an index of corpus/ is built first (not timed). --baseline also times another
checkout of the project (e.g. the commit before a change; on its own index when the index format
differs), interleaved run by run with this one so that the load of a shared machine hits both
alike. Results: benchmarks/results/bench_cli.json (median and best of --repeat runs per command).
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
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout to time alike")
    parser.add_argument("--baseline-index-dir", type=Path, default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    index_dir = args.index_dir
    if index_dir is None:
        from indexer.api import Library

        index_dir = Path(tempfile.mkdtemp(prefix="bench-cli-"))
        Library(index_dir=index_dir, corpus_dir=CORPUS).build()
    checkouts = {"this": (ROOT, index_dir)}
    if args.baseline:
        checkouts["baseline"] = (args.baseline, args.baseline_index_dir or index_dir)
    plans = {}
    for label, (repo, where) in checkouts.items():
        docs = json.loads(subprocess.run([python(), "-m", "indexer", "docs", "--json", "--index-dir", str(where)],
                                         cwd=repo, capture_output=True, text=True, check=True).stdout)
        plans[label] = (repo, commands(where, docs[0]["doc_id"]))
    timings: dict[str, dict[str, list[float]]] = {label: {} for label in plans}
    for _ in range(args.repeat):  # interleaved, so background load hits every command alike
        for name in commands(index_dir, "x"):
            for label, (repo, cmds) in plans.items():
                timings[label].setdefault(name, []).append(run_once(repo, cmds[name]))
    report = {label: {name: {"median_s": round(statistics.median(t), 3), "best_s": round(min(t), 3),
                             "runs_s": [round(x, 3) for x in t]} for name, t in per.items()}
              for label, per in timings.items()}
    for name in commands(index_dir, "x"):
        line = "   ".join(f"{label}: median {report[label][name]['median_s']:.2f} s best "
                          f"{report[label][name]['best_s']:.2f} s" for label in report)
        print(f"{name:<22} {line}")
    write_results("bench_cli", {"checkouts": {label: str(repo.resolve()) for label, (repo, _) in plans.items()},
                                "repeat": args.repeat, "commands": report,
                                "note": "wall time of a fresh process per command (imports, index "
                                        "and model load included); the machine is shared"},
                  out=args.out)


if __name__ == "__main__":
    main()
