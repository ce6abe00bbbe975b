"""Reliability under stress, with numbers:

1. kill -9 of ``python -m indexer build`` at random moments (``--trials``, default 20): after each
   kill the previous version must load and answer the same queries with the same results, the
   build lock must be free, and the next build must complete.
2. Searches from many threads while rebuilds publish new versions: no errors, every answer equal
   to the answer of one of the versions (never a mix); throughput and latency percentiles.
3. Two builds at once: the second is refused with a clear message, the first completes.
4. The hostile-files corpus of tests/test_hostile.py built by the real command: wall time, peak
   memory (beside the peak of building the two good documents alone), every bad file reported.
5. The hostile-review cases of issue 15 (benchmarks/stress_hostile.py): FIFO, same-stem file,
   damaged index states, full disk (2 MB tmpfs), file grown past 50 MB, upload beside a dangling
   symlink, truncated model, search --batch, correction dates — each "held" or not.

    .venv/bin/python -m benchmarks.stress [--trials N] [--threads N] [--rebuilds N]

Results are printed and written to benchmarks/results/stress.json.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from benchmarks.harness import ROOT, write_results

sys.path.insert(0, str(ROOT / "tests"))  # the hostile-file generator is shared with the tests

from filelock import FileLock, Timeout

from indexer.index.build import BuildLocked, build_index
from indexer.index.embed import load_embedder
from indexer.search.engine import Filters, SearchEngine
from indexer.index.store import current_version_path, load_index

RESULTS = ROOT / "benchmarks" / "results" / "stress.json"
QN_CITY = "quang-ngai-thanh-pho_thanh-uy_chuong-trinh-hanh-dong-thuc-hien-nq06-2022.txt"
QN_PLAN = "quang-ngai-tinh_ubnd_ke-hoach-151-kh-ubnd-2022.txt"
QUERIES = ["không gian ngầm đô thị", "tỷ lệ đô thị hóa năm 2030", "nha o xa hoi",
           "phát triển đô thị theo định hướng giao thông công cộng", "chuyển đổi số đô thị thông minh",
           "Quảng Ngãi phủ kín quy hoạch phân khu", "underground space", "vành đai xanh"]
FILTERED = [("quy hoạch đô thị", Filters(provinces=["Quảng Ngãi"])),
            ("nhà ở xã hội", Filters(levels=["xã"])),
            ("chỉnh trang đô thị", Filters(provinces=["Kon Tum"]))]
# State B of the concurrency test: a metadata correction that changes what BM25 indexes (the
# province is among a clause's tokens) and what the filters see, without any embedding.
CORRECTION = f"file,province,level\n{QN_CITY},Kon Tum,xã\n"


def answers(engine: SearchEngine) -> list[list[tuple[str, float]]]:
    out = [[(r.chunk_id, r.score) for r in engine.search(q)] for q in QUERIES]
    out += [[(r.chunk_id, r.score) for r in engine.search(q, filters=f)] for q, f in FILTERED]
    return out


def pct(values: list[float], p: float) -> float:
    return round(float(np.percentile(values, p)), 2) if values else float("nan")


def lock_is_free(index_dir: Path) -> bool:
    lock = FileLock(str(index_dir / "build.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return False
    lock.release()
    return True


class BuildProcess:
    """``python -m indexer build`` in a subprocess, watching its progress on stderr."""

    STAGES = ((b"hash", "hash"), (b"read", "read"), (b"embed", "embed"), (b"write", "write"),
              (b"Index ", "done"))

    def __init__(self, corpus: Path, index_dir: Path, *extra: str):
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "indexer", "build", str(corpus), "--index-dir", str(index_dir),
             *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.stage = "start"
        self.begun = threading.Event()  # the model is loaded and the lock taken
        self.begun_at = float("nan")
        self.stage_at: dict[str, float] = {}  # when each stage was first seen
        self.ended_at = float("nan")
        self.stderr = b""
        self.stdout = b""
        threading.Thread(target=self._watch, daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()

    def _watch(self) -> None:
        for chunk in iter(lambda: self.proc.stderr.read1(4096), b""):
            self.stderr += chunk
            tail = self.stderr[-400:]
            for marker, stage in self.STAGES:
                if marker in tail:
                    self.stage = stage if stage != "hash" or self.stage == "start" else self.stage
                    self.stage_at.setdefault(stage, time.perf_counter())
            if b"hash" in tail and not self.begun.is_set():
                self.begun_at = time.perf_counter()
                self.begun.set()
        self.begun.set()

    def _drain(self) -> None:
        self.stdout = self.proc.stdout.read()

    def wait(self, timeout: float = 600) -> int:
        code = self.proc.wait(timeout)
        self.ended_at = time.perf_counter()
        return code


def cold_build(corpus: Path, index_dir: Path, embedder) -> float:
    t = time.perf_counter()
    build_index(corpus, index_dir, embedder)
    return round(time.perf_counter() - t, 1)


# --------------------------------------------------------------------------- 1. kill -9


def mutate(corpus: Path, trial: int, rng: random.Random) -> str:
    kind = ("edit", "metadata", "delete-or-restore")[trial % 3]  # returns what it did
    if kind == "edit":
        path = corpus / rng.choice([p.name for p in corpus.glob("*.txt")])
        lines = path.read_text(encoding="utf-8").split("\n")
        body = [i for i, line in enumerate(lines) if line.startswith("- ") and len(line) > 80]
        i = rng.choice(body)
        lines[i] = lines[i].rstrip() + f" Bổ sung thử nghiệm {trial}."
        path.write_text("\n".join(lines), encoding="utf-8")
        return "edit"
    if kind == "metadata":
        target = corpus / "metadata.csv"
        if target.exists():
            target.unlink()
            return "metadata"
        target.write_text(f"file,date\n{QN_PLAN},20{10 + trial % 10}-01-01\n", encoding="utf-8")
        return "metadata"
    parked = corpus.parent / "parked"
    if (parked / QN_CITY).exists():
        shutil.move(str(parked / QN_CITY), corpus / QN_CITY)
        return "restore"
    parked.mkdir(exist_ok=True)
    shutil.move(str(corpus / QN_CITY), parked / QN_CITY)
    return "delete"


CHANGES = {"edit": "edit a clause of one file", "metadata": "add/remove a metadata.csv correction",
           "delete": "delete a file", "restore": "restore a file (its clauses embedded again)"}


def calibrate(corpus: Path, index_dir: Path, rng: random.Random) -> dict:
    """Uninterrupted builds of each kind of change: seconds from the start of the build proper
    (model loaded, lock taken) to the write phase and to the moment the new version is live."""
    timing = {}
    for trial in (0, 1, 2, 5):  # edit, metadata, delete, restore
        kind = mutate(corpus, trial, rng)
        before = current_version_path(index_dir)
        build = BuildProcess(corpus, index_dir)
        published = float("nan")
        while build.proc.poll() is None:
            if published != published and current_version_path(index_dir) != before:
                published = time.perf_counter()
            time.sleep(0.002)
        if build.wait() != 0 or published != published:
            raise SystemExit(f"calibration build failed: {build.stderr[-2000:]!r}")
        write = build.stage_at.get("write", published)
        timing[kind] = {"to_write_s": round(write - build.begun_at, 2),
                        "to_publish_s": round(published - build.begun_at, 2),
                        "to_exit_s": round(build.ended_at - build.begun_at, 2)}
    return timing


def kill_trials(corpus: Path, index_dir: Path, embedder, n: int, seed: int) -> dict:
    """Each trial kills at a uniformly random moment between the start of the build and the
    moment an uninterrupted build of the same kind published its version; every fourth trial
    aims at the write phase (writing the version's files, fsync, switching CURRENT)."""
    rng = random.Random(seed)
    calibration = calibrate(corpus, index_dir, rng)
    print(f"   uninterrupted builds (seconds from build start): {calibration}")
    rows = []
    for trial in range(n):
        change = mutate(corpus, trial, rng)
        before = current_version_path(index_dir)
        expected = answers(SearchEngine(index_dir, embedder))
        tmp_before = len(list((index_dir / "versions").glob(".tmp-*")))
        build = BuildProcess(corpus, index_dir)
        if not build.begun.wait(300):
            raise SystemExit("a build did not start")
        if trial % 4 == 3:  # while the new version's files are being written
            versions = index_dir / "versions"
            old_tmp = set(versions.glob(".tmp-*"))  # left by earlier kills
            deadline = time.time() + 120
            while not set(versions.glob(".tmp-*")) - old_tmp and build.proc.poll() is None \
                    and time.time() < deadline:
                time.sleep(0.0005)
            time.sleep(rng.uniform(0.0, 0.03))
        else:
            target = rng.uniform(0.0, calibration[change]["to_publish_s"])
            time.sleep(max(0.0, build.begun_at + target - time.perf_counter()))
        delay = time.perf_counter() - build.begun_at  # since the build proper began
        stage = build.stage
        build.proc.send_signal(signal.SIGKILL)
        code = build.wait()
        after = current_version_path(index_dir)
        engine = SearchEngine(index_dir, embedder)  # must load whatever happened
        row = {"trial": trial, "change": change, "aimed_at_write": trial % 4 == 3,
               "killed_after_s": round(delay, 2),
               "stage_at_kill": stage, "exit_code": code, "killed": code == -signal.SIGKILL,
               "published_before_kill": after != before, "lock_free": lock_is_free(index_dir),
               "tmp_left": len(list((index_dir / "versions").glob(".tmp-*"))),
               "killed_while_writing": len(list((index_dir / "versions").glob(".tmp-*"))) > tmp_before}
        if after == before:
            row["same_answers"] = answers(engine) == expected
            row["ok"] = row["same_answers"] and row["lock_free"]
        else:  # the build had already published: the new version is complete and loads
            row["ok"] = row["lock_free"] and len(engine.version.chunks) == engine.version.manifest.n_chunks
        rows.append(row)
        print(f"  trial {trial:2d}: {CHANGES[change]:<45} killed at +{delay:4.2f} s in {stage:<6} "
              f"{'(writing) ' if row['killed_while_writing'] else ''}"
              f"{'published before the kill' if row['published_before_kill'] else 'previous version intact'}"
              f"  {'OK' if row['ok'] else 'FAILED'}")
    final = BuildProcess(corpus, index_dir)
    final_code = final.wait()
    version = load_index(index_dir, embedder.model_id)
    summary = {
        "uninterrupted_build_seconds": calibration,
        "trials": len(rows), "killed_mid_build": sum(r["killed"] and not r["published_before_kill"] for r in rows),
        "published_before_kill": sum(r["published_before_kill"] for r in rows),
        "killed_while_writing_the_new_version": sum(r["killed_while_writing"] for r in rows),
        "all_ok": all(r["ok"] for r in rows),
        "stages_at_kill": {s: sum(r["stage_at_kill"] == s for r in rows) for s in
                           sorted({r["stage_at_kill"] for r in rows})},
        "next_build_exit_code": final_code, "next_build_version": version.name,
        "tmp_left_after_next_build": len(list((index_dir / "versions").glob(".tmp-*"))),
        "runs": rows,
    }
    return summary


# --------------------------------------------------------------------------- 2. concurrency


def concurrency(corpus: Path, index_dir: Path, embedder, n_threads: int, n_rebuilds: int) -> dict:
    correction = corpus / "metadata.csv"
    correction.unlink(missing_ok=True)
    build_index(corpus, index_dir, embedder)
    state_a = answers(SearchEngine(index_dir, embedder))
    correction.write_text(CORRECTION, encoding="utf-8")
    build_index(corpus, index_dir, embedder)
    state_b = answers(SearchEngine(index_dir, embedder))
    correction.unlink()
    build_index(corpus, index_dir, embedder)
    assert answers(SearchEngine(index_dir, embedder)) == state_a, "state A is not reproducible"
    differing = sum(a != b for a, b in zip(state_a, state_b))

    engine = SearchEngine(index_dir, embedder)
    items = [(q, None) for q in QUERIES] + FILTERED
    lat: list[float] = []
    mixed: list[dict] = []
    errors: list[str] = []
    versions_seen: set[str] = set()
    stop = threading.Event()
    counts = {"searches": 0}

    def searcher(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            i = rng.randrange(len(items))
            q, f = items[i]
            t = time.perf_counter()
            try:
                got = [(r.chunk_id, r.score) for r in engine.search(q, filters=f)]
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            lat.append((time.perf_counter() - t) * 1000)
            counts["searches"] += 1
            versions_seen.add(engine.version.name)
            if got != state_a[i] and got != state_b[i]:
                mixed.append({"query": q, "got": got[:3]})

    threads = [threading.Thread(target=searcher, args=(k,)) for k in range(n_threads)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    builds = []
    try:
        for k in range(n_rebuilds):
            if k % 2 == 0:
                correction.write_text(CORRECTION, encoding="utf-8")
            else:
                correction.unlink()
            build = BuildProcess(corpus, index_dir)
            code = build.wait()
            builds.append({"exit_code": code, "seconds": round(time.perf_counter() - build.started_at, 1)})
        time.sleep(2)
    finally:
        stop.set()
        for t in threads:
            t.join(120)
    elapsed = time.perf_counter() - started
    # the same load without a rebuild, for comparison
    quiet_lat: list[float] = []
    quiet_started = time.perf_counter()
    while time.perf_counter() - quiet_started < 20:
        q, f = items[len(quiet_lat) % len(items)]
        t = time.perf_counter()
        engine.search(q, filters=f)
        quiet_lat.append((time.perf_counter() - t) * 1000)
    return {
        "threads": n_threads, "rebuilds": builds, "seconds": round(elapsed, 1),
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        "searches": counts["searches"], "errors": len(errors), "error_examples": errors[:5],
        "answers_from_neither_version": len(mixed), "examples": mixed[:3],
        "queries_whose_answer_differs_between_versions": differing, "of_queries": len(items),
        "versions_seen_by_searches": len(versions_seen),
        "throughput_qps": round(counts["searches"] / elapsed, 2),
        "latency_ms": {"p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99), "max": pct(lat, 100)},
        "single_thread_without_rebuild_latency_ms": {"n": len(quiet_lat), "p50": pct(quiet_lat, 50),
                                                      "p95": pct(quiet_lat, 95)},
    }


# --------------------------------------------------------------------------- 3. two builds


def two_builds(corpus: Path, index_dir: Path, embedder) -> dict:
    first = BuildProcess(corpus, index_dir, "--force")  # re-embeds everything: a long build
    first.begun.wait(300)
    t = time.perf_counter()
    second = subprocess.run([sys.executable, "-m", "indexer", "build", str(corpus), "--index-dir",
                             str(index_dir)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    refused_after = time.perf_counter() - t
    in_process = None
    try:
        build_index(corpus, index_dir, embedder)
    except BuildLocked as exc:
        in_process = str(exc)
    first_code = first.wait()
    return {"second_exit_code": second.returncode, "second_stderr": second.stderr.strip(),
            "second_refused_after_s": round(refused_after, 1),
            "second_printed_a_traceback": "Traceback" in second.stderr,
            "in_process_BuildLocked": in_process,
            "first_exit_code": first_code,
            "first_seconds": round(time.perf_counter() - first.started_at, 1),
            "first_first_stdout_line": first.stdout.decode("utf-8", "replace").splitlines()[:1]}


# --------------------------------------------------------------------------- 4. hostile files


def measured_build(corpus: Path, index_dir: Path) -> dict:
    t = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "indexer", "build", str(corpus), "--index-dir",
                                 str(index_dir)], cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        out.seek(0)
        stdout = out.read().decode("utf-8", "replace")
    return {"exit_code": os.waitstatus_to_exitcode(status), "wall_s": round(time.perf_counter() - t, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "stdout": stdout}


def hostile(work: Path) -> dict:
    from test_hostile import GOOD, make_hostile_corpus

    root = work / "hostile"
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    expected_skipped, expected_indexed = make_hostile_corpus(corpus, root / "outside.txt")
    size = sum(p.lstat().st_size for p in corpus.iterdir() if p.is_file() and not p.is_symlink())
    alone = root / "alone"
    alone.mkdir()
    for name in GOOD:
        shutil.copy(ROOT / "corpus" / name, alone / name)
    baseline = measured_build(alone, root / "index-alone")
    run = measured_build(corpus, root / "index")
    reported = [line.strip()[len("skipped "):] for line in run["stdout"].splitlines()
                if line.strip().startswith("skipped ")]
    version = load_index(root / "index")
    return {"files": len(list(corpus.iterdir())), "bytes": size, "exit_code": run["exit_code"],
            "wall_s": run["wall_s"], "peak_rss_mb": run["peak_rss_mb"],
            "good_docs_alone": {k: baseline[k] for k in ("wall_s", "peak_rss_mb")},
            "reported_skipped": len(reported), "expected_skipped": len(expected_skipped),
            "indexed_documents": len(version.documents),
            "expected_indexed": len(expected_indexed) + len(GOOD), "skipped": reported}


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rebuilds", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", nargs="*", choices=["kill", "concurrency", "two-builds", "hostile",
                                                     "hostile-review"])
    args = parser.parse_args()
    parts = set(args.only or ["kill", "concurrency", "two-builds", "hostile", "hostile-review"])

    work = Path(tempfile.mkdtemp(prefix="stress-"))
    result = {"benchmark": "stress", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}}
    if args.only and RESULTS.exists():  # a partial run updates the parts it ran
        result = {**json.loads(RESULTS.read_text(encoding="utf-8")), **result}
    try:
        embedder = load_embedder()
        corpus, index_dir = work / "corpus", work / "index"
        shutil.copytree(ROOT / "corpus", corpus)
        if parts - {"hostile", "hostile-review"}:
            result["cold_build_seconds"] = cold_build(corpus, index_dir, embedder)
            print(f"cold build of corpus/: {result['cold_build_seconds']} s")
        if "kill" in parts:
            print(f"1. kill -9 during builds ({args.trials} trials)")
            result["kill_9"] = kill_trials(corpus, index_dir, embedder, args.trials, args.seed)
            k = result["kill_9"]
            print(f"   {k['trials']} trials: {k['killed_mid_build']} killed mid-build, "
                  f"({k['killed_while_writing_the_new_version']} while writing the new version), "
                  f"{k['published_before_kill']} had published; all OK: {k['all_ok']}; "
                  f"next build exit {k['next_build_exit_code']}, temp folders left {k['tmp_left_after_next_build']}")
            if (corpus.parent / "parked" / QN_CITY).exists():  # put the corpus back together
                shutil.move(str(corpus.parent / "parked" / QN_CITY), corpus / QN_CITY)
            (corpus / "metadata.csv").unlink(missing_ok=True)
        if "concurrency" in parts:
            print(f"2. {args.threads} threads searching during {args.rebuilds} rebuilds")
            c = result["concurrency"] = concurrency(corpus, index_dir, embedder, args.threads, args.rebuilds)
            print(f"   {c['searches']} searches in {c['seconds']} s = {c['throughput_qps']} q/s; "
                  f"p50 {c['latency_ms']['p50']} ms, p95 {c['latency_ms']['p95']} ms; errors {c['errors']}; "
                  f"answers from neither version {c['answers_from_neither_version']}; "
                  f"versions seen {c['versions_seen_by_searches']}")
        if "two-builds" in parts:
            print("3. two builds at once")
            t = result["two_builds"] = two_builds(corpus, index_dir, embedder)
            print(f"   second: exit {t['second_exit_code']}, {t['second_stderr']!r} after "
                  f"{t['second_refused_after_s']} s; first: exit {t['first_exit_code']} in {t['first_seconds']} s")
        if "hostile" in parts:
            print("4. hostile files")
            h = result["hostile"] = hostile(work)
            print(f"   {h['files']} files ({h['bytes'] / 2**20:.0f} MB): exit {h['exit_code']}, {h['wall_s']} s, "
                  f"peak RSS {h['peak_rss_mb']} MB (good docs alone: {h['good_docs_alone']['peak_rss_mb']} MB, "
                  f"{h['good_docs_alone']['wall_s']} s); skipped {h['reported_skipped']}/{h['expected_skipped']}, "
                  f"indexed {h['indexed_documents']}/{h['expected_indexed']}")
        if "hostile-review" in parts:
            from benchmarks.stress_hostile import hostile_review

            print("5. hostile-review cases (issue 15) through the CLI")
            r = result["hostile_review"] = hostile_review(work)
            print(f"   {r['cases']} cases, all held: {r['all_held']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["machine"]["load_avg_at_end"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_results("stress", result, RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
