"""A corpus of hostile files beside two good documents: the build finishes, reports every bad
file with its reason, keeps memory bounded, and indexes the good documents exactly as a build
of the good documents alone does.

Size limits chosen (see build.MAX_FILE_BYTES and clean.MAX_PARAGRAPH_CHARS): a file above 50 MiB
is refused before it is read; a "paragraph" of more than 20,000 characters without a line break
(a 1 MB line) is dropped as embedded data, and a file left without text is refused.
"""
from __future__ import annotations

import os
import random
import resource
import shutil
import time
import unicodedata
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfWriter

from indexer.index.build import build_index
from indexer.settings import MAX_FILE_BYTES
from indexer.cli import _print_build_summary
from indexer.ingest.readers import _tesseract_vie
from indexer.search.engine import SearchEngine
from indexer.index.store import load_index

from conftest import CORPUS, QN_PLAN, THUY_NGUYEN
from test_build import CachedEmbedder
from tests.filegen import write_docx, write_html

GOOD = [QN_PLAN, THUY_NGUYEN]
SMALL = ("KẾ HOẠCH\nPhát triển đô thị bền vững giai đoạn 2025 - 2030\nI. Mục tiêu\n"
         "1. Nâng cao chất lượng quy hoạch đô thị và phát triển hạ tầng xanh trên địa bàn.\n")
SECRET = "BÍ MẬT NGOÀI KHO"
WORDS = ("phát triển đô thị bền vững quy hoạch hạ tầng giao thông nhà ở xã hội không gian "
         "ngầm chuyển đổi số").split()
MIB = 2**20


def one_mb_line(rng: random.Random) -> str:
    line = " ".join(rng.choice(WORDS) for _ in range(MIB // 4))
    return line[:MIB]


def write(corpus: Path, name: str | bytes, data: bytes) -> None:
    path = os.path.join(os.fsencode(corpus), os.fsencode(name))
    with open(path, "wb") as handle:
        handle.write(data)


def make_hostile_corpus(corpus: Path, outside: Path) -> tuple[dict[str, str], list[str]]:
    """Write the hostile files; returns {reported name: expected reason fragment} and the
    names of the files that must be indexed."""
    rng = random.Random(7)
    skipped: dict[str, str] = {}
    indexed: list[str] = []
    for name in GOOD:
        shutil.copy(CORPUS / name, corpus / name)

    for name in ("empty.txt", "empty.pdf", "empty.docx"):
        write(corpus, name, b"")
        skipped[name] = "empty file"
    write(corpus, "random.pdf", rng.randbytes(64 * 1024))
    skipped["random.pdf"] = "not a PDF"
    write(corpus, "random-header.pdf", b"%PDF-1.7\n" + rng.randbytes(64 * 1024))
    skipped["random-header.pdf"] = "PDF"
    write(corpus, "random.docx", rng.randbytes(64 * 1024))
    skipped["random.docx"] = "not a DOCX"
    write(corpus, "random.txt", rng.randbytes(64 * 1024))
    skipped["random.txt"] = ""  # "binary data" or "could not detect text encoding": any reason

    bomb = write_docx(SMALL, corpus / "bomb.docx")
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/media/huge.bin", "w") as member:
            zeros = bytes(MIB)
            for _ in range(300):  # 300 MB of zeros in ~300 KB
                member.write(zeros)
    skipped["bomb.docx"] = "zip bomb"

    if _tesseract_vie() is None:  # with OCR installed, blank pages would be OCR'd (slowly)
        writer = PdfWriter()
        for _ in range(3000):
            writer.add_blank_page(595, 842)
        with open(corpus / "nothing-3000-pages.pdf", "wb") as handle:
            writer.write(handle)
        skipped["nothing-3000-pages.pdf"] = "scanned PDF"

    chunk = (SMALL * 64).encode("utf-8")
    with open(corpus / "huge.txt", "wb") as handle:  # just over the limit
        for _ in range(MAX_FILE_BYTES // len(chunk) + 2):
            handle.write(chunk)
    skipped["huge.txt"] = "file too large"

    write(corpus, "long-lines.txt", "\n".join(one_mb_line(rng) for _ in range(3)).encode("utf-8"))
    skipped["long-lines.txt"] = "longer than 20000 characters"
    write(corpus, "mixed-long-line.md", (SMALL + "Dữ liệu: " + one_mb_line(rng) + "\n").encode("utf-8"))
    indexed.append("mixed-long-line.md")

    write(corpus, "nul-invalid.txt", SMALL.encode("utf-8").replace(b"I. ", b"\x00I.\x00 ")
          + b"\xff\xfe\xc3( 2. T\x00\xe1\xba\xa1o ngu\xe1\xbb\x93n v\xe1\xbb\x91n cho \xc3 d\xe1\xbb\xb1 \xe1n.\n")
    indexed.append("nul-invalid.txt")

    write_html(SMALL, corpus / "script.html")  # a <script> and a <style> in the head
    html = (corpus / "script.html").read_text(encoding="utf-8").replace(
        "<body>", "<body><script>alert('mã độc'); document.write('<p>chèn vào</p>')</script>"
                  "<p onclick=\"alert(1)\">Nội dung chính</p><noscript>bật javascript</noscript>")
    (corpus / "script.html").write_text(html, encoding="utf-8")
    indexed.append("script.html")

    deep = ".".join(["1"] * 200)
    nested = ["KẾ HOẠCH", "Thực hiện đề án thí điểm về phát triển đô thị"]
    for level in range(3):
        nested += [f"Phần {level + 1}", f"Chương {level + 1}", f"Mục {level + 1}",
                   f"{'I' * (level + 1)}. Nội dung phần {level + 1}", f"Điều {level + 1}. Phạm vi",
                   f"{level + 1}. Mục tiêu", f"{level + 1}.1. Mục tiêu chung",
                   f"{level + 1}.1.1. Chi tiết", f"{deep}. Nội dung lồng rất sâu cấp {level}",
                   "a) Điểm a về quy hoạch", "- Gạch đầu dòng về hạ tầng", "+ Dấu cộng về nhà ở xã hội"]
    write(corpus, "nested.txt", "\n".join(nested).encode("utf-8"))
    indexed.append("nested.txt")

    # names: traversal-looking, hidden, symlinked out, control characters, invalid UTF-8,
    # bidirectional override, look-alike letters, NFC and NFD forms of the same name
    outside.write_text(SMALL.replace("KẾ HOẠCH", SECRET), encoding="utf-8")
    os.symlink(os.path.relpath(outside, corpus), corpus / "link.txt")
    skipped["link.txt"] = "symbolic link"
    write(corpus, "..\\..\\hidden.txt", SMALL.replace("KẾ HOẠCH", SECRET).encode("utf-8"))
    write(corpus, "a..\\..\\b.txt", SMALL.encode("utf-8"))
    indexed.append("a..\\..\\b.txt")
    for name, shown in [("bell\x07.txt", "bell\\x07.txt"), ("esc\x1b[2J.txt", "esc\\x1b[2J.txt"),
                        ("new\nline.txt", "new\\x0aline.txt"), ("rtl\u202etxt.pdf", "rtl\\u202etxt.pdf")]:
        write(corpus, name, SMALL.encode("utf-8"))
        skipped[shown] = "control or invisible formatting characters"
    write(corpus, b"\xff\xfe-latin1-\xe9.txt", SMALL.encode("utf-8"))
    skipped["\ufffd\ufffd-latin1-\ufffd.txt"] = "not valid UTF-8"
    for name in ("quảng-ngãі.txt", unicodedata.normalize("NFC", "Kế hoạch.txt"),
                 unicodedata.normalize("NFD", "Kế hoạch.txt")):
        write(corpus, name, SMALL.encode("utf-8"))
        indexed.append(name)
    (corpus / "notes.xls").write_bytes(b"PK\x03\x04 not really")
    skipped["notes.xls"] = "unsupported file type .xls"
    (corpus / "sub").mkdir()
    (corpus / "sub" / "inner.txt").write_text(SECRET, encoding="utf-8")
    return skipped, indexed


def clauses_of(version, files: list[str]) -> dict[str, list[dict]]:
    ids = {d.doc_id: d.file for d in version.documents.values() if d.file in files}
    out: dict[str, list[dict]] = {f: [] for f in files}
    for chunk, vector in zip(version.chunks, version.vectors):
        if chunk.doc_id in ids:
            out[ids[chunk.doc_id]].append({**asdict(chunk), "vector": vector.tobytes()})
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, corpus_index, embedder):
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    expected_skipped, expected_indexed = make_hostile_corpus(corpus, root / "outside.txt")
    cached = CachedEmbedder(embedder, corpus_index)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = build_index(corpus, root / "index", cached)
    seconds = time.perf_counter() - started
    peak_gain_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    return dict(root=root, corpus=corpus, index=root / "index", report=report, seconds=seconds,
                peak_gain_mb=peak_gain_mb, skipped=expected_skipped, indexed=expected_indexed,
                embedder=cached)


def test_build_finishes_and_reports_every_bad_file_with_its_reason(hostile):
    report = hostile["report"]
    reasons = {s.file: s.reason for s in report.skipped}
    for name, fragment in hostile["skipped"].items():
        assert name in reasons, f"{name!r} not reported; skipped: {sorted(reasons)}"
        assert fragment in reasons[name], (name, reasons[name])
    for name, reason in reasons.items():
        assert reason.strip() and "\n" not in reason and "\n" not in name
        assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs") for ch in name + reason)
    assert set(reasons) == set(hostile["skipped"])  # nothing good was refused
    indexed = {d.file for d in load_index(hostile["index"]).documents.values()}
    assert indexed == set(GOOD) | set(hostile["indexed"])
    assert hostile["seconds"] < 120 and hostile["peak_gain_mb"] < 600, hostile


def test_good_documents_are_indexed_exactly_as_alone(hostile, tmp_path, corpus_index, embedder):
    alone = tmp_path / "alone"
    alone.mkdir()
    for name in GOOD:
        shutil.copy(CORPUS / name, alone / name)
    build_index(alone, tmp_path / "index", CachedEmbedder(embedder, corpus_index))
    reference, mixed = load_index(tmp_path / "index"), load_index(hostile["index"])
    assert clauses_of(mixed, GOOD) == clauses_of(reference, GOOD)
    by_file = lambda v: {d.file: asdict(d) for d in v.documents.values() if d.file in GOOD}
    assert by_file(mixed) == by_file(reference)


def test_hostile_content_is_cleaned_or_contained(hostile):
    version = load_index(hostile["index"])
    docs = {d.file: d for d in version.documents.values()}
    text_of = lambda name: version.texts[docs[name].doc_id]
    everything = "\n".join(version.texts.values()) + "\n".join(c.text for c in version.chunks)
    assert SECRET not in everything  # neither the symlink, the hidden file nor the sub-folder
    assert "alert" not in everything and "document.write" not in everything
    assert "chèn vào" not in text_of("script.html") and "Nội dung chính" in text_of("script.html")
    assert "\x00" not in everything and all(len(c.text) <= 20_000 for c in version.chunks)
    assert "Nâng cao chất lượng quy hoạch" in text_of("nul-invalid.txt")
    assert any("NUL" in w for w in docs["nul-invalid.txt"].warnings)
    assert "Nâng cao chất lượng quy hoạch" in text_of("mixed-long-line.md")
    assert any("longer than" in w for w in docs["mixed-long-line.md"].warnings)
    assert len(text_of("mixed-long-line.md")) < 1000
    nested = [c for c in version.chunks if c.doc_id == docs["nested.txt"].doc_id]
    assert any("lồng rất sâu" in c.section for c in nested)  # a heading: in the breadcrumbs
    assert any("Dấu cộng về nhà ở xã hội" in c.text for c in nested)
    for chunk in version.chunks:  # offsets point into each document's cleaned text
        assert version.texts[chunk.doc_id][chunk.start:chunk.end] == chunk.text
    ids = [d.doc_id for d in version.documents.values()]
    assert len(set(ids)) == len(ids) and all(i.replace("-", "").isalnum() and i.isascii() for i in ids)


def test_second_build_is_up_to_date_and_fast(hostile):
    started = time.perf_counter()
    report = build_index(hostile["corpus"], hostile["index"], hostile["embedder"])
    assert report.up_to_date and report.read_files == [] and report.embedded_chunks == 0
    assert {s.file for s in report.skipped} == set(hostile["skipped"])
    assert time.perf_counter() - started < 10


def test_search_and_build_summary_stay_printable(hostile, capsys):
    engine = SearchEngine(hostile["index"], hostile["embedder"])
    results = engine.search("nâng cao chất lượng quy hoạch đô thị", k=20)
    assert results and all(SECRET not in r.text for r in results)
    _print_build_summary(hostile["report"], hostile["index"])
    out = capsys.readouterr().out
    assert "skipped bell\\x07.txt" in out
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in out.replace("\n", ""))
