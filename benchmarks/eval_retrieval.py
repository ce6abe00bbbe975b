"""Score retrieval on the development set (../shared/eval/dev.jsonl) — hybrid, dense-only, BM25-only.

Metrics follow ../shared/eval/README.md: hit@1, recall@10, MRR@10, nDCG@10, recall within the
first 1,000 and 3,000 characters read, median characters read before the first relevant quote;
overall and by query kind. Results are printed and written to benchmarks/results/eval_retrieval.json.

    .venv/bin/python benchmarks/eval_retrieval.py [--eval PATH] [--modes hybrid dense bm25]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.index.build import build_index  # noqa: E402
from indexer.index.embed import load_embedder  # noqa: E402
from indexer.search.engine import SearchEngine  # noqa: E402

DEFAULT_EVAL = ROOT.parent / "shared" / "eval" / "dev.jsonl"
SEEDS = ROOT.parent / "shared" / "seeds"


def skeleton(text: str) -> str:
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("đ", "d").replace("Đ", "d")
    return re.sub(r"[^0-9a-z]", "", text.lower())


def seed_to_corpus_file(corpus: Path, seeds: Path) -> dict[str, str]:
    """Map each seed file name to the corpus file with the same bytes."""
    by_hash = {hashlib.sha256(p.read_bytes()).hexdigest(): p.name for p in corpus.iterdir() if p.is_file()}
    return {p.name: by_hash.get(hashlib.sha256(p.read_bytes()).hexdigest(), "") for p in seeds.glob("*.txt")}


def score_query(results: list[dict], relevant: list[dict], seed_map: dict[str, str]) -> dict:
    """Metrics of one ranked list. A result's "also in" copies (near-identical clauses of other
    documents, shown on the same card) count as found with it but add nothing to read."""
    quotes = [(seed_map[r["doc"]], skeleton(r["quote"])) for r in relevant]
    passages = [[(r["file"], r["text"], skeleton(r["text"]))] +
                [(a["file"], a["text"], skeleton(a["text"])) for a in r.get("also_in", [])]
                for r in results]
    rel_flags = [any(f == qf and q in sk for qf, q in quotes for f, _, sk in card) for card in passages]
    found = {i for i, (qf, q) in enumerate(quotes) for card in passages for f, _, sk in card
             if f == qf and q in sk}
    dcg = sum(1 / math.log2(i + 2) for i, flag in enumerate(rel_flags[:10]) if flag)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(quotes), 10)))
    first = next((i for i, flag in enumerate(rel_flags) if flag), None)
    return {
        "hit@1": float(bool(rel_flags[:1] and rel_flags[0])),
        "hit@10": float(any(rel_flags[:10])),
        "recall@10": len(found) / len(quotes),
        "mrr@10": 1 / (first + 1) if first is not None and first < 10 else 0.0,
        "ndcg@10": dcg / ideal if ideal else 0.0,
        "recall@1000ch": _recall_within(passages, quotes, 1000),
        "recall@3000ch": _recall_within(passages, quotes, 3000),
        "chars_to_first": _chars_to_first(passages, quotes),
    }


def _recall_within(passages, quotes, budget: int) -> float:
    found, used = set(), 0
    for card in passages:
        if used >= budget:
            break
        f, text, _ = card[0]
        visible = skeleton(text[: budget - used])
        found |= {i for i, (qf, q) in enumerate(quotes) if qf == f and q in visible}
        if len(text) <= budget - used:  # the card was read whole: its copies were seen too
            found |= {i for i, (qf, q) in enumerate(quotes) for af, _, ask in card[1:] if qf == af and q in ask}
        used += len(text)
    return len(found) / len(quotes)


def _chars_to_first(passages, quotes) -> float | None:
    read = 0
    for card in passages:
        f, text, sk = card[0]
        positions = [sk.find(q) + len(q) for qf, q in quotes if qf == f and q in sk]
        if not positions:
            positions = [len(sk) for af, _, ask in card[1:] for qf, q in quotes if qf == af and q in ask]
        if positions:
            return read + min(positions) * len(text) / max(1, len(sk))
        read += len(text)
    return None


def aggregate(rows: list[dict]) -> dict:
    keys = [k for k in rows[0] if k != "chars_to_first"]
    out = {k: round(statistics.mean(r[k] for r in rows), 3) for k in keys}
    firsts = [r["chars_to_first"] for r in rows if r["chars_to_first"] is not None]
    out["median_chars_to_first"] = round(statistics.median(firsts)) if firsts else None
    out["n"] = len(rows)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eval", default=str(DEFAULT_EVAL))
    parser.add_argument("--modes", nargs="+", default=["hybrid", "dense", "bm25"])
    parser.add_argument("--grouped", action="store_true",
                        help="score the product's default view: near-duplicates folded into 'also in'")
    parser.add_argument("--index-dir", default=None, help="existing index of corpus/ (default: build one)")
    parser.add_argument("--out", default=None, help="JSON report (default benchmarks/results/eval_retrieval[_grouped].json)")
    parser.add_argument("--store", default="embedded", choices=["embedded", "qdrant"],
                        help="where the index is built and searched")
    parser.add_argument("--qdrant-location", default=None, help="Qdrant URL or folder (default INDEX_DIR/qdrant)")
    args = parser.parse_args()
    queries = [json.loads(line) for line in Path(args.eval).read_text(encoding="utf-8").splitlines() if line.strip()]
    seed_map = seed_to_corpus_file(ROOT / "corpus", SEEDS)
    embedder = load_embedder()
    index_dir = Path(args.index_dir) if args.index_dir else Path(tempfile.mkdtemp(prefix="eval-index-"))
    from indexer.index.stores import make_store

    build_index(ROOT / "corpus", index_dir, embedder,
                store=make_store(args.store, index_dir, args.qdrant_location))
    engine = SearchEngine(index_dir, embedder)
    report = {"model": embedder.model_id, "n_queries": len(queries), "grouped": args.grouped,
              "store": args.store, "modes": {}}
    for mode in args.modes:
        rows, by_kind = [], defaultdict(list)
        t0 = time.time()
        for q in queries:
            results = [r.to_dict() for r in engine.search(q["query"], k=10, group_duplicates=args.grouped,
                                                          mode=mode)]
            row = score_query(results, q["relevant"], seed_map)
            rows.append(row)
            by_kind[q["kind"]].append(row)
        report["modes"][mode] = {
            "overall": aggregate(rows),
            "by_kind": {kind: aggregate(r) for kind, r in sorted(by_kind.items())},
            "seconds_per_query": round((time.time() - t0) / len(queries), 4),
        }
        o = report["modes"][mode]["overall"]
        print(f"{mode:>6}: hit@1 {o['hit@1']:.3f}  nDCG@10 {o['ndcg@10']:.3f}  MRR {o['mrr@10']:.3f}  "
              f"R@10 {o['recall@10']:.3f}  R@1000ch {o['recall@1000ch']:.3f}  R@3000ch {o['recall@3000ch']:.3f}  "
              f"median chars {o['median_chars_to_first']}")
        for kind, k in report["modes"][mode]["by_kind"].items():
            print(f"        {kind:<10} n={k['n']:<3} hit@1 {k['hit@1']:.2f} hit@10 {k['hit@10']:.2f} "
                  f"nDCG {k['ndcg@10']:.2f} R@1000ch {k['recall@1000ch']:.2f}")
    out = Path(args.out or ROOT / "benchmarks" / "results" /
               f"eval_retrieval{'_grouped' if args.grouped else ''}.json")
    args.out = str(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
