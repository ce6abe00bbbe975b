"""Command line: ``python -m indexer build | docs | chunks | search | ask | compare | topics | export |
prepare-model``.

A thin layer over `indexer.api.Library`. Every expected failure is a `PolicySearchError` (or an
OSError): one line ``error: <message> — <hint>`` on stderr, exit code 2, no traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from indexer import settings
from indexer.errors import PolicySearchError, QueryError

EXIT_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except PolicySearchError as exc:
        return _fail(str(exc))
    except BrokenPipeError:  # output piped into `head` …: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # disk full, permission denied … on a file the user named
        where = f" ({exc.filename})" if exc.filename else ""
        return _fail(f"{exc.strerror or exc}{where} — check the path and its permissions")


def _fail(text: str) -> int:
    """Print one printable line on stderr and return the error exit code."""
    line = "".join(ch if ch.isprintable() else " " for ch in " ".join(text.split()))
    print(f"error: {line}", file=sys.stderr)
    return EXIT_ERROR


# -- arguments ---------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m indexer",
                                     description="Vietnamese policy search: build and query the index.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build or update the index of a corpus folder")
    p.add_argument("corpus_dir", nargs="?", default=None)
    _common(p, model=True)
    p.add_argument("--index-type", choices=list(settings.INDEX_TYPES), default=None,
                   help="FAISS index: exact (flat, default) or approximate for large corpora")
    p.add_argument("--force", action="store_true", help="re-read and re-embed every file")
    p.add_argument("--store", choices=list(settings.STORES), default=None,
                   help="where the index is written: embedded (default, in --index-dir) or qdrant")
    p.add_argument("--qdrant-location", default=None, metavar="URL|PATH",
                   help="Qdrant server/cluster URL, or a folder for the client's local mode "
                        "(default: INDEX_DIR/qdrant)")
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
    _search_options(p, k=settings.ANSWER_K)
    p.add_argument("--llm-endpoint", help="OpenAI-compatible endpoint for a generated answer (off by default)")
    p.add_argument("--llm-model", help="model name at that endpoint")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("compare", help="the best clause of each province (or document) for a question")
    p.add_argument("query")
    p.add_argument("--by", choices=list(settings.COMPARE_BY), default="province")
    _search_options(p, k=1)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("topics", help="which documents and provinces mention each topic")
    p.add_argument("topic_ids", nargs="*")
    p.add_argument("--topics-file", help="topic definitions (default: indexer/features/topics.yaml)")
    p.add_argument("--by-province", action="store_true", help="one line per province")
    p.add_argument("--current-names", action="store_true",
                   help="roll up by post-2025 province names")
    p.add_argument("--no-semantic", action="store_true",
                   help="phrases only: skip the model-based match of topic descriptions (faster)")
    _common(p)
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser("export", help="export the top clauses of a search with their citations")
    p.add_argument("query")
    p.add_argument("--format", required=True, choices=list(settings.EXPORT_FORMATS))
    p.add_argument("--out", required=True, help="file to write")
    _search_options(p, json_flag=False)
    p.set_defaults(func=cmd_export)

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
        p.add_argument("--precision", choices=list(settings.PRECISIONS), default=None)


def _search_options(p: argparse.ArgumentParser, k: int = 10, json_flag: bool = True) -> None:
    p.add_argument("--k", type=int, default=k)
    p.add_argument("--province", action="append", help="old or post-2025 province name (repeatable)")
    p.add_argument("--level", action="append")
    p.add_argument("--doc-type", action="append")
    p.add_argument("--year-from", type=int)
    p.add_argument("--year-to", type=int)
    p.add_argument("--doc", action="append", help="restrict to a document id (repeatable)")
    p.add_argument("--no-group", action="store_true", help="show near-duplicate clauses separately")
    _common(p, model=True, json_flag=json_flag)


def _library(args, corpus_dir: str | None = None):
    from indexer.api import Library

    return Library(index_dir=args.index_dir, corpus_dir=corpus_dir, model=getattr(args, "model", None),
                   precision=getattr(args, "precision", None))


def _filters(args):
    from indexer.records import Filters

    return Filters(provinces=args.province, levels=args.level, doc_types=args.doc_type,
                   year_from=args.year_from, year_to=args.year_to, doc_ids=args.doc)


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1))


# -- commands ------------------------------------------------------------------------------------

def cmd_build(args) -> int:
    lib = _library(args, corpus_dir=args.corpus_dir)
    bars: dict[str, object] = {}

    def progress(stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = bars.get(stage)
        if bar is None:
            unit = {"write": "step", "embed": "clause", "sentences": "sentence"}.get(stage, "file")
            bar = bars[stage] = tqdm(total=total, desc=f"{stage:>5}", unit=unit, file=sys.stderr,
                                     leave=True)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    try:
        report = lib.build(progress=progress, force=args.force, index_type=args.index_type,
                           store=args.store, qdrant_location=args.qdrant_location)
    finally:  # an error line must start on its own line, not after an open progress bar
        for bar in bars.values():
            bar.close()
    _print_build_summary(report, lib.index_dir)
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


def cmd_docs(args) -> int:
    docs = _library(args).documents()
    if args.json:
        _print_json([asdict(d) for d in docs])
        return 0
    for d in docs:
        print(f"{d.doc_id}\n  {d.doc_type} {d.number or '(chưa ghi số)'} "
              f"{d.date or '(chưa ghi ngày)'} — {d.issuer} — {d.province} ({d.n_chunks} clauses)")
        for w in d.warnings:
            print(f"  ! {w}")
    return 0


def cmd_chunks(args) -> int:
    chunks = _library(args).chunks(args.doc_id)
    rows = [{"chunk_id": c.chunk_id, "section": c.section, "text": c.text, "start": c.start,
             "end": c.end, "zone": c.zone, "segmented": c.segmented} for c in chunks]
    if args.json:
        _print_json(rows)
        return 0
    for r in rows:
        print(f"[{r['chunk_id']}] {r['section']}\n    {r['text'][:300]}")
    return 0


def cmd_search(args) -> int:
    if not args.query and not args.batch:
        raise QueryError("no query", "give a QUERY or --batch FILE.jsonl")
    lib = _library(args)
    filters = _filters(args)
    if args.batch:
        return _search_batch(lib, args, filters)
    results = lib.search(args.query, k=args.k, filters=filters, group=not args.no_group)
    if args.json:
        _print_json([r.to_dict() for r in results])
        return 0
    if not results:
        print("No matching clause.")
    for r in results:
        print(f"{r.rank}. [{r.score:.4f}] {r.citation}\n   {r.section}\n   {r.text[:400]}")
        for other in r.also_in:
            print(f"   also in: {other.citation}")
    return 0


def _search_batch(lib, args, filters) -> int:
    """One JSON line per line of the batch file; a bad line or query gets an "error" field, not an exit."""
    for out in lib.search_batch(args.batch, k=args.k, filters=filters, group=not args.no_group):
        print(json.dumps(out, ensure_ascii=False))
    return 0


def cmd_ask(args) -> int:
    lib = _library(args)
    result = lib.ask(args.question, filters=_filters(args), k=args.k)
    endpoint = settings.llm_endpoint(args.llm_endpoint)
    if endpoint and result.results:
        lib.generate(result, endpoint, settings.llm_model(args.llm_model))
    if args.json:
        _print_json(result.to_dict())
        return 0
    print(result.render_text())
    return 0


def cmd_compare(args) -> int:
    rows = _library(args).compare(args.query, by=args.by, filters=_filters(args), k=args.k)
    if args.json:
        _print_json({"query": args.query, "by": args.by, "rows": [r.to_dict() for r in rows]})
        return 0
    for row in rows:
        print(f"{row.group} ({len(row.doc_ids)} document(s))")
        if not row.results:
            print("   — no matching clause")
        for r in row.results:
            print(f"   [{r.score:.4f}] {r.citation}\n   {r.text[:400]}")
    return 0


def cmd_topics(args) -> int:
    lib = _library(args)
    result = lib.coverage(args.topic_ids, semantic=not args.no_semantic, topics_file=args.topics_file)
    if args.by_province:
        rows = result.rollup(current_names=args.current_names)
        if args.json:
            _print_json({"provinces": rows})
            return 0
        for row in rows:
            mentioned = [f"{t} ({', '.join(info['documents'])})"
                         for t, info in row["topics"].items() if info["mentioned"]]
            print(f"{row['province']} — {len(row['documents'])} document(s): {', '.join(row['documents'])}")
            print("    mentions: " + ("; ".join(mentioned) if mentioned else "none"))
        return 0
    if args.json:
        _print_json(result.to_dict())
        return 0
    for c in result.cells:
        mark = f"{c.count} clause(s)" if c.mentioned else "—"
        print(f"{c.topic:<22} {c.province or '?':<14} {c.doc_id:<60} {mark}")
    return 0


def cmd_export(args) -> int:
    lib = _library(args)
    results = lib.search(args.query, k=args.k, filters=_filters(args))
    rows = lib.export_rows(results, note=f"tìm kiếm: {args.query}")
    data = lib.export(rows, args.format)
    out = Path(args.out)
    out.write_bytes(data)
    print(f"exported {len(rows)} clause(s) to {out} ({args.format}, {len(data)} bytes)")
    return 0


def cmd_prepare_model(args) -> int:
    from indexer.index.embed import prepare_model, resolve_model

    spec = resolve_model(args.model, args.precision)
    path = prepare_model(spec)  # verifies the files (sha256); a damaged default model is rebuilt
    print(f"model ready: {spec.name} ({path})")
    return 0
