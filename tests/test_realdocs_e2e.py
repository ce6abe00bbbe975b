"""End to end on a real document: build → docs/chunks (CLI JSON) → export keep 'hoặc' intact
and carry the new metadata fields."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.settings import shared_dir

DOCS = Path(shared_dir()) / "realdocs" / "docs"
ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.model,
              pytest.mark.skipif(not DOCS.is_dir(), reason="shared/realdocs not available")]
REAL = "350a122d2613c4d6.md"  # HĐND Hà Nội resolution: 'hoặc' in many clauses


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indexer", *args], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=600)


@pytest.fixture(scope="module")
def real_index(tmp_path_factory, embedder):
    from indexer.index.build import build_index

    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(DOCS / REAL, corpus / REAL)
    index_dir = tmp_path_factory.mktemp("index")
    build_index(corpus, index_dir, embedder)
    return index_dir


def test_hoac_intact_from_file_to_export(real_index):
    assert "hoặc" in (DOCS / REAL).read_text(encoding="utf-8")
    docs = _cli("docs", "--index-dir", str(real_index), "--json")
    assert docs.returncode == 0, docs.stderr
    [doc] = json.loads(docs.stdout)
    assert doc["number"] == "63/2025/NQ-HĐND" and doc["issuer"] == "HĐND thành phố Hà Nội"
    assert {"issuer_parent", "signer_title", "structure"} <= doc.keys()
    assert doc["signer_title"] == "Chủ tịch" and doc["structure"] == "dieu"
    chunks = _cli("chunks", doc["doc_id"], "--index-dir", str(real_index), "--json")
    assert chunks.returncode == 0, chunks.stderr
    texts = [c["text"] for c in json.loads(chunks.stdout)]
    assert any("hoặc" in t for t in texts) and not any("họăc" in t for t in texts)

    from indexer.features.export import rows_from_results, to_csv, to_json, to_markdown
    from indexer.index.store import load_index
    from indexer.search.results import make_result

    version = load_index(real_index)
    meta = version.documents[doc["doc_id"]]
    picked = [c for c in version.chunks if "hoặc" in c.text][:3]
    rows = rows_from_results([make_result(i + 1, 1.0, c, meta, "hoặc") for i, c in enumerate(picked)],
                             version.documents)
    assert rows and all(r.citation.split()[0] in ("Điều", "khoản", "điểm") for r in rows)
    for blob in (to_csv(rows).decode("utf-8-sig"), to_json(rows), to_markdown(rows)):
        assert "hoặc" in blob and "họăc" not in blob
