"""indexer.ingest on real generated files (no mocks)."""
from __future__ import annotations

import os
import tempfile
import time
import unicodedata
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from indexer.ingest.readers import SUPPORTED_SUFFIXES, IngestError, _tesseract_vie, read_document
from indexer.records import RawDocument
from tests.filegen import (
    encode_cp1258,
    write_docx,
    write_html,
    write_pdf,
    write_scanned_pdf,
    write_text,
)

# Paragraphs of a real plan (seed 002, Quảng Ngãi 151/KH-UBND).
SEED = """\
Số: 151 /KH-UBND
Quảng Ngãi, ngày 22 tháng 9 năm 2022
KẾ HOẠCH
Triển khai thực hiện Chương trình hành động số 21-CTr/TU ngày 12/8/2022 của Tỉnh ủy về thực hiện Nghị quyết số 06-NQ/TW ngày 24/01/2022 của Bộ Chính trị về quy hoạch, xây dựng, quản lý và phát triển bền vững đô thị Việt Nam đến năm 2030, tầm nhìn đến năm 2045
I. Mục đích, yêu cầu
1. Mục đích
- Nhằm quán triệt, nâng cao nhận thức, vai trò, trách nhiệm của người đứng đầu các cơ quan, đơn vị, địa phương; tạo sự chuyển biến mạnh mẽ về nhận thức, hành động của cả hệ thống chính trị, Nhân dân và cộng đồng doanh nghiệp.
- Khắc phục triệt để những hạn chế, bất cập; kịp thời tháo gỡ khó khăn, vướng mắc, thực hiện có hiệu quả công tác quy hoạch, quản lý và phát triển bền vững đô thị theo yêu cầu của Nghị quyết số 06-NQ/TW và Chương trình hành động số 21-CTr/TU.
II. Nhiệm vụ, giải pháp thực hiện
c) Bố trí nguồn vốn ngân sách nhà nước tương xứng để bảo đảm thực hiện các mục tiêu của chính sách an sinh nhà ở. Rà soát, hoàn thiện các chính sách hỗ trợ, ưu đãi, thủ tục hành chính về nhà ở xã hội; có cơ chế, chính sách khuyến khích hình thành và phát triển các quỹ.
- Phân công thực hiện: Sở Kế hoạch và Đầu tư chủ trì, phối hợp với Sở Tài chính tham mưu tổ chức triển khai thực hiện.
- Thời gian thực hiện: Năm 2022 và các năm tiếp theo.
"""


def norm(text: str) -> str:
    """NFC and one space for any run of whitespace (form feeds included)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def reason_of(path: Path, **kwargs) -> str:
    with pytest.raises(IngestError) as info:
        read_document(path, **kwargs)
    assert info.value.path == path
    assert "\n" not in info.value.reason
    assert str(path) in str(info.value)
    return info.value.reason


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
        ("cp1258", "cp1258"),
    ],
)
def test_text_encodings_round_trip(tmp_path: Path, encoding: str, expected: str) -> None:
    path = write_text(SEED, tmp_path / "doc.txt", encoding, newline="\r\n")
    doc = read_document(path)
    assert isinstance(doc, RawDocument)
    assert doc.format == "txt"
    assert doc.encoding == expected
    assert "\r" not in doc.text
    assert unicodedata.normalize("NFC", doc.text) == SEED
    assert doc.warnings == []


def test_windows_1258_short_snippets(tmp_path: Path) -> None:
    # Short legacy files are where byte-level detectors guess a Western code page.
    for i, line in enumerate(SEED.splitlines()):
        snippet = line[:40]
        data = encode_cp1258(snippet)
        if data.isascii():
            continue
        path = tmp_path / f"s{i}.txt"
        path.write_bytes(data)
        doc = read_document(path)
        assert unicodedata.normalize("NFC", doc.text) == snippet, doc.encoding


def test_markdown_and_sha256(tmp_path: Path) -> None:
    import hashlib

    path = write_text("# Kế hoạch\n\n" + SEED, tmp_path / "doc.md")
    doc = read_document(path)
    assert doc.format == "md"
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.text.startswith("# Kế hoạch\n")


def test_invalid_utf8_bytes_are_replaced_with_a_warning(tmp_path: Path) -> None:
    data = bytearray(SEED.encode("utf-8"))
    data[200] = 0xFF
    path = tmp_path / "broken.txt"
    path.write_bytes(bytes(data))
    doc = read_document(path)
    assert doc.encoding == "utf-8"
    assert "\ufffd" in doc.text
    assert any("undecodable" in w for w in doc.warnings)
    assert "Bộ Chính trị" in doc.text


def test_nul_bytes_are_removed_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "nul.txt"
    path.write_bytes(SEED.encode("utf-8") + b"\x00" * 300)
    doc = read_document(path)
    assert "\x00" not in doc.text
    assert any("NUL" in w for w in doc.warnings)
    assert norm(doc.text) == norm(SEED)


def test_binary_data_named_txt(tmp_path: Path) -> None:
    path = tmp_path / "random.txt"
    path.write_bytes(os.urandom(4096))
    assert "binary" in reason_of(path)


# --------------------------------------------------------------------------- PDF


def test_pdf_round_trip_with_page_separator(tmp_path: Path) -> None:
    path = write_pdf(SEED, tmp_path / "doc.pdf", page_numbers=False, lines_per_page=12)
    doc = read_document(path)
    assert doc.format == "pdf" and doc.encoding is None
    assert doc.text.count("\f") == len(PdfReader(path).pages) - 1 >= 1
    assert norm(doc.text) == norm(SEED)
    # Lines stay lines: a short line of the source is a line of its own.
    assert "I. Mục đích, yêu cầu" in doc.text.split("\n")


def test_pdf_header_and_page_numbers_are_kept_per_page(tmp_path: Path) -> None:
    path = write_pdf(SEED, tmp_path / "doc.pdf", header="Kế hoạch 151/KH-UBND", lines_per_page=10)
    doc = read_document(path)
    pages = doc.text.split("\f")
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert "Kế hoạch 151/KH-UBND" in lines
        assert str(number) in lines
    assert "Bố trí nguồn vốn ngân sách nhà nước" in norm(doc.text)


@pytest.mark.skipif(_tesseract_vie() is not None, reason="tesseract-ocr-vie is installed: scans get OCR")
def test_scanned_pdf(tmp_path: Path) -> None:
    reason = reason_of(write_scanned_pdf(tmp_path / "scan.pdf", pages=2))
    assert reason.startswith("scanned PDF without a text layer")
    assert "tesseract" in reason


@pytest.mark.skipif(_tesseract_vie() is not None, reason="tesseract-ocr-vie is installed: scans get OCR")
def test_thousands_of_empty_pages_stop_early(tmp_path: Path) -> None:
    path = write_scanned_pdf(tmp_path / "long-scan.pdf", pages=2500)
    started = time.perf_counter()
    assert "scanned PDF" in reason_of(path)
    assert time.perf_counter() - started < 5


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(3000))
    assert "PDF" in reason_of(path) and "corrupt" in reason_of(path)
    path.write_bytes(b"<html>this is not a pdf</html>")
    assert reason_of(path) == "not a PDF (corrupt or wrong extension)"


def test_encrypted_pdf(tmp_path: Path) -> None:
    plain = write_pdf(SEED, tmp_path / "plain.pdf")

    def encrypt(user: str, name: str) -> Path:
        writer = PdfWriter(clone_from=PdfReader(plain))
        writer.encrypt(user_password=user, owner_password="owner", algorithm="RC4-128")
        out = tmp_path / name
        with open(out, "wb") as fh:
            writer.write(fh)
        return out

    assert "password" in reason_of(encrypt("secret", "locked.pdf"))
    doc = read_document(encrypt("", "open.pdf"))
    assert "Bộ Chính trị" in doc.text
    assert any("encrypted" in w for w in doc.warnings)


# --------------------------------------------------------------------------- DOCX


def test_docx_round_trip(tmp_path: Path) -> None:
    doc = read_document(write_docx(SEED, tmp_path / "doc.docx"))
    assert doc.format == "docx" and doc.encoding is None
    assert norm(doc.text) == norm(SEED)
    assert doc.text.splitlines()[0] == "Số: 151 /KH-UBND"


def test_docx_tables_in_place_numbering_and_no_headers(tmp_path: Path) -> None:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "ĐẦU TRANG LẶP LẠI"
    document.sections[0].footer.paragraphs[0].text = "Chân trang 1"
    document.add_paragraph("Trước bảng")
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([["STT", "Nhiệm vụ", "Cơ quan chủ trì"], ["1", "Rà soát quy hoạch", "Sở Xây dựng"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("Sau bảng")
    document.add_paragraph("Nâng cao chất lượng quy hoạch", style="List Number")
    document.add_paragraph("Phát triển hạ tầng đô thị", style="List Number")
    path = tmp_path / "table.docx"
    document.save(str(path))

    lines = read_document(path).text.splitlines()
    assert lines == [
        "Trước bảng",
        "STT\tNhiệm vụ\tCơ quan chủ trì",
        "1\tRà soát quy hoạch\tSở Xây dựng",
        "Sau bảng",
        "- Nâng cao chất lượng quy hoạch",
        "- Phát triển hạ tầng đô thị",
    ]


def test_random_bytes_named_docx(tmp_path: Path) -> None:
    path = tmp_path / "random.docx"
    path.write_bytes(os.urandom(5000))
    reason = reason_of(path)
    assert reason.startswith("not a DOCX") and "zip" in reason


def test_zip_without_word_document(tmp_path: Path) -> None:
    path = tmp_path / "other.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    assert "word/document.xml" in reason_of(path)


def test_zip_bomb_docx(tmp_path: Path) -> None:
    path = write_docx(SEED, tmp_path / "bomb.docx")
    zeros = b"\0" * 2**20
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/media/huge.bin", "w") as member:
            for _ in range(24):  # 24 MB of zeros, ~24 KB compressed
                member.write(zeros)
    assert path.stat().st_size < 200_000
    reason = reason_of(path)
    assert reason.startswith("DOCX expands to more than") and "zip bomb" in reason


# --------------------------------------------------------------------------- HTML


def test_html_round_trip(tmp_path: Path) -> None:
    doc = read_document(write_html(SEED, tmp_path / "doc.html"))
    assert doc.format == "html" and doc.encoding == "utf-8"
    assert norm(doc.text) == norm(SEED)
    assert "tracker" not in doc.text and "margin" not in doc.text and "Văn bản" not in doc.text


def test_html_markup(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text(
        "<html><head><title>Tiêu đề</title><style>.x{color:red}</style></head><body>"
        "<script>alert('không');</script>"
        "<h1>KẾ HOẠCH</h1><p>Cây xanh đạt 5-7m<sup>2</sup>/người &amp; nhà ở 32m<sup>2</sup>.</p>"
        "<ul><li>Quy hoạch</li><li>Xây&nbsp;dựng</li></ul>"
        "<table><tr><td>1</td><td>Sở Xây dựng</td></tr></table>"
        "<div>Nơi nhận:<br>- Như trên;</div></body></html>",
        encoding="utf-8",
    )
    doc = read_document(path)
    assert doc.format == "html"
    lines = [line for line in doc.text.splitlines() if line]
    assert lines == [
        "KẾ HOẠCH",
        "Cây xanh đạt 5-7m²/người & nhà ở 32m².",
        "- Quy hoạch",
        "- Xây dựng",
        "1\tSở Xây dựng",
        "Nơi nhận:",
        "- Như trên;",
    ]
    assert "alert" not in doc.text and "color" not in doc.text and "Tiêu đề" not in doc.text


def test_html_legacy_charset(tmp_path: Path) -> None:
    path = tmp_path / "old.html"
    path.write_bytes(
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1258"></head><body><p>'
        + encode_cp1258("Nghị quyết về phát triển đô thị")
        + b"</p></body></html>"
    )
    doc = read_document(path)
    assert doc.encoding == "cp1258"
    assert unicodedata.normalize("NFC", doc.text).strip() == "Nghị quyết về phát triển đô thị"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    assert reason_of(path) == "empty file"


def test_whitespace_only_text_is_empty(tmp_path: Path) -> None:
    path = write_text(" \n\t\r\n  \n", tmp_path / "blank.txt", "utf-16")
    assert reason_of(path) == "empty file"


def test_html_without_text_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.html"
    path.write_text("<html><head><title>x</title></head><body><script>1</script></body></html>")
    assert reason_of(path).startswith("empty file")


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "bang.xls"
    path.write_bytes(b"whatever")
    assert reason_of(path) == "unsupported file type .xls"


def test_too_large(tmp_path: Path) -> None:
    path = write_text(SEED * 3, tmp_path / "big.txt")
    reason = reason_of(path, max_bytes=1024)
    assert reason.startswith("file too large (") and reason.endswith("> 1 KB limit)")
    assert read_document(path).text == SEED * 3


def test_missing_file(tmp_path: Path) -> None:
    assert reason_of(tmp_path / "missing.pdf") == "file not found"


_BYTES = st.binary(min_size=1, max_size=3000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    suffix=st.sampled_from(SUPPORTED_SUFFIXES),
    prefix=st.sampled_from([b"", b"%PDF-1.4\n", b"PK\x03\x04", b"<html><body>", "Nghị quyết".encode()]),
    data=_BYTES,
)
def test_arbitrary_bytes_never_crash(suffix: str, prefix: bytes, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(prefix + data)
        try:
            doc = read_document(path)
        except IngestError as exc:
            assert exc.reason and "\n" not in exc.reason
        else:
            assert doc.text.strip() and "\x00" not in doc.text and "\r" not in doc.text
