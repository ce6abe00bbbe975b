"""Sweep the fusion weights on the TUNE split of both development sets (never the held-out third).

Uses the indexes that eval_retrieval.py leaves in its work folder (run it first). Prints, for each
weight setting, hit@1 / hit@10 / nDCG@10 / recall@1000ch on the tune split of each set.

    .venv/bin/python benchmarks/tune_fusion.py [--work DIR] name=value ... (one setting per argument
    group, e.g. "named=0.02,card=0.01" "named=0.04,card=0.0")
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
from pathlib import Path

from eval_retrieval import held_out, prepare_sets, score_query  # noqa: E402

from indexer.search.engine import SearchEngine
from indexer.search.fusion import WEIGHTS
from indexer.index.embed import load_embedder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("settings", nargs="*", default=[""])
    parser.add_argument("--work", default="/tmp/policy-search-eval")
    parser.add_argument("--all", action="store_true", help="score every query (default: tune split only)")
    parser.add_argument("--sets", nargs="+", default=["seeds", "real"])
    args = parser.parse_args()
    work = Path(args.work)
    embedder = load_embedder()
    sets = prepare_sets(args.sets, work)
    engines = {name: SearchEngine(work / f"index-{name}", embedder) for name in sets}
    for setting in args.settings:
        changes = {k: float(v) for k, v in (p.split("=") for p in setting.split(",") if p)}
        line = [f"{setting or 'default':<40}"]
        for name, data in sets.items():
            engine = engines[name]
            engine.weights = dataclasses.replace(WEIGHTS, **changes)
            rows = []
            for q in data["queries"]:
                if held_out(q["id"]) and not args.all:
                    continue
                found = [r.to_dict() for r in engine.search(q["query"], k=10, group_duplicates=False)]
                rows.append(score_query(found, q["relevant"], data["map"]))
            mean = {k: statistics.mean(r[k] for r in rows) for k in ("hit@1", "hit@10", "ndcg@10",
                                                                     "recall@1000ch")}
            line.append(f"{name}: " + " ".join(f"{v:.3f}" for v in mean.values()))
        print("  ".join(line), flush=True)


if __name__ == "__main__":
    main()
