"""PDF: the text layer page by page (form feed between pages); OCR with tesseract when a scan
has none and tesseract-ocr-vie is installed."""
from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from indexer.ingest.common import Reject
from indexer.ingest.encoding import _legacy_font_warning
from indexer.records import Notice

# PDF limits: pages read, characters kept, pages probed before declaring a scan.
MAX_PDF_PAGES = 3000
MAX_PDF_CHARS = 20_000_000
SCAN_PROBE_PAGES = 50
MIN_CHARS_PER_PAGE = 20  # fewer letters/digits per page on average → no real text layer
MAX_OCR_PAGES = 300
OCR_TIMEOUT_S = 180

# =========================================================================== PDF

_ALNUM = re.compile(r"[^\W_]")


def _usable_chars(text: str) -> int:
    """Letters and digits, not counting private-use glyphs (unmapped fonts)."""
    return sum(1 for ch in _ALNUM.findall(text) if not "\ue000" <= ch <= "\uf8ff")


def _read_pdf(data: bytes, warnings: list[str]) -> str:
    if b"%PDF-" not in data[:1024]:
        raise Reject("not a PDF (corrupt or wrong extension)")
    try:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise Reject("PDF support needs the pypdf package") from exc

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                result = reader.decrypt("")
            except DependencyError:
                raise Reject("encrypted PDF; decrypting it needs the 'cryptography' package") from None
            except Exception:
                raise Reject("encrypted PDF (password required)") from None
            if int(result) == 0:
                raise Reject("encrypted PDF (password required)")
            warnings.append(Notice("pdf_encrypted", "encrypted PDF opened with an empty password"))
        n_pages = len(reader.pages)
    except Reject:
        raise
    except Exception as exc:
        detail = " ".join(str(exc).split())[:80]
        raise Reject(f"corrupt or truncated PDF ({type(exc).__name__}: {detail})") from exc
    if n_pages == 0:
        raise Reject("empty file (PDF has no pages)")

    limit = min(n_pages, MAX_PDF_PAGES)
    if n_pages > MAX_PDF_PAGES:
        warnings.append(Notice("pdf_pages_cut", f"only the first {MAX_PDF_PAGES} of {n_pages} pages were read"))

    def extract(index: int) -> str | None:
        try:
            return reader.pages[index].extract_text() or ""
        except Exception:
            return None

    pages: list[str] = []
    failed: list[int] = []
    usable = total = 0
    probed_as_scan = False
    for i in range(limit):
        if i == SCAN_PROBE_PAGES and usable < MIN_CHARS_PER_PAGE * i:
            # The first pages have no text: check a spread of later pages before
            # spending time on a long scanned document.
            later = range(i, limit, max(1, (limit - i) // 10))
            if sum(_usable_chars(extract(j) or "") for j in later) < MIN_CHARS_PER_PAGE * len(later):
                probed_as_scan = True
                break
        text = extract(i)
        if text is None:
            failed.append(i + 1)
            text = ""
        pages.append(text)
        usable += _usable_chars(text)
        total += len(text)
        if total > MAX_PDF_CHARS:
            warnings.append(Notice("pdf_text_cut", f"text budget exceeded; stopped after page {i + 1} of {n_pages}"))
            break

    if failed and len(failed) == len(pages):
        raise Reject("corrupt PDF (text extraction failed on every page)")
    if failed:
        shown = ", ".join(map(str, failed[:5])) + (", …" if len(failed) > 5 else "")
        warnings.append(Notice("pdf_page_failed", f"text extraction failed on {len(failed)} page(s): {shown}"))

    if probed_as_scan or usable < MIN_CHARS_PER_PAGE * len(pages):
        return _ocr_or_reject(data, reader, n_pages, warnings)

    blank = sum(1 for text in pages if _usable_chars(text) == 0)
    if blank:
        warnings.append(Notice("pdf_blank_pages", f"{blank} of {len(pages)} pages have no extractable text (blank or scanned)"))
    joined = "\f".join(text.rstrip() + "\n" for text in pages)
    _legacy_font_warning(joined, warnings)
    return joined


_SCAN_REASON = "scanned PDF without a text layer; install tesseract-ocr-vie to OCR it"


@functools.lru_cache(maxsize=1)
def _tesseract_vie() -> str | None:
    """Path of a tesseract binary that has the Vietnamese language data, if any."""
    binary = shutil.which("tesseract")
    if not binary:
        return None
    try:
        proc = subprocess.run([binary, "--list-langs"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    langs = (proc.stdout + proc.stderr).decode("utf-8", errors="replace").split()
    return binary if "vie" in langs else None


def _ocr_or_reject(data: bytes, reader, n_pages: int, warnings: list[str]) -> str:
    tesseract = _tesseract_vie()
    if tesseract is None:
        raise Reject(_SCAN_REASON)
    pdftoppm = shutil.which("pdftoppm")
    limit = min(n_pages, MAX_OCR_PAGES)
    if n_pages > limit:
        warnings.append(Notice("ocr_pages_cut", f"OCR limited to the first {limit} of {n_pages} pages"))
    pages: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ingest-ocr-") as tmp:
        tmpdir = Path(tmp)
        pdf_path = tmpdir / "input.pdf"
        pdf_path.write_bytes(data)
        for index in range(limit):
            images = _page_images(pdf_path, reader, index, tmpdir, pdftoppm)
            texts = [_tesseract(tesseract, image) for image in images]
            pages.append("\n".join(t for t in texts if t.strip()))
    if _usable_chars("".join(pages)) < MIN_CHARS_PER_PAGE:
        raise Reject("scanned PDF; OCR found no text")
    warnings.append(Notice("ocr", "OCR"))
    return "\f".join(text.rstrip() + "\n" for text in pages)


def _page_images(pdf_path: Path, reader, index: int, tmpdir: Path, pdftoppm: str | None) -> list[Path]:
    """Render page ``index`` with pdftoppm, or fall back to the page's embedded images."""
    if pdftoppm:
        prefix = tmpdir / f"page{index + 1}"
        cmd = [pdftoppm, "-r", "300", "-gray", "-png", "-singlefile",
               "-f", str(index + 1), "-l", str(index + 1), str(pdf_path), str(prefix)]
        try:
            subprocess.run(cmd, capture_output=True, timeout=OCR_TIMEOUT_S, check=True)
        except (OSError, subprocess.SubprocessError):
            return []
        image = prefix.with_suffix(".png")
        return [image] if image.exists() else []
    out: list[Path] = []
    try:
        for n, image in enumerate(reader.pages[index].images):
            target = tmpdir / f"page{index + 1}-{n}{Path(image.name).suffix or '.png'}"
            target.write_bytes(image.data)
            out.append(target)
    except Exception:  # image decoding needs Pillow and sane image streams
        return out
    return out


def _tesseract(binary: str, image: Path) -> str:
    try:
        proc = subprocess.run(
            [binary, str(image), "stdout", "-l", "vie"],
            capture_output=True, timeout=OCR_TIMEOUT_S, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.decode("utf-8", errors="replace")
