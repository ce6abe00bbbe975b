"""Search intentions on real documents, kept as data (tests/data/search_intentions.yaml):
document references, locate questions (signer, date, effect) and English queries reach the
right document and clause. Needs the model and ../shared/realdocs (skipped without it)."""
from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml

from conftest import CORPUS

pytestmark = pytest.mark.model

CASES = yaml.safe_load((Path(__file__).parent / "data" / "search_intentions.yaml")
                       .read_text(encoding="utf-8"))["cases"]


def skeleton(text: str) -> str:
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("đ", "d").replace("Đ", "d")
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _realdocs() -> Path:
    from indexer.settings import shared_dir

    return shared_dir() / "realdocs" / "docs"


@pytest.fixture(scope="module")
def real_engine(tmp_path_factory, embedder):
    """An index of the seeds plus the real documents the cases name."""
    from indexer.index.build import build_index
    from indexer.search.engine import SearchEngine

    docs = _realdocs()
    if not docs.is_dir():
        pytest.skip(f"no real documents in {docs} (set POLICY_SHARED_DIR)")
    corpus = tmp_path_factory.mktemp("real-corpus")
    for path in CORPUS.iterdir():
        if path.is_file():
            shutil.copy2(path, corpus / path.name)
    for name in {c["file"] for c in CASES}:
        if (docs / name).exists():
            shutil.copy2(docs / name, corpus / name)
    index_dir = tmp_path_factory.mktemp("real-index")
    build_index(corpus, index_dir, embedder)
    return SearchEngine(index_dir, embedder)


def _param(case: dict):
    marks = [pytest.mark.xfail(strict=True, reason="known failure")] if case.get("known_failure") else []
    return pytest.param(case, id=f"{case['kind']}:{case['query'][:50]}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_search_intention(real_engine, case):
    results = real_engine.search(case["query"], k=case.get("within", 3))
    wanted = skeleton(case["contains"])
    hits = [r for r in results if r.file == case["file"] and wanted in skeleton(r.text)]
    assert hits, (f"{case['contains']!r} of {case['file']} not in the first {case.get('within', 3)}: "
                  + " | ".join(f"{r.file[:12]} {r.text[:60]!r}" for r in results))
