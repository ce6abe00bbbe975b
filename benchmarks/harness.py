"""What every benchmark shares: where the data and results live, machine information, timing,
and one results schema.

Run benchmarks from the repository root as modules (``python -m benchmarks.bench_cli``): the
package is importable without editing ``sys.path``. Evaluation sets come from
``settings.shared_dir()`` (``POLICY_SHARED_DIR``, default ``<repo>/../shared``).

Results schema (one JSON object per benchmark, ``benchmarks/results/<name>.json``)::

    {"benchmark": name, "schema": 1, "created": ISO time, "git_commit": sha or null,
     "machine": {python, platform, cpu, cores, load_avg, memory_gb},
     ... the benchmark's own keys (parameters, numbers, notes) ...}
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from indexer import settings

ROOT = settings.REPO_ROOT
RESULTS_DIR = ROOT / "benchmarks" / "results"
CORPUS = ROOT / "corpus"
SCHEMA = 1


def shared_dir() -> Path:
    """Shared evaluation data: seeds/, eval/dev.jsonl, realdocs/."""
    return settings.shared_dir()


def dev_set() -> Path:
    return shared_dir() / "eval" / "dev.jsonl"


def seeds_dir() -> Path:
    return shared_dir() / "seeds"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on (load average included: the machine is shared)."""
    return {"python": platform.python_version(), "platform": platform.platform(), "cpu": _cpu_model(),
            "cores": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()],
            "memory_gb": _memory_gb()}


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


def timed(fn: Callable, *args, **kwargs) -> tuple[Any, float]:
    """(fn's value, wall seconds)."""
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def write_results(name: str, report: dict[str, Any], out: str | Path | None = None) -> Path:
    """Write ``report`` under the common header to ``out`` (default results/<name>.json)."""
    path = Path(out) if out else RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"benchmark": name, "schema": SCHEMA, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "git_commit": git_commit(), **report,
            "machine": {**machine_info(), **report.get("machine", {})}}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    try:
        shown = path.relative_to(ROOT)
    except ValueError:
        shown = path
    print(f"written {shown}")
    return path


def python() -> str:
    """The interpreter running the benchmark (the project's venv when run through it)."""
    return sys.executable
