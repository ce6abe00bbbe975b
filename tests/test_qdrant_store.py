"""The Qdrant store in the client's local mode (no network): schema, BM25 sparse vectors,
incremental builds, alias switching under kill -9, bad locations and model mismatch."""
from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.errors import IndexMismatch, PolicySearchError, SettingsError
from indexer.index import qdrant_store as qs
from indexer.index.stores import EmbeddedStore, QdrantStore, make_store

from conftest import CORPUS, QN_CITY, QN_PLAN, ROOT, SEEDS

DEV = Path(os.environ.get("POLICY_SHARED_DIR", ROOT.parent / "shared")) / "eval" / "dev.jsonl"


def dev_queries() -> list[str]:
    """The seed dev questions (skip, like the other shared-data tests, when ../shared is absent)."""
    if not DEV.exists():
        pytest.skip("shared dev set not available")
    return [json.loads(line)["query"] for line in DEV.read_text(encoding="utf-8").splitlines() if line]


# --------------------------------------------------------------------------- fast tier


def test_token_ids_resolve_hash_collisions_deterministically():
    seen: dict[int, str] = {}
    pair = None
    for i in range(400_000):  # a 32-bit hash collides within ~80k tokens (birthday bound)
        token = f"t{i}"
        h = qs._hash32(token)
        if h in seen:
            pair = (seen[h], token)
            break
        seen[h] = token
    assert pair, "no collision found to test"
    ids, overrides = qs.token_ids([pair[1], pair[0], "khác"])
    assert len(set(ids.values())) == 3  # every token keeps its own sparse index
    assert list(overrides) == [max(pair)]  # the later one in sorted order moves
    assert qs.lookup_id(max(pair), overrides) == ids[max(pair)] != ids[min(pair)]
    assert qs.token_ids([pair[1], pair[0]])[0] == {k: ids[k] for k in pair}  # order-independent


def test_sparse_weights_are_bm25_saturated_term_frequencies():
    tokens = ["đô_thị", "thông_minh", "đô_thị", "~do", "~thi"]
    indices, values = qs.sparse_doc(tokens, avgdl=10.0, overrides={})
    norm = qs.K1 * (1 - qs.B + qs.B * len(tokens) / 10.0)
    weights = dict(zip(indices, values))
    assert weights[qs._hash32("đô_thị")] == pytest.approx(2 / (2 + norm))
    assert weights[qs._hash32("thông_minh")] == pytest.approx(1 / (1 + norm))
    assert indices == sorted(indices) and len(indices) == 4
    q_idx, q_val = qs.sparse_query(["đô_thị", "đô_thị", "không_có"], {"đô_thị": 3}, {})
    assert (q_idx, q_val) == ([qs._hash32("đô_thị")], [2.0])  # unknown tokens cannot match


@pytest.mark.parametrize("url", ["http://127.0.0.1:1", "htp://127.0.0.1:6333"])
def test_unreachable_or_malformed_url_is_one_clear_error(url):
    started = time.perf_counter()
    with pytest.raises(qs.QdrantStoreError) as info:
        qs.client_for(url)
    assert time.perf_counter() - started < 15
    assert url in info.value.message and "Qdrant" in info.value.message
    assert "--qdrant-location" in info.value.hint and "nothing was changed" in info.value.hint
    assert "\n" not in str(info.value) and "Traceback" not in str(info.value)


def test_a_web_server_that_is_not_qdrant_is_named_as_such():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(qs.QdrantStoreError, match="not a Qdrant server"):
            qs.client_for(url)
    finally:
        server.shutdown()


def test_local_folder_in_use_by_another_process_is_one_clear_error(tmp_path):
    folder = tmp_path / "qdrant"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from qdrant_client import QdrantClient; "
        f"c = QdrantClient(path={str(folder)!r}); print('open', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == b"open"
        with pytest.raises(qs.QdrantStoreError, match="in use by another process") as info:
            qs.client_for(str(folder))
        assert "Qdrant server" in info.value.hint
    finally:
        holder.kill()
        holder.wait()


def test_unknown_store_is_a_settings_error(tmp_path):
    with pytest.raises(SettingsError, match="Unknown store"):
        make_store("elastic", tmp_path)
    assert isinstance(make_store(None, tmp_path), EmbeddedStore)
    store = make_store("qdrant", tmp_path)
    assert store.location == str((tmp_path / "qdrant").resolve()) and store.alias == qs.DEFAULT_ALIAS
    assert make_store("QDRANT", tmp_path, "http://qdrant.internal:6333/").location == \
        "http://qdrant.internal:6333"


# --------------------------------------------------------------------------- with the model


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _qdrant_build(corpus: Path, index_dir: Path, embedder, location: Path, **kwargs):
    from indexer.index.build import build_index

    return build_index(corpus, index_dir, embedder, store=QdrantStore(index_dir, str(location)), **kwargs)


def _backend(location: Path, model_id: str | None):
    from indexer.index.qdrant_backend import QdrantBackend

    return QdrantBackend(str(location.resolve()), qs.DEFAULT_ALIAS, model_id)


def _collections(location: Path) -> list[str]:
    client = qs.client_for(str(location.resolve()))
    return sorted(c.name for c in client.get_collections().collections)


@pytest.fixture
def qdrant_index(corpus_index, tmp_path, embedder):
    """The session's embedded index of corpus/ moved to a local Qdrant (its vectors reused)."""
    index_dir = _copy(corpus_index, tmp_path / "index")
    location = tmp_path / "qdrant"
    report = _qdrant_build(CORPUS, index_dir, embedder, location)
    yield index_dir, location, report
    qs.close_client(str(location.resolve()))


@pytest.mark.model
def test_moving_to_qdrant_reuses_every_vector_and_holds_everything(qdrant_index, corpus_index,
                                                                   embedder):
    from indexer.index.store import load_index

    index_dir, location, report = qdrant_index
    embedded = load_index(corpus_index)
    assert report.embedded_chunks == 0 and not report.up_to_date
    assert report.n_chunks == len(embedded.chunks) and report.n_docs == len(SEEDS)
    backend = _backend(location, embedder.model_id)
    assert backend.name == report.version == (index_dir / "CURRENT").read_text().strip()
    assert set(backend.documents) == set(embedded.documents)
    assert backend.manifest.store == "qdrant" and backend.manifest.n_chunks == report.n_chunks
    # the index folder holds only the manifest that finds the store
    assert sorted(p.name for p in (index_dir / "versions" / report.version).iterdir()) == ["manifest.json"]
    doc_id = next(iter(embedded.documents))
    assert backend.document_chunks(doc_id) == [c for c in embedded.chunks if c.doc_id == doc_id]
    wanted = [embedded.chunks[7].chunk_id, "missing", embedded.chunks[2].chunk_id]
    assert [c.chunk_id for c in backend.fetch_chunks(wanted)] == [wanted[0], wanted[2]]
    assert backend.document_text(doc_id) == embedded.texts[doc_id]


@pytest.mark.model
def test_dense_and_bm25_rankings_match_the_embedded_store_on_the_dev_queries(qdrant_index, corpus_index,
                                                                           embedder):
    from indexer.index.store import load_index
    from indexer.text.segment import bm25_tokens, segment_text

    embedded = load_index(corpus_index)
    backend = _backend(qdrant_index[1], embedder.model_id)
    queries = dev_queries()
    vectors = embedder.encode_queries(queries).astype(np.float32)
    scores, rows = embedded.dense.search(vectors, 5)
    overlap_dense = overlap_sparse = 0
    for query, vector, top_scores, top_rows in zip(queries, vectors, scores, rows):
        got = backend.dense_search(vector, 5)
        assert [s for _, s in got] == pytest.approx(top_scores.tolist(), abs=1e-4)
        overlap_dense += len({c for c, _ in got} & {embedded.chunks[r].chunk_id for r in top_rows})
        tokens = bm25_tokens(segment_text(query))
        bm25 = embedded.bm25.get_scores(tokens)
        expected = [(embedded.chunks[r].chunk_id, float(bm25[r])) for r in np.argsort(-bm25)[:5] if bm25[r] > 0]
        got = backend.sparse_search(tokens, 5)
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-4)
        overlap_sparse += len({c for c, _ in got} & {c for c, _ in expected})
    # ids agree except where two clauses tie on score
    assert overlap_dense >= 0.95 * 5 * len(queries) and overlap_sparse >= 0.95 * 5 * len(queries)


@pytest.mark.model
def test_document_filter_restricts_both_retrievers(qdrant_index, embedder):
    backend = _backend(qdrant_index[1], embedder.model_id)
    doc_id = sorted(backend.documents)[1]
    vector = embedder.encode_queries(["chuyển đổi số"])[0]
    hits = backend.dense_search(vector, 10, {doc_id})
    assert hits and all(c.startswith(doc_id) for c, _ in hits)
    assert backend.dense_search(vector, 10, set()) == []
    tokens = ["chuyển_đổi", "số"]
    assert all(c.startswith(doc_id) for c, _ in backend.sparse_search(tokens, 10, {doc_id}))


@pytest.mark.model
def test_incremental_build_reembeds_only_the_changed_document_and_deletes_removed_ones(
        qdrant_index, corpus_copy, embedder):
    index_dir, location, first = qdrant_index
    before = _backend(location, embedder.model_id)
    plan_doc = next(d.doc_id for d in before.documents.values() if d.file == QN_PLAN)
    city_doc = next(d.doc_id for d in before.documents.values() if d.file == QN_CITY)
    with open(corpus_copy / QN_PLAN, "a", encoding="utf-8") as handle:
        handle.write("\n\nIV. ĐIỀU KHOẢN BỔ SUNG\n1. Thí điểm tuyến xe buýt điện nội đô.\n")
    (corpus_copy / QN_CITY).unlink()
    report = _qdrant_build(corpus_copy, index_dir, embedder, location)
    assert report.read_files == [QN_PLAN] and report.removed_files == [QN_CITY]
    after = _backend(location, embedder.model_id)
    new_chunks = after.document_chunks(plan_doc)
    assert 0 < report.embedded_chunks <= len(new_chunks) - len(before.document_chunks(plan_doc)) + 2
    assert "xe buýt điện" in new_chunks[-1].text
    assert city_doc not in after.documents and after.document_chunks(city_doc) == []
    assert after.sparse_search(["~buyt", "~dien"], 3)[0][0] == new_chunks[-1].chunk_id
    # the build before stays as the one fallback; the one before that is pruned
    assert _collections(location) == sorted([first.version, report.version])
    again = _qdrant_build(corpus_copy, index_dir, embedder, location)
    assert again.up_to_date and again.embedded_chunks == 0


@pytest.mark.model
def test_model_mismatch_is_one_clear_error_and_deletes_nothing(qdrant_index, embedder):
    _, location, report = qdrant_index
    with pytest.raises(IndexMismatch) as info:
        _backend(location, "another-model@0000")
    assert embedder.model_id in info.value.message and "another-model@0000" in info.value.message
    assert "--force" in info.value.hint and isinstance(info.value, PolicySearchError)
    assert _collections(location) == [report.version]
    assert _backend(location, embedder.model_id).name == report.version


_KILLABLE_BUILD = """
import sys
from pathlib import Path
from indexer.index.build import build_index
from indexer.index.stores import QdrantStore
from indexer.index.embed import load_embedder
corpus, index_dir, location = map(Path, sys.argv[1:4])
build_index(corpus, index_dir, load_embedder(), store=QdrantStore(index_dir, str(location)))
"""


@pytest.mark.model
def test_kill_9_while_writing_a_collection_leaves_the_previous_alias_live(qdrant_index, corpus_copy,
                                                                         embedder):
    index_dir, location, first = qdrant_index
    backend = _backend(location, embedder.model_id)
    vector = embedder.encode_queries(["chuyển đổi số trong cơ quan nhà nước"])[0]
    expected = backend.dense_search(vector, 5), backend.sparse_search(["chuyển_đổi", "số"], 5)
    with open(corpus_copy / QN_PLAN, "a", encoding="utf-8") as handle:
        handle.write("\n\nIV. BỔ SUNG\n1. Thí điểm chuyển đổi số tại cấp xã.\n")
    qs.close_client(str(location.resolve()))  # local mode: one process at a time
    collections = location / "collection"
    log_path = corpus_copy.parent / "build-stderr.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-c", _KILLABLE_BUILD, str(corpus_copy), str(index_dir),
                                 str(location)], cwd=ROOT, stderr=log)
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            fresh = [p for p in collections.iterdir() if p.name != first.version]
            storage = fresh[0] / "storage.sqlite" if fresh else None
            if storage and storage.exists() and storage.stat().st_size > 64 * 1024:
                break  # the new collection is being filled (some points written, not all)
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        code = proc.wait(60)
    assert code == -signal.SIGKILL, f"the build ended before the kill: {log_path.read_bytes()[-800:]!r}"
    assert [p.name for p in collections.iterdir() if p.name != first.version]  # left half-written
    after = _backend(location, embedder.model_id)
    assert after.name == first.version == (index_dir / "CURRENT").read_text().strip()
    for got, want in zip((after.dense_search(vector, 5), after.sparse_search(["chuyển_đổi", "số"], 5)),
                         expected):
        assert [c for c, _ in got] == [c for c, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-5)
    report = _qdrant_build(corpus_copy, index_dir, embedder, location)  # the next build completes
    assert report.read_files == [QN_PLAN]
    assert _collections(location) == sorted([first.version, report.version])  # abandoned one pruned
    assert "cấp xã" in _backend(location, embedder.model_id).document_chunks(
        next(d for d, m in after.documents.items() if m.file == QN_PLAN))[-1].text


def _top(engine, query: str, filters=None, k: int = 5) -> list[dict]:
    return [r.to_dict() for r in engine.search(query, k=k, filters=filters)]


@pytest.mark.model
def test_search_answers_alike_on_both_stores_for_the_dev_queries(qdrant_index, engine, embedder):
    """Parity: the same hybrid search (client-side RRF fusion, filters, near-duplicate grouping)
    over the embedded store and over Qdrant gives the same top-5 cards and JSON."""
    from indexer.records import Filters
    from indexer.search.engine import SearchEngine

    on_qdrant = SearchEngine(qdrant_index[0], embedder)
    assert on_qdrant.version.manifest.store == "qdrant"
    queries = dev_queries()
    same_chunks = same_docs = 0
    for query in queries:
        a, b = _top(engine, query), _top(on_qdrant, query)
        same_chunks += len({r["chunk_id"] for r in a} & {r["chunk_id"] for r in b})
        same_docs += sum(x["doc_id"] == y["doc_id"] for x, y in zip(a, b))
        if [r["chunk_id"] for r in a] == [r["chunk_id"] for r in b]:
            for x, y in zip(a, b):  # the whole JSON card; the fused score moves a little when
                # tied clauses deeper in a retriever's top 100 come back in another order
                assert x | {"score": 0} == y | {"score": 0} and x["score"] == pytest.approx(y["score"], rel=0.02)
    print(f"\ntop-5 over {len(queries)} dev queries: clause-id overlap "
          f"{same_chunks / (5 * len(queries)):.3f}, same document at the same rank {same_docs / (5 * len(queries)):.3f}")
    assert same_chunks >= 0.95 * 5 * len(queries)
    for filters in (Filters(provinces=["Lâm Đồng"]), Filters(provinces=["quang ngai"]),
                    Filters(levels=["huyện"]), Filters(year_from=2023, year_to=2024),
                    Filters(doc_types=["Kế hoạch"]), Filters(provinces=["Cà Mau"])):
        a, b = _top(engine, "chuyển đổi số đô thị", filters, 10), _top(on_qdrant, "chuyển đổi số đô thị", filters, 10)
        assert [r["chunk_id"] for r in a] == [r["chunk_id"] for r in b]
        assert [r["also_in"] for r in a] == [r["also_in"] for r in b]
    first = _top(engine, queries[0])[0]["chunk_id"]
    assert on_qdrant.context(first) == engine.context(first)  # "show in document"


def test_cli_build_against_an_unreachable_server_fails_fast_and_changes_nothing(tmp_path):
    index_dir = tmp_path / "index"
    proc = subprocess.run([sys.executable, "-m", "indexer", "build", str(CORPUS), "--index-dir", str(index_dir),
                           "--store", "qdrant", "--qdrant-location", "http://127.0.0.1:1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and "http://127.0.0.1:1" in last and "Traceback" not in proc.stderr
    assert not (index_dir / "CURRENT").exists() and not list(index_dir.glob("versions/*"))
