"""Time index builds of corpus/: cold, rebuild with nothing changed, rebuild after one file changed.

Each build is the real command (``python -m indexer build``) in a fresh process on a private copy
of the corpus, so wall time includes interpreter start and model loading; the build's own time
(hashing, reading, embedding, writing; printed by the command) is reported beside it. Peak memory
is the process's maximum resident set size (``wait4`` rusage). The machine's load average is
recorded because other processes on a 2-core machine change every number here.

    .venv/bin/python -m benchmarks.bench_build [--corpus DIR] [--repeat N]

Results are printed and written to benchmarks/results/bench_build.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import ROOT, write_results

RESULTS = ROOT / "benchmarks" / "results" / "bench_build.json"
CHANGED_FILE = "quang-ngai-tinh_ubnd_ke-hoach-151-kh-ubnd-2022.txt"
CHANGED_LINE_START = "a) Thực hiện chuẩn hóa các số liệu chỉ tiêu"


def run_measured(cmd: list[str]) -> dict:
    """Run a command: wall and CPU seconds, the child's own peak RSS (wait4), exit code, output."""
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "code": proc.returncode,
            "load_avg_1m": round(load_before, 2), "stdout": stdout, "stderr": stderr}


def parse_summary(stdout: str) -> dict:
    """Numbers from the build command's summary."""
    found = {}
    patterns = {
        "documents": r"documents: (\d+)", "clauses": r"clauses: (\d+)", "read": r"read: (\d+)",
        "reused": r"reused: (\d+)", "removed": r"removed: (\d+)", "skipped": r"skipped: (\d+)",
        "embedded": r"embedded (\d+) clauses", "build_s": r"total ([\d.]+) s",
    }
    for key, pattern in patterns.items():
        m = re.search(pattern, stdout)
        found[key] = (float(m.group(1)) if key == "build_s" else int(m.group(1))) if m else 0
    found["up_to_date"] = "up to date" in stdout
    return found


def build(corpus: Path, index_dir: Path, label: str) -> dict:
    result = run_measured([sys.executable, "-m", "indexer", "build", str(corpus),
                           "--index-dir", str(index_dir)])
    if result["code"] != 0:
        raise SystemExit(f"{label} build failed:\n{result['stderr'][-3000:]}")
    summary = parse_summary(result["stdout"])
    row = {"label": label, "wall_s": result["wall_s"], "build_s": summary.pop("build_s"),
           "cpu_s": result["cpu_s"], "peak_rss_mb": result["peak_rss_mb"],
           "load_avg_1m": result["load_avg_1m"], **summary}
    print(f"{label:<24} wall {row['wall_s']:7.1f} s   in-build {row['build_s']:6.1f} s   "
          f"peak RSS {row['peak_rss_mb']:7.0f} MB   read {row['read']}  embedded {row['embedded']}"
          f"   (load avg {row['load_avg_1m']})")
    return row


def change_one_file(corpus: Path, n: int) -> None:
    path = corpus / CHANGED_FILE
    lines = path.read_text(encoding="utf-8").split("\n")
    (i,) = [k for k, line in enumerate(lines) if line.startswith(CHANGED_LINE_START)]
    lines[i] = lines[i].rstrip() + f" Bổ sung lần {n}: thí điểm tuyến xe buýt điện."
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the incremental cases")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        corpus, index_dir = work / "corpus", work / "index"
        shutil.copytree(args.corpus, corpus)
        baseline = run_measured([sys.executable, "-c",
                                 "from indexer.index.embed import load_embedder; "
                                 "load_embedder().encode_passages(['x'])"])
        print(f"{'start + model load + 1':<24} wall {baseline['wall_s']:7.1f} s   "
              f"peak RSS {baseline['peak_rss_mb']:7.0f} MB")
        cold = build(corpus, index_dir, "cold")
        unchanged = [build(corpus, index_dir, f"no change #{i + 1}") for i in range(args.repeat)]
        changed = []
        for i in range(args.repeat):
            change_one_file(corpus, i)
            changed.append(build(corpus, index_dir, f"one file changed #{i + 1}"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def summary(rows: list[dict]) -> dict:
        keys = ("wall_s", "build_s", "cpu_s", "peak_rss_mb")
        return {**{f"median_{k}": round(statistics.median(r[k] for r in rows), 2) for k in keys},
                "runs": rows}

    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "load_avg_at_end": os.getloadavg()},
        "corpus": {"files": len(list(args.corpus.glob('*'))), "clauses": cold["clauses"]},
        "startup_and_model_load": {k: baseline[k] for k in ("wall_s", "cpu_s", "peak_rss_mb")},
        "cold": cold,
        "no_change": summary(unchanged),
        "one_file_changed": summary(changed),
        "notes": "wall_s includes interpreter start and model load (see startup_and_model_load); "
                 "build_s is the build itself as printed by the command. Other processes shared "
                 "the 2 cores during the run (see load_avg_1m).",
    }
    write_results("bench_build", result, RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
