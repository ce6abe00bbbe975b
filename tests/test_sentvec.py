"""Sentence vectors stored at build time (index/sentvec.py): complete, equal to encoding at
question time, carried over between builds, and used by answers."""
import shutil

import numpy as np
import pytest

from indexer.index import sentvec
from indexer.index.build import build_index
from indexer.index.store import load_index

pytestmark = pytest.mark.model


def test_build_stores_a_vector_for_every_sentence(corpus_index, embedder):
    version = load_index(corpus_index)
    stored = sentvec.open_vectors(corpus_index, embedder.model_id)
    sentences = sentvec.clause_sentences(c.text for c in version.chunks)
    vectors, missing = stored.lookup(sentences)
    assert vectors is not None and missing == []
    sample = sentences[::max(1, len(sentences) // 12)][:12]
    fresh = np.vstack([embedder.encode_passages(sample[i:i + 4]) for i in range(0, len(sample), 4)])
    again, _ = stored.lookup(sample)
    assert np.min(np.sum(fresh * again, axis=1)) > 0.999  # same vectors as encoding them now


def test_unknown_sentence_is_reported_missing(corpus_index, embedder):
    _, missing = sentvec.open_vectors(corpus_index, embedder.model_id).lookup(
        ["Một câu không có trong văn bản nào của kho."])
    assert missing == [0]


def test_rebuild_carries_vectors_over_and_drops_removed_sentences(tmp_path, corpus_copy, embedder):
    index_dir = tmp_path / "index"
    build_index(corpus_copy, index_dir, embedder)
    version = load_index(index_dir)
    assert sentvec.update(index_dir, (c.text for c in version.chunks), embedder) == 0
    removed = sorted(corpus_copy.iterdir())[0]
    gone = set(sentvec.clause_sentences(c.text for c in version.chunks if c.doc_id ==
                                        next(d for d, m in version.documents.items() if m.file == removed.name)))
    removed.unlink()
    build_index(corpus_copy, index_dir, embedder)
    kept = set(sentvec.clause_sentences(c.text for c in load_index(index_dir).chunks))
    _, missing = sentvec.SentenceVectors(index_dir, embedder.model_id).lookup(sorted(gone - kept))
    assert gone - kept and len(missing) == len(gone - kept)


def test_answer_is_the_same_with_and_without_stored_vectors(engine):
    from indexer.features.answer import answer

    question = "Thủy Nguyên phấn đấu tỷ lệ đô thị hóa năm 2030 đạt bao nhiêu?"
    with_stored = answer(engine, question)
    sentvec.ENABLED = False
    try:
        without = answer(engine, question)
    finally:
        sentvec.ENABLED = True
    assert with_stored.answered and without.answered
    assert with_stored.sentences[0].text == without.sentences[0].text


def test_a_missing_vector_file_is_rebuilt_on_the_next_build(tmp_path, corpus_copy, embedder):
    index_dir = tmp_path / "index"
    build_index(corpus_copy, index_dir, embedder)
    (index_dir / sentvec.FILE).unlink()
    build_index(corpus_copy, index_dir, embedder)  # the index itself is up to date
    assert (index_dir / sentvec.FILE).exists()
    shutil.rmtree(index_dir)
