"""Command line: ``python -m indexer build | docs | chunks | search | ask | topics | prepare-model``.

A thin layer over the package API; the app uses the same functions.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from indexer import settings as config


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # every known failure becomes one clear line, not a traceback
        from indexer.index.build import BuildLocked, NothingToBuild
        from indexer.search.engine import QueryError
        from indexer.index.store import IndexProblem

        from indexer.errors import PolicySearchError

        if isinstance(exc, (PolicySearchError, IndexProblem, BuildLocked, NothingToBuild, QueryError,
                            FileNotFoundError, KeyError, ValueError)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m indexer",
                                     description="Vietnamese policy search: build and query the index.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build or update the index of a corpus folder")
    p.add_argument("corpus_dir", nargs="?", default=None)
    _common(p, model=True)
    p.add_argument("--index-type", choices=["flat", "hnsw", "ivfpq"], default="flat",
                   help="FAISS index: exact (flat, default) or approximate for large corpora")
    p.add_argument("--force", action="store_true", help="re-read and re-embed every file")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("docs", help="list indexed documents with their metadata")
    _common(p)
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("chunks", help="list a document's clauses in order")
    p.add_argument("doc_id")
    _common(p)
    p.set_defaults(func=cmd_chunks)

    p = sub.add_parser("search", help="search clauses")
    p.add_argument("query", nargs="?")
    p.add_argument("--batch", help="JSONL file with one {\"id\", \"query\"} per line")
    _search_options(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="answer a question from the documents, with citations")
    p.add_argument("question")
    _search_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("topics", help="which documents and provinces mention each topic")
    p.add_argument("topic_ids", nargs="*")
    p.add_argument("--topics-file", help="topic definitions (default: indexer/topics.yaml)")
    p.add_argument("--by-province", action="store_true", help="one line per province")
    p.add_argument("--current-names", action="store_true",
                   help="roll up by post-2025 province names")
    p.add_argument("--no-semantic", action="store_true",
                   help="phrases only: skip the model-based match of topic descriptions (faster)")
    _common(p)
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser("prepare-model", help="make the embedding model available offline")
    _common(p, model=True, json_flag=False)
    p.set_defaults(func=cmd_prepare_model)
    return parser


def _common(p: argparse.ArgumentParser, model: bool = False, json_flag: bool = True) -> None:
    p.add_argument("--index-dir", default=None, help="index folder (default .index or $POLICY_INDEX_DIR)")
    if json_flag:
        p.add_argument("--json", action="store_true", help="machine-readable output")
    if model:
        p.add_argument("--model", default=None, help="sentence-transformers model name or path")
        p.add_argument("--precision", choices=["fp32", "int8", "bf16"], default=None)


def _search_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--province", action="append", help="old or post-2025 province name (repeatable)")
    p.add_argument("--level", action="append")
    p.add_argument("--doc-type", action="append")
    p.add_argument("--year-from", type=int)
    p.add_argument("--year-to", type=int)
    p.add_argument("--doc", action="append", help="restrict to a document id (repeatable)")
    p.add_argument("--no-group", action="store_true", help="show near-duplicate clauses separately")
    _common(p, model=True)


# -- commands ------------------------------------------------------------------

def cmd_build(args) -> int:
    from indexer.index.build import build_index

    corpus = config.corpus_dir(args.corpus_dir)
    if not corpus.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus}")
    index_dir = config.index_dir(args.index_dir)
    embedder = config.load_embedder(args.model, args.precision)
    bars: dict[str, object] = {}

    def progress(stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if stage == "embed":
            return  # the model draws its own bar
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=f"{stage:>5}", unit="file" if stage != "write"
                                     else "step", file=sys.stderr, leave=True)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    report = build_index(corpus, index_dir, embedder, index_type=args.index_type,
                         progress=progress, force=args.force)
    _print_build_summary(report, index_dir)
    return 0


def _print_build_summary(report, index_dir: Path) -> None:
    state = "up to date" if report.up_to_date else f"built version {report.version}"
    print(f"Index {index_dir}: {state}")
    print(f"  documents: {report.n_docs}   clauses: {report.n_chunks}")
    for moved in getattr(report, "repaired", []):
        print(f"  repaired damaged index entry: {moved}")
    print(f"  read: {len(report.read_files)}   reused: {len(report.reused_files)}   "
          f"removed: {len(report.removed_files)}   skipped: {len(report.skipped)}")
    if report.embedded_chunks:
        secs = max(report.embed_seconds, 1e-9)
        print(f"  embedded {report.embedded_chunks} clauses ({report.embedded_tokens} tokens) in "
              f"{report.embed_seconds:.1f} s: {report.embedded_chunks / secs:.1f} clauses/s, "
              f"{report.embedded_tokens / secs:.0f} tokens/s")
    for s in report.skipped:
        print(f"  skipped {s.file}: {s.reason}")
    print(f"  total {report.seconds:.1f} s")


def _load(args):
    from indexer.index.store import load_index

    return load_index(config.index_dir(args.index_dir))


def cmd_docs(args) -> int:
    version = _load(args)
    docs = [asdict(d) for d in version.documents.values()]
    if args.json:
        print(json.dumps(docs, ensure_ascii=False, indent=1))
        return 0
    for d in docs:
        print(f"{d['doc_id']}\n  {d['doc_type']} {d['number'] or '(chưa ghi số)'} "
              f"{d['date'] or '(chưa ghi ngày)'} — {d['issuer']} — {d['province']}"
              f" ({d['n_chunks']} clauses)")
        for w in d["warnings"]:
            print(f"  ! {w}")
    return 0


def cmd_chunks(args) -> int:
    version = _load(args)
    if args.doc_id not in version.documents:
        raise KeyError(f"no document '{args.doc_id}'; see `python -m indexer docs`")
    chunks = [c for c in version.chunks if c.doc_id == args.doc_id]
    rows = [{"chunk_id": c.chunk_id, "section": c.section, "text": c.text, "start": c.start,
             "end": c.end, "zone": c.zone, "segmented": c.segmented} for c in chunks]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        print(f"[{r['chunk_id']}] {r['section']}\n    {r['text'][:300]}")
    return 0


def _engine(args):
    from indexer.search.engine import SearchEngine

    return SearchEngine(config.index_dir(args.index_dir), config.load_embedder(args.model, args.precision))


def _filters(args):
    from indexer.search.engine import Filters

    return Filters(provinces=args.province, levels=args.level, doc_types=args.doc_type,
                   year_from=args.year_from, year_to=args.year_to, doc_ids=args.doc)


def cmd_search(args) -> int:
    from indexer.search.engine import QueryError

    if not args.query and not args.batch:
        raise ValueError("give a QUERY or --batch FILE.jsonl")
    engine = _engine(args)
    filters = _filters(args)
    if args.batch:
        for line_no, line in enumerate(Path(args.batch).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            item = json.loads(line)
            try:
                results = engine.search(item["query"], k=args.k, filters=filters,
                                        group_duplicates=not args.no_group)
                out = {"id": item.get("id", line_no), "results": [r.to_dict() for r in results]}
            except QueryError as exc:
                out = {"id": item.get("id", line_no), "results": [], "error": str(exc)}
            print(json.dumps(out, ensure_ascii=False))
        return 0
    results = engine.search(args.query, k=args.k, filters=filters, group_duplicates=not args.no_group)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=1))
        return 0
    if not results:
        print("No matching clause.")
    for r in results:
        print(f"{r.rank}. [{r.score:.4f}] {r.citation}\n   {r.section}\n   {r.text[:400]}")
        for other in r.also_in:
            print(f"   also in: {other['citation']}")
    return 0


def cmd_ask(args) -> int:
    from indexer.features.answer import answer

    engine = _engine(args)
    result = answer(engine, args.question, filters=_filters(args))
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(result.render_text())
    return 0


def cmd_topics(args) -> int:
    from indexer.features.topics import coverage, load_topics, province_rollup

    version = _load(args)
    topics = load_topics(args.topics_file)
    if args.topic_ids:
        unknown = set(args.topic_ids) - {t.id for t in topics}
        if unknown:
            raise KeyError(f"unknown topic id(s): {', '.join(sorted(unknown))}")
        topics = [t for t in topics if t.id in args.topic_ids]
    embedder = None
    if not args.no_semantic and any(t.description for t in topics):
        embedder = config.load_embedder()
    cells = coverage(version, topics, embedder=embedder)
    if args.by_province:
        rows = province_rollup(version, cells, current_names=args.current_names)
        if args.json:
            print(json.dumps({"provinces": rows}, ensure_ascii=False, indent=1))
        else:
            for row in rows:
                mentioned = [f"{t} ({', '.join(info['documents'])})"
                             for t, info in row["topics"].items() if info["mentioned"]]
                print(f"{row['province']} — {len(row['documents'])} document(s): "
                      f"{', '.join(row['documents'])}")
                print("    mentions: " + ("; ".join(mentioned) if mentioned else "none"))
        return 0
    if args.json:
        print(json.dumps({"cells": [c.to_dict() for c in cells]}, ensure_ascii=False, indent=1))
        return 0
    for c in cells:
        mark = f"{c.count} clause(s)" if c.mentioned else "—"
        print(f"{c.topic:<22} {c.province or '?':<14} {c.doc_id:<60} {mark}")
    return 0


def cmd_prepare_model(args) -> int:
    from indexer.index.embed import ensure_model, resolve_model

    spec = resolve_model(config.model_name(args.model), config.model_precision(args.precision))
    path = ensure_model(spec)
    print(f"model ready: {spec.name} ({path})")
    return 0
