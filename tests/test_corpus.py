"""indexer.index.corpus: listing, hashing, ids and the one staleness check (no model)."""
from __future__ import annotations

from types import SimpleNamespace

from indexer.index.corpus import (HashCache, corpus_changes, display_name, doc_id_for, file_sha256,
                                  list_corpus)

PLAN = ("UBND TỈNH THỬ NGHIỆM\nKẾ HOẠCH\nPhát triển đô thị thử nghiệm\n\n"
        "I. MỤC TIÊU\n1. Phát triển hệ thống cáp treo đô thị ven biển đến năm 2030.\n").encode("utf-8")


def changes(corpus, manifest) -> dict:
    """The non-empty lists of a CorpusChanges, as a dict."""
    found = corpus_changes(corpus, manifest)
    return {k: v for k, v in (("added", found.added), ("changed", found.changed),
                              ("removed", found.removed)) if v}


def manifest_of(corpus, skipped=()):
    """A manifest-like object as if ``corpus`` had just been indexed, ``skipped`` files aside."""
    files, _ = list_corpus(corpus)
    skipped = list(skipped)
    indexed = {p.name: file_sha256(p) for p in files if p.name not in {s["file"] for s in skipped}}
    return SimpleNamespace(files=indexed, skipped=skipped)


def test_corpus_changes(tmp_path):
    assert not corpus_changes(tmp_path / "missing", SimpleNamespace(files={}, skipped=[]))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (corpus / name).write_bytes(PLAN + name.encode())
    manifest = manifest_of(corpus)
    assert changes(corpus, manifest) == {}

    (corpus / "a.txt").write_bytes(PLAN + b"edited")
    (corpus / "c.txt").unlink()
    (corpus / "d.txt").write_bytes(PLAN + b"d")
    (corpus / "bad.pdf").write_bytes(b"not a pdf")
    (corpus / "notes.xyz").write_bytes(b"ignored")  # not a corpus file type
    (corpus / ".hidden.txt").write_bytes(b"ignored")
    assert changes(corpus, manifest) == {
        "added": ["bad.pdf", "d.txt"], "changed": ["a.txt"], "removed": ["c.txt"]}

    # a file skipped by the last build is not "new" again until its content changes
    skipped = [{"file": "bad.pdf", "reason": "not a PDF", "sha256": file_sha256(corpus / "bad.pdf")}]
    manifest = manifest_of(corpus, skipped=skipped)
    assert changes(corpus, manifest) == {}
    (corpus / "bad.pdf").write_bytes(b"still not a pdf")
    assert changes(corpus, manifest) == {"added": ["bad.pdf"]}


def test_hash_cache_rehashes_only_changed_files(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(PLAN)
    calls = []

    def counting(p):
        calls.append(p.name)
        return file_sha256(p)

    cache = HashCache()
    manifest = manifest_of(tmp_path)
    assert not corpus_changes(tmp_path, manifest, hasher=lambda p: cache(p))
    assert not corpus_changes(tmp_path, manifest, hasher=lambda p: cache(p))
    assert cache(path) == file_sha256(path)
    path.write_bytes(PLAN + b"x")
    assert corpus_changes(tmp_path, manifest, hasher=cache).changed == ["a.txt"]
    assert corpus_changes(tmp_path, manifest, hasher=counting).changed == ["a.txt"] and calls == ["a.txt"]


def test_a_known_bad_copy_of_an_indexed_file_is_not_stale(tmp_path):
    """A file whose new bytes the last build refused (the old version kept) is seen, not changed."""
    (tmp_path / "a.txt").write_bytes(PLAN)
    manifest = manifest_of(tmp_path)
    (tmp_path / "a.txt").write_bytes(b"broken")
    assert corpus_changes(tmp_path, manifest).changed == ["a.txt"]
    manifest.skipped = [{"file": "a.txt", "reason": "bad", "sha256": file_sha256(tmp_path / "a.txt")}]
    assert not corpus_changes(tmp_path, manifest)


def test_too_large_files_are_listed(tmp_path, monkeypatch):
    from indexer.index import corpus as corpus_module

    (tmp_path / "big.txt").write_bytes(PLAN * 10)
    monkeypatch.setattr(corpus_module, "MAX_FILE_BYTES", len(PLAN))
    found = corpus_changes(tmp_path, SimpleNamespace(files={}, skipped=[]))
    assert found.too_large == ["big.txt"] and not found


def test_doc_ids_are_stable_readable_and_unique():
    taken: set[str] = set()
    first = doc_id_for("Kế hoạch 151-KH-UBND.pdf", taken)
    taken.add(first)
    assert first == "ke-hoach-151-kh-ubnd"
    second = doc_id_for("Kế hoạch 151-KH-UBND.docx", taken)
    assert second == "ke-hoach-151-kh-ubnd-docx"
    assert display_name("a\x07b\u202ec.txt") == "a\\x07b\\u202ec.txt"
