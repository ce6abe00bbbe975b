"""Score retrieval on both development sets, the product beside the two quick-start peers.

Sets (found through POLICY_SHARED_DIR, default <repo>/../shared):
* ``seeds``: eval/dev.jsonl over the five seed documents (corpus/);
* ``real``:  realdocs/queries.jsonl over the seeds plus realdocs/docs/ (real documents);
* ``fresh``: benchmarks/truth/fresh_queries.jsonl, 24 other questions over the ``real`` corpus, written
  by someone who never saw the system (a check that tuning on ``real`` generalises).

Scoring follows realdocs/README.md: skeleton matching; hit@1, hit@10, recall@10, MRR@10, nDCG@10
(gain for each newly matched entry), recall within the first 1,000 / 3,000 characters read, median
characters read before the first relevant quote; overall, per kind, and on a held-out split (a
fixed third of each set, chosen by a hash of the query id, that tuning must not look at).
Systems: the product (``hybrid`` by default; ``--modes`` adds ablations) and the peers of
`retrieval_peers.py`. Warm query latency of the product is measured on the real set.

    .venv/bin/python -m benchmarks.eval_retrieval [--sets seeds real] [--modes hybrid dense bm25]
        [--no-peers] [--grouped] [--work DIR] [--out FILE] [--show-misses]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import shutil
import statistics
import tempfile
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

from benchmarks.harness import ROOT, write_results

from indexer.index.build import build_index
from indexer.index.stores import make_store
from indexer.search.engine import SearchEngine
from indexer.search.fusion import WEIGHTS, Weights
from indexer.settings import shared_dir
from indexer.index.embed import load_embedder
from benchmarks.retrieval_peers import Peers

METRICS = ("hit@1", "hit@10", "recall@10", "mrr@10", "ndcg@10", "recall@1000ch", "recall@3000ch")
PLAIN = Weights(focused=0.0, named=0.0, card=0.0, facet=0.0, identity=0.0, section=0.0)  # the hybrid before document awareness
SHOWN = ("hit@1", "hit@10", "recall@10", "ndcg@10", "recall@1000ch", "recall@3000ch")


def skeleton(text: str) -> str:
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("đ", "d").replace("Đ", "d")
    return re.sub(r"[^0-9a-z]", "", text.lower())


def held_out(query_id: str) -> bool:
    """A fixed third of every set, never looked at while tuning."""
    return int(hashlib.sha256(query_id.encode("utf-8")).hexdigest(), 16) % 3 == 0


def seed_to_corpus_file(corpus: Path, seeds: Path) -> dict[str, str]:
    """Map each seed file name to the corpus file with the same bytes."""
    by_hash = {hashlib.sha256(p.read_bytes()).hexdigest(): p.name for p in corpus.iterdir() if p.is_file()}
    return {p.name: by_hash.get(hashlib.sha256(p.read_bytes()).hexdigest(), "") for p in seeds.glob("*.txt")}


# -- scoring -------------------------------------------------------------------

def score_query(results: list[dict], relevant: list[dict], name_map: dict[str, str]) -> dict:
    """Metrics of one ranked list of cards {file, text, also_in?}. Copies folded into a card
    ("also in", near-identical clauses of other documents) count as found with it."""
    quotes = [(name_map.get(r["doc"], r["doc"]), skeleton(r["quote"])) for r in relevant]
    cards = [[(r["file"], r["text"], skeleton(r["text"]))] +
             [(a["file"], a["text"], skeleton(a["text"])) for a in r.get("also_in", [])] for r in results]
    matched_per_card = [{i for i, (qf, q) in enumerate(quotes) for f, _, sk in card if f == qf and q in sk}
                        for card in cards]
    seen: set[int] = set()
    dcg = 0.0
    for rank, matched in enumerate(matched_per_card[:10]):
        if matched - seen:
            dcg += 1 / math.log2(rank + 2)
        seen |= matched
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(quotes), 10)))
    first = next((i for i, m in enumerate(matched_per_card) if m), None)
    found10 = set().union(*matched_per_card[:10]) if matched_per_card else set()
    return {
        "hit@1": float(bool(matched_per_card[:1] and matched_per_card[0])),
        "hit@10": float(first is not None and first < 10),
        "recall@10": len(found10) / len(quotes),
        "mrr@10": 1 / (first + 1) if first is not None and first < 10 else 0.0,
        "ndcg@10": dcg / ideal if ideal else 0.0,
        "recall@1000ch": _recall_within(cards, quotes, 1000),
        "recall@3000ch": _recall_within(cards, quotes, 3000),
        "chars_to_first": _chars_to_first(cards, quotes),
    }


def _recall_within(cards, quotes, budget: int) -> float:
    found, used = set(), 0
    for card in cards:
        if used >= budget:
            break
        f, text, _ = card[0]
        visible = skeleton(text[: budget - used])
        found |= {i for i, (qf, q) in enumerate(quotes) if qf == f and q in visible}
        if len(text) <= budget - used:  # the card was read whole: its copies were seen too
            found |= {i for i, (qf, q) in enumerate(quotes) for af, _, ask in card[1:] if qf == af and q in ask}
        used += len(text)
    return len(found) / len(quotes)


def _chars_to_first(cards, quotes) -> float | None:
    read = 0
    for card in cards:
        f, text, sk = card[0]
        positions = [sk.find(q) + len(q) for qf, q in quotes if qf == f and q in sk]
        if not positions:
            positions = [len(sk) for af, _, ask in card[1:] for qf, q in quotes if qf == af and q in ask]
        if positions:
            return read + min(positions) * len(text) / max(1, len(sk))
        read += len(text)
    return None


def aggregate(rows: list[dict]) -> dict:
    if not rows:
        return {"n": 0}
    out = {k: round(statistics.mean(r[k] for r in rows), 3) for k in METRICS}
    firsts = [r["chars_to_first"] for r in rows if r["chars_to_first"] is not None]
    out["median_chars_to_first"] = round(statistics.median(firsts)) if firsts else None
    out["n"] = len(rows)
    return out


def summarize(queries: list[dict], rows: list[dict]) -> dict:
    by_kind = defaultdict(list)
    for q, row in zip(queries, rows):
        by_kind[q["kind"]].append(row)
    return {"overall": aggregate(rows),
            "tune": aggregate([r for q, r in zip(queries, rows) if not held_out(q["id"])]),
            "held_out": aggregate([r for q, r in zip(queries, rows) if held_out(q["id"])]),
            "by_kind": {kind: aggregate(r) for kind, r in sorted(by_kind.items())}}


# -- running -------------------------------------------------------------------

def prepare_sets(names: list[str], work: Path) -> dict[str, dict]:
    """Corpus folder, queries and file-name map of each evaluation set."""
    shared = shared_dir()
    seed_map = seed_to_corpus_file(ROOT / "corpus", shared / "seeds")
    sets = {}
    if "seeds" in names:
        sets["seeds"] = {"corpus": ROOT / "corpus", "queries": shared / "eval" / "dev.jsonl"}
    if "real" in names or "fresh" in names:
        corpus = work / "real-corpus"
        if corpus.exists():
            shutil.rmtree(corpus)
        corpus.mkdir(parents=True)
        for folder in (ROOT / "corpus", shared / "realdocs" / "docs"):
            for path in folder.iterdir():
                if path.is_file() and not path.name.startswith("."):
                    shutil.copy2(path, corpus / path.name)
        if "real" in names:
            sets["real"] = {"corpus": corpus, "queries": shared / "realdocs" / "queries.jsonl"}
        if "fresh" in names:  # other questions over the same documents, written blind to the system
            sets["fresh"] = {"corpus": corpus, "queries": ROOT / "benchmarks" / "truth" / "fresh_queries.jsonl"}
    for name, data in sets.items():
        data["queries"] = [json.loads(line) for line in
                           Path(data["queries"]).read_text(encoding="utf-8").splitlines() if line.strip()]
        data["map"] = seed_map
    return sets


def run_product(engine: SearchEngine, queries: list[dict], mode: str, grouped: bool) -> tuple[list, list]:
    results, times = [], []
    for q in queries:
        t0 = time.perf_counter()
        found = engine.search(q["query"], k=10, group_duplicates=grouped, mode=mode)
        times.append((time.perf_counter() - t0) * 1000)
        results.append([r.to_dict() for r in found])
    return results, times


def latency(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)], 1),
            "n": len(ordered)}


def print_table(name: str, systems: dict[str, dict]) -> None:
    print(f"\n== {name}: {next(iter(systems.values()))['overall']['n']} queries")
    print(f"{'system':<16}" + "".join(f"{m:>14}" for m in SHOWN))
    for system, summary in systems.items():
        o = summary["overall"]
        print(f"{system:<16}" + "".join(f"{o[m]:>14.3f}" for m in SHOWN))
    product = next(s for s in systems if not s.startswith("peer"))
    for peer in (s for s in systems if s.startswith("peer")):
        p, o = systems[peer]["overall"], systems[product]["overall"]
        print(f"{product + '/' + peer:<16}" +
              "".join(f"{(o[m] / p[m] if p[m] else float('inf')):>14.2f}" for m in SHOWN))
    for system, summary in systems.items():
        if system.startswith("peer"):
            continue
        for split in ("tune", "held_out"):
            o = summary[split]
            print(f"  {system} {split:<9} n={o['n']:<3}" + "".join(f" {m} {o[m]:.3f}" for m in SHOWN[:5]))
        for kind, k in summary["by_kind"].items():
            print(f"    {kind:<10} n={k['n']:<3} hit@1 {k['hit@1']:.2f} hit@10 {k['hit@10']:.2f} "
                  f"nDCG {k['ndcg@10']:.2f} R@10 {k['recall@10']:.2f} R@1000ch {k['recall@1000ch']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", nargs="+", default=["seeds", "real", "fresh"], choices=["seeds", "real", "fresh"])
    parser.add_argument("--modes", nargs="+", default=["hybrid"], choices=["hybrid", "dense", "bm25"])
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--no-plain", action="store_true",
                        help="skip 'plain': hybrid without document awareness (references, cards, facets)")
    parser.add_argument("--grouped", action="store_true",
                        help="score the product's default view: near-duplicates folded into 'also in'")
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "policy-search-eval"),
                        help="folder for the evaluation indexes and peer caches (reused between runs)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "eval_retrieval.json"))
    parser.add_argument("--show-misses", action="store_true", help="print queries missed at rank 1")
    parser.add_argument("--store", default="embedded", choices=["embedded", "qdrant"],
                        help="where the evaluation index is built and searched (qdrant: local mode in "
                             "the index folder unless --qdrant-location; an embedded index of the same "
                             "set in --work is copied first so that its vectors are reused)")
    parser.add_argument("--qdrant-location", default=None, help="Qdrant URL or folder")
    args = parser.parse_args()
    work = Path(args.work)
    embedder = load_embedder()
    report = {"model": embedder.model_id, "grouped": args.grouped, "store": args.store, "sets": {}}
    for name, data in prepare_sets(args.sets, work).items():
        queries = data["queries"]
        index_dir = work / f"index-{'real' if name == 'fresh' else name}"  # fresh: the real corpus
        if args.store != "embedded":
            embedded, index_dir = index_dir, work / f"index-{name}-{args.store}"
            if embedded.is_dir() and not index_dir.exists():
                shutil.copytree(embedded, index_dir)
        build_index(data["corpus"], index_dir, embedder,
                    store=make_store(args.store, index_dir, args.qdrant_location))
        engine = SearchEngine(index_dir, embedder)
        systems, timing = {}, {}
        runs = [(mode, mode, WEIGHTS) for mode in args.modes]
        if not args.no_plain and "hybrid" in args.modes:
            runs.append(("plain", "hybrid", PLAIN))
        for label, mode, weights in runs:
            engine.weights = weights
            run_product(engine, queries[:3], mode, args.grouped)  # warm-up
            results, times = run_product(engine, queries, mode, args.grouped)
            rows = [score_query(r, q["relevant"], data["map"]) for r, q in zip(results, queries)]
            systems[label] = summarize(queries, rows)
            timing[label] = latency(times)
            if args.show_misses:
                for q, row, r in zip(queries, rows, results):
                    if row["hit@1"] < 1:
                        top = f"{r[0]['file'][:18]} {r[0]['text'][:100]!r}" if r else "-"
                        print(f"  MISS {q['id']} {q['kind']} hit@10={row['hit@10']:.0f} {q['query'][:90]}\n"
                              f"       top: {top}")
        if not args.no_peers:
            peers = Peers(data["corpus"], embedder, work)
            for peer, fn in (("peer-dense", peers.dense), ("peer-bm25", peers.bm25_search)):
                rows = [score_query(fn(q["query"]), q["relevant"], data["map"]) for q in queries]
                systems[peer] = summarize(queries, rows)
        print_table(name, systems)
        print(f"  warm query latency ({name}, {len(engine.version.documents)} documents, "
              f"{engine.version.manifest.n_chunks} clauses): " +
              ", ".join(f"{m} p50 {t['p50_ms']} ms p95 {t['p95_ms']} ms" for m, t in timing.items()))
        report["sets"][name] = {"documents": len(engine.version.documents),
                                "clauses": engine.version.manifest.n_chunks, "n_queries": len(queries),
                                "systems": systems, "latency": timing}
    write_results("eval_retrieval", report, args.out)


if __name__ == "__main__":
    main()
