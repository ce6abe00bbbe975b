"""Part 5 of benchmarks/stress.py: the hostile-review cases of issue 15, run through the real CLI.

Each case runs ``python -m indexer …`` in a subprocess with a timeout (a hang is a failure) and
records exit code, seconds and the one error line. Cases: a FIFO named ``*.txt``; a same-stem
file (``X.docx`` beside an indexed ``X.txt``) and a case variant; each damaged-index state
(``docs`` before, ``build``, ``docs`` after); a full disk (a real 2 MB tmpfs; needs root); a
file grown past 50 MB; an upload beside a dangling symlink; a truncated model; ``search
--batch`` with malformed lines; an invalid date in ``metadata.csv``.

    .venv/bin/python -m benchmarks.stress --only hostile-review
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 600


def run(*args: str, timeout: float = TIMEOUT) -> dict:
    """One CLI command: exit code (None on timeout), seconds, error lines, traceback or not."""
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "indexer", *args], cwd=ROOT, capture_output=True,
                              timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        code, out, err = proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        code, out, err = None, "", ""
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    return {"exit_code": code, "seconds": round(time.perf_counter() - started, 1),
            "error": errors[-1][:300] if errors else "", "error_lines": len(errors),
            "traceback": "Traceback" in err, "stdout": out}


def _one_line(result: dict) -> bool:
    return result["exit_code"] == 2 and result["error_lines"] == 1 and not result["traceback"]


def _versions_tmp(index: Path) -> int:
    return len(list((index / "versions").glob(".tmp-*"))) if (index / "versions").is_dir() else 0


def fifo_case(corpus: Path, index: Path) -> dict:
    os.mkfifo(corpus / "pipe.txt")
    try:
        build = run("build", str(corpus), "--index-dir", str(index), timeout=300)
    finally:
        (corpus / "pipe.txt").unlink()
    return {"build_exit": build["exit_code"], "seconds": build["seconds"],
            "reported": "pipe.txt" in build["stdout"], "held": build["exit_code"] == 0}


def same_stem_case(corpus: Path, index: Path) -> dict:
    from indexer.index.store import load_index
    from tests.filegen import write_docx

    before = {m.file: m.doc_id for m in load_index(index).documents.values()}
    stem = Path(sorted(before)[0]).stem
    text = (corpus / f"{stem}.txt").read_text(encoding="utf-8")
    write_docx(text, corpus / f"{stem}.docx")
    (corpus / f"{stem.upper()}.TXT").write_text(text + "\nBổ sung.\n", encoding="utf-8")
    build = run("build", str(corpus), "--index-dir", str(index))
    after = {m.file: m.doc_id for m in load_index(index).documents.values()}
    again = run("build", str(corpus), "--index-dir", str(index))
    kept = all(after.get(f) == i for f, i in before.items())
    return {"build_exit": build["exit_code"], "ids_kept": kept, "ids_unique": len(set(after.values())) == len(after),
            "documents": len(after), "tmp_left": _versions_tmp(index),
            "next_build_up_to_date": "up to date" in again["stdout"],
            "held": build["exit_code"] == 0 and kept and _versions_tmp(index) == 0}


def damaged_cases(corpus: Path, index: Path, work: Path) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_damage import STATES, damage

    out = {}
    for state in STATES:
        target = work / f"damaged-{state}"
        shutil.copytree(index, target)
        damage(target, state)
        check = ("search", "quy hoạch") if state.startswith("bm25") else ("docs",)  # docs needs no BM25
        before = run(*check, "--index-dir", str(target))
        build = run("build", str(corpus), "--index-dir", str(target))
        after = run(*check, "--index-dir", str(target))
        repairable = state != "index_file"
        rebuilt = "up to date" not in build["stdout"]
        held = _one_line(before) and (after["exit_code"] == 0 and rebuilt if repairable else _one_line(build))
        out[state] = {"command": " ".join(check), "before": {k: before[k] for k in ("exit_code", "error")},
                      "build": {k: build[k] for k in ("exit_code", "error", "seconds")}, "rebuilt": rebuilt,
                      "after_exit": after["exit_code"], "held": held}
    return out


def disk_full_case(corpus: Path, index: Path, work: Path) -> dict:
    if os.geteuid() != 0:
        return {"skipped": "needs root to mount a tmpfs"}
    mount = work / "small-disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)]).returncode:
        return {"skipped": "cannot mount a tmpfs"}
    try:
        target = mount / "index"
        shutil.copytree(index, target)
        (corpus / "extra.txt").write_text((corpus / sorted(p.name for p in corpus.glob("*.txt"))[0])
                                          .read_text(encoding="utf-8") + "\nThêm.\n", encoding="utf-8")
        filler = mount / "filler"
        filler.write_bytes(b"\0" * max(0, shutil.disk_usage(mount).free - 16 * 1024))
        full = run("build", str(corpus), "--index-dir", str(target))
        docs = run("docs", "--index-dir", str(target))
        tmp_left = _versions_tmp(target)
        filler.unlink()
        freed = run("build", str(corpus), "--index-dir", str(target))
        (corpus / "extra.txt").unlink()
        return {"build_exit": full["exit_code"], "error": full["error"], "tmp_left": tmp_left,
                "live_index_still_loads": docs["exit_code"] == 0, "build_after_freeing_exit": freed["exit_code"],
                "held": _one_line(full) and "disk full" in full["error"] and tmp_left == 0
                and docs["exit_code"] == 0 and freed["exit_code"] == 0}
    finally:
        subprocess.run(["umount", "-l", str(mount)])


def grown_file_case(corpus: Path, index: Path) -> dict:
    from indexer.index.corpus import corpus_changes
    from indexer.index.store import load_index

    name = sorted(p.name for p in corpus.glob("*.txt"))[0]
    backup = (corpus / name).read_bytes()
    with open(corpus / name, "ab") as handle:
        handle.truncate(51 * 2**20)
    try:
        build = run("build", str(corpus), "--index-dir", str(index))
        version = load_index(index)
        kept = any(m.file == name for m in version.documents.values())
        stale = bool(corpus_changes(corpus, version.manifest))
        again = run("build", str(corpus), "--index-dir", str(index))
    finally:
        (corpus / name).write_bytes(backup)
    return {"build_exit": build["exit_code"], "previous_version_kept": kept, "corpus_changed_warning": stale,
            "next_build_up_to_date": "up to date" in again["stdout"],
            "held": build["exit_code"] == 0 and kept and not stale}


def upload_symlink_case(work: Path) -> dict:
    from indexer.features.upload import store_uploads

    corpus = work / "upload-corpus"
    corpus.mkdir()
    os.symlink(work / "nowhere.md", corpus / "ke-hoach.md")
    data = (ROOT / "corpus").glob("*.txt").__next__().read_bytes()
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(r=store_uploads([("ke-hoach.md", data)], corpus)),
                              daemon=True)
    started = time.perf_counter()
    thread.start()
    thread.join(60)
    done = not thread.is_alive()
    return {"finished": done, "seconds": round(time.perf_counter() - started, 2),
            "saved": box["r"].saved if done else [], "held": done and box["r"].saved == ["ke-hoach-2.md"]}


def model_case(work: Path) -> dict:
    from indexer.settings import models_dir

    folder = work / "e5-truncated"
    shutil.copytree(models_dir() / "multilingual-e5-small", folder,
                    ignore=shutil.ignore_patterns("model.safetensors"))
    with open(models_dir() / "multilingual-e5-small" / "model.safetensors", "rb") as src:
        (folder / "model.safetensors").write_bytes(src.read(2**20))
    prepared = run("prepare-model", "--model", str(folder))
    return {"prepare_model": {k: prepared[k] for k in ("exit_code", "error")},
            "held": _one_line(prepared) and "model damaged" in prepared["error"]}


def batch_case(index: Path, work: Path) -> dict:
    batch = work / "queries.jsonl"
    batch.write_text('{"id": "a", "query": "quy hoạch đô thị"}\n["x"]\n{bad\n{"q": "nhà ở"}\n{"text": 1}\n',
                     encoding="utf-8")
    result = run("search", "--batch", str(batch), "--index-dir", str(index))
    lines = [json.loads(x) for x in result["stdout"].splitlines() if x.strip()]
    errors = [x.get("error", "")[:8] for x in lines]
    return {"exit_code": result["exit_code"], "output_lines": len(lines), "errors": errors,
            "held": result["exit_code"] == 0 and len(lines) == 5 and errors[1].startswith("line 2")}


def corrections_case(corpus: Path, index: Path) -> dict:
    name = sorted(p.name for p in corpus.glob("*.txt"))[0]
    (corpus / "metadata.csv").write_text(f"file,date\n{name},22/9/2022\n", encoding="utf-8")
    good = run("build", str(corpus), "--index-dir", str(index))
    year = run("search", "đô thị", "--year-from", "2022", "--index-dir", str(index))
    (corpus / "metadata.csv").write_text(f"file,date\n{name},31/2/2022\n", encoding="utf-8")
    bad = run("build", str(corpus), "--index-dir", str(index))
    (corpus / "metadata.csv").unlink()
    return {"vn_date_build_exit": good["exit_code"], "year_filter_exit": year["exit_code"],
            "invalid_date": {k: bad[k] for k in ("exit_code", "error")},
            "held": good["exit_code"] == 0 and year["exit_code"] == 0 and _one_line(bad) and "cột date" in bad["error"]}


def hostile_review(work: Path) -> dict:
    """Every case above on a one-document corpus (a short plan); {case: result with "held"}."""
    root = work / "review"
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir(parents=True)
    sys.path.insert(0, str(ROOT / "tests"))
    from test_damage import DOC  # a short plan: every case rebuilds in seconds, not minutes

    (corpus / "ke-hoach-phat-trien-do-thi.txt").write_text(DOC, encoding="utf-8")
    first = run("build", str(corpus), "--index-dir", str(index))
    out = {"first_build": {k: first[k] for k in ("exit_code", "seconds")}}
    out["fifo"] = fifo_case(corpus, index)
    out["damaged"] = damaged_cases(corpus, index, root)
    out["disk_full"] = disk_full_case(corpus, index, root)
    out["grown_past_50mb"] = grown_file_case(corpus, index)
    out["upload_beside_dangling_symlink"] = upload_symlink_case(root)
    out["truncated_model"] = model_case(root)
    out["batch"] = batch_case(index, root)
    out["correction_dates"] = corrections_case(corpus, index)
    out["same_stem"] = same_stem_case(corpus, index)
    held = [v["held"] for v in out.values() if isinstance(v, dict) and "held" in v]
    held += [v["held"] for v in out["damaged"].values()]
    out["all_held"] = all(held)
    out["cases"] = len(held)
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="stress-hostile-") as tmp:
        print(json.dumps(hostile_review(Path(tmp)), ensure_ascii=False, indent=1))
