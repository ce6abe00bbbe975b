"""Score document metadata against hand-checked ground truth, per field.

Parses every file of a folder with the per-file pipeline (read → clean → structure →
metadata → clauses; no embedding, no index) and compares the fields `docs --json`
prints with ``realdocs/metadata.jsonl`` (and the five seeds with
``benchmarks/truth/seeds_metadata.jsonl``).

Matching rules (from the realdocs README, made explicit):
* number: equal after removing all whitespace (case kept: "NQ-HĐND" ≠ "nq-hđnd");
* date, level, structure: equal as strings (ISO dates);
* names (doc_type, issuer, issuer_parent, province, signer, signer_title): equal after
  NFC, removing Markdown markers (* _ ` # |) and collapsing whitespace; case kept;
* title: as names, then case-insensitive (casefold), and a trailing full stop ignored;
* null matches only null.

Held-back split: a file is held back when sha256("heldout19" + file name) starts with
0–3 (10 of the 40 files); rules were developed on the other 30.

    .venv/bin/python -m benchmarks.eval_metadata [--split all|dev|heldout] [--misses]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import time
import unicodedata
from pathlib import Path

from benchmarks.harness import ROOT

FIELDS = ["doc_type", "number", "date", "issuer", "issuer_parent", "level", "province",
          "signer", "signer_title", "title", "structure"]
NAME_FIELDS = {"doc_type", "issuer", "issuer_parent", "province", "signer", "signer_title"}
RESULTS = ROOT / "benchmarks" / "results" / "eval_metadata.json"
SEEDS_TRUTH = ROOT / "benchmarks" / "truth" / "seeds_metadata.jsonl"


def shared_dir() -> Path:
    """The shared evaluation data: POLICY_SHARED_DIR, else <repo>/../shared (indexer.settings)."""
    from indexer.settings import shared_dir as configured

    return Path(configured())


def held_back(file: str) -> bool:
    return hashlib.sha256(f"heldout19{file}".encode()).hexdigest()[0] in "0123"


def _plain(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    value = re.sub(r"[*_`#|]", " ", value)
    return re.sub(r"\s+", " ", value).strip()


def same(field: str, got, want) -> bool:
    """Whether an extracted value matches the ground truth under the rules above."""
    if want is None or got is None or got == "":
        return want is None and (got is None or got == "")
    got, want = str(got), str(want)
    if field == "number":
        return re.sub(r"\s+", "", got) == re.sub(r"\s+", "", want)
    if field in NAME_FIELDS:
        return _plain(got) == _plain(want)
    if field == "title":
        return _plain(got).rstrip(".").casefold() == _plain(want).rstrip(".").casefold()
    return got == want


def parse_folder(folder: Path, files: list[str]) -> dict[str, dict]:
    """docs --json fields of each file, parsed with the per-file pipeline."""
    try:
        from indexer.parse.pipeline import parse_file
    except ImportError:
        from indexer.index.build import parse_file
    from dataclasses import asdict

    out = {}
    for i, name in enumerate(files):
        out[name] = asdict(parse_file(folder / name, f"doc{i}").meta)
    return out


def score(truth: list[dict], got: dict[str, dict]) -> tuple[dict[str, list[int]], list[str]]:
    """Per field [right, total], and the misses as printable lines."""
    per_field = {f: [0, 0] for f in FIELDS}
    misses = []
    for row in truth:
        meta = got[row["file"]]
        for field in FIELDS:
            if field not in row:
                continue
            per_field[field][1] += 1
            if same(field, meta.get(field), row[field]):
                per_field[field][0] += 1
            else:
                misses.append(f"{row['file']:<40} {field:<13} got {meta.get(field)!r:.110}\n"
                              f"{'':<54} want {row[field]!r:.110}")
    return per_field, misses


def report(name: str, per_field: dict[str, list[int]]) -> dict:
    right = sum(r for r, _ in per_field.values())
    total = sum(t for _, t in per_field.values())
    print(f"\n{name}: {right}/{total} fields right ({right / max(total, 1):.3f})")
    for field, (r, t) in per_field.items():
        if t:
            print(f"  {field:<14} {r:>3}/{t:<3} {r / t:.3f}")
    return {"right": right, "total": total,
            "fields": {f: {"right": r, "total": t, "accuracy": round(r / t, 4)}
                       for f, (r, t) in per_field.items() if t}}


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["all", "dev", "heldout"], default="all")
    parser.add_argument("--misses", action="store_true", help="list every wrong field")
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON result")
    args = parser.parse_args()

    realdocs = shared_dir() / "realdocs"
    truth = _load(realdocs / "metadata.jsonl")
    started = time.perf_counter()
    got = parse_folder(realdocs / "docs", [r["file"] for r in truth])
    seeds_truth = _load(SEEDS_TRUTH)
    seeds_got = parse_folder(ROOT / "corpus", [r["file"] for r in seeds_truth])
    results = {"seconds": round(time.perf_counter() - started, 1)}
    splits = {"all": truth, "dev": [r for r in truth if not held_back(r["file"])],
              "heldout": [r for r in truth if held_back(r["file"])]}
    shown = ["all", "dev", "heldout"] if args.split == "all" else [args.split]
    for split in shown:
        per_field, misses = score(splits[split], got)
        results[split] = report(f"realdocs {split} ({len(splits[split])} documents)", per_field)
        if args.misses and split == args.split:
            print("\n".join(misses))
    per_field, misses = score(seeds_truth, seeds_got)
    results["seeds"] = report(f"seeds ({len(seeds_truth)} documents in corpus/)", per_field)
    if args.misses:
        print("\n".join(misses))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
