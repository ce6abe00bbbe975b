"""First pipeline stage: read one file into a `RawDocument` (text not yet cleaned).

Supported: plain text and markdown (any common encoding, Windows-1258 included), PDF
(text layer; OCR with tesseract if installed), DOCX and HTML. Every failure is reported as
an `IngestError` with a one-line human reason; nothing from the file is ever executed.

Text conventions of the output (``RawDocument.text``):

* newlines are ``\\n``; NUL characters are removed;
* PDF pages each end with ``\\n`` and are separated by a form feed ``\\f``
  (``"page 1\\n\\fpage 2\\n"``) so that `clean` can strip page numbers and running headers;
* DOCX and HTML list items get a ``"- "`` prefix; table rows become lines, with the cells
  of a row separated by tabs (a row whose cells hold several paragraphs is written cell
  after cell, one line per paragraph).
"""
from __future__ import annotations

import codecs
import functools
import hashlib
import io
import re
import shutil
import stat
import subprocess
import tempfile
import unicodedata
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from indexer.errors import IngestError
from indexer.records import Notice, RawDocument
from indexer.settings import MAX_FILE_BYTES, SUPPORTED_SUFFIXES

__all__ = ["SUPPORTED_SUFFIXES", "IngestError", "read_document"]


_FORMATS = {".txt": "txt", ".md": "md", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}

# PDF limits: pages read, characters kept, pages probed before declaring a scan.
MAX_PDF_PAGES = 3000
MAX_PDF_CHARS = 20_000_000
SCAN_PROBE_PAGES = 50
MIN_CHARS_PER_PAGE = 20  # fewer letters/digits per page on average → no real text layer
MAX_OCR_PAGES = 300
OCR_TIMEOUT_S = 180

# DOCX (zip) limits.
DOCX_MAX_EXPANDED = 256 * 2**20
DOCX_MAX_MEMBERS = 10_000
DOCX_MAX_RATIO = 100  # uncompressed / compressed, checked for members above DOCX_RATIO_MIN_SIZE
DOCX_RATIO_MIN_SIZE = 8 * 2**20

# Text decoding.
_DETECT_SAMPLE = 256 * 1024  # bytes given to the encoding detector
_SCORE_SAMPLE = 64 * 1024  # characters scored for Vietnamese-ness
_BINARY_SHARE = 0.05  # control characters / replacement characters above this → not text


class _Reject(Exception):
    """Raised by the format readers; turned into an `IngestError` with the path."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# =========================================================================== entry point


def read_document(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> RawDocument:
    """Read ``path`` into a `RawDocument`, dispatching on its suffix.

    Raises `IngestError` for unsupported, empty, too large, corrupt, encrypted or
    scanned-without-OCR files.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise IngestError(path, f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)")
    fmt = _FORMATS[suffix]
    try:
        data = _read_bytes(path, max_bytes)
        if not data:
            raise _Reject("empty file")
        warnings: list[str] = []
        encoding: str | None = None
        if fmt in ("txt", "md"):
            text, encoding = _decode_text(data, warnings)
        elif fmt == "html":
            text, encoding = _read_html(data, warnings)
        elif fmt == "pdf":
            text = _read_pdf(data, warnings)
        else:
            text = _read_docx(data, warnings)
        text = _finish(text)
        if not text.strip():
            raise _Reject("empty file" if fmt in ("txt", "md") else f"empty file (no text in the {fmt.upper()})")
    except _Reject as exc:
        raise IngestError(path, exc.reason) from exc.__cause__
    return RawDocument(
        path=path,
        text=text,
        format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        warnings=warnings,
    )


def _fmt_size(n: float, *, limit: bool = False) -> str:
    for unit, scale in (("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            s = f"{n / scale:.1f}"
            if limit and s.endswith(".0"):
                s = s[:-2]
            return f"{s} {unit}"
    return f"{int(n)} bytes"


def _too_large(size: int, max_bytes: int) -> _Reject:
    return _Reject(f"file too large ({_fmt_size(size)} > {_fmt_size(max_bytes, limit=True)} limit)")


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise _Reject("not a regular file")
        if st.st_size > max_bytes:
            raise _too_large(st.st_size, max_bytes)
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise _Reject("file not found") from None
    except PermissionError:
        raise _Reject("permission denied") from None
    except IsADirectoryError:
        raise _Reject("not a regular file") from None
    except OSError as exc:
        raise _Reject(f"cannot read file ({exc.strerror or type(exc).__name__})") from None
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    return data


def _finish(text: str) -> str:
    """Uniform newlines, no NULs, no stray BOM."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x0b", "\n").replace("\u2028", "\n").replace("\u2029", "\n").replace("\x85", "\n")
    text = text.replace("\x00", "")
    return text.removeprefix("\ufeff")


# =========================================================================== Vietnamese score

_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_SHAPE_MARKS = frozenset("\u0302\u0306\u031b")
_VI_LETTERS = frozenset("aăâbcdđeêghiklmnoôơpqrstuưvxy")
# Vowel nuclei as written (shape marks kept, tone removed). Those ending in a glide
# (ai, ao, ươu …) never take a final consonant.
_NUCLEI_OPEN = "ai ao au ay âu ây eo êu iu oi ôi ơi ui ưi ưu iêu yêu oai oao oay oeo uây uôi ươi ươu uyu"
_NUCLEI_CODA = "a ă â e ê i o ô ơ u ư y ia iê oa oă oe oo ua uâ uê uô uơ uy ưa ươ yê uya uyê"


def _alternation(words: str) -> str:
    return "|".join(sorted(words.split(), key=len, reverse=True))


_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    rf"(?:(?:{_alternation(_NUCLEI_OPEN)})|(?:{_alternation(_NUCLEI_CODA)})(?:ch|ng|nh|[cmnpt])?)"
)
# Split on whitespace and ASCII punctuation only: mojibake characters (», ‡, Ã…) must
# stay inside their token so that they make it invalid.
_TOKEN_SPLIT = re.compile(r"[\s!-/:-@\[-`{-~…“”‘’–—]+")
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f\ufffd]")
_BINARY_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")


@functools.lru_cache(maxsize=65536)
def _is_vietnamese_syllable(token: str) -> bool:
    decomposed = unicodedata.normalize("NFD", token.lower())
    if sum(ch in _TONE_MARKS for ch in decomposed) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    if any(ch not in _VI_LETTERS for ch in base):
        return False
    return _SYLLABLE.fullmatch(base) is not None


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN_SPLIT.split(text) if t and not any(ch.isdigit() for ch in t)]


def _vietnamese_score(text: str) -> float:
    """Share of word tokens that are valid Vietnamese syllables, minus a penalty for
    control and replacement characters. Used to rank candidate decodings."""
    sample = unicodedata.normalize("NFC", text[:_SCORE_SAMPLE])
    tokens = _tokens(sample)
    valid = sum(_is_vietnamese_syllable(t) for t in tokens)
    bad = len(_CONTROL.findall(sample))
    return valid / max(len(tokens), 1) - 5 * bad / max(len(sample), 1)


def _legacy_font_warning(text: str, warnings: list[str]) -> None:
    """Warn when extracted text has many non-ASCII words that are not Vietnamese
    (typical of TCVN3/VNI fonts without a Unicode mapping)."""
    sample = unicodedata.normalize("NFC", text[:_SCORE_SAMPLE])
    accented = [t for t in _tokens(sample) if not t.isascii()]
    if len(accented) >= 20 and sum(map(_is_vietnamese_syllable, accented)) < 0.3 * len(accented):
        warnings.append(Notice("legacy_font", "text does not look like Unicode Vietnamese (legacy TCVN3/VNI font encoding?)"))


# =========================================================================== text decoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _codec_name(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except (LookupError, TypeError, ValueError):
        return None


def _decode_text(data: bytes, warnings: list[str], hint: str | None = None) -> tuple[str, str]:
    """Decode bytes of a text file; returns (text, encoding name)."""
    text: str | None = None
    encoding: str | None = None
    strict = False  # decoded without any replacement: U+FFFD present are the file's own

    for bom, name in _BOMS:
        if data.startswith(bom):
            text, encoding = data.decode(name, errors="replace"), name
            break

    if text is None:
        guess = _utf16_without_bom(data)
        if guess is not None:
            text, encoding = guess

    if text is None:
        try:
            text, encoding, strict = data.decode("utf-8"), "utf-8", True
        except UnicodeDecodeError:
            pass

    if text is None or encoding is None:
        encoding = _best_legacy_encoding(data, hint)
        text = data.decode(encoding, errors="replace")

    if encoding == "cp1258":
        # Windows-1258 stores tone marks as combining characters.
        text = unicodedata.normalize("NFC", text)

    n_nul = text.count("\x00")
    if n_nul:
        text = text.replace("\x00", "")
    n_controls = len(_BINARY_CONTROL.findall(text))
    n_replaced = 0 if strict else text.count("\ufffd")
    if n_controls + n_replaced > _BINARY_SHARE * max(len(text), 1) or (n_nul and not text.strip()):
        if n_controls + n_nul >= n_replaced:
            raise _Reject("binary data, not a text file")
        raise _Reject("could not detect text encoding")
    if n_nul:
        warnings.append(Notice("nul_removed", f"removed {n_nul} NUL characters"))
    if n_replaced:
        warnings.append(Notice("undecodable", f"{n_replaced} undecodable byte sequences replaced with U+FFFD ({encoding})"))
    return text, encoding


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """BOM-less UTF-16: ASCII-heavy text has a NUL in every other byte."""
    sample = data[: 64 * 1024]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    zero_even, zero_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zero_odd > 0.2 and zero_even < 0.02:
        name = "utf-16-le"
    elif zero_even > 0.2 and zero_odd < 0.02:
        name = "utf-16-be"
    else:
        return None
    text = data.decode(name, errors="replace")
    if len(_CONTROL.findall(text[:_SCORE_SAMPLE])) > 0.01 * min(len(text), _SCORE_SAMPLE):
        return None
    return text, name


def _best_legacy_encoding(data: bytes, hint: str | None) -> str:
    """Not UTF-8: rank the detector's guesses plus cp1258 by how Vietnamese they read."""
    sample = data[:_DETECT_SAMPLE]
    # cp1258 goes first so that it wins ties: on short samples, a Western code page can
    # read Vietnamese bytes as plausible-looking syllables too.
    names: list[str] = [hint] if hint else []
    names.append("cp1258")
    try:
        import charset_normalizer

        names += [match.encoding for match in list(charset_normalizer.from_bytes(sample))[:4]]
    except Exception:  # the detector must never break ingestion
        pass
    names.append("utf-8")

    seen: set[str] = set()
    best_name, best_score = "utf-8", float("-inf")
    for raw in names:
        name = _codec_name(raw)
        if name is None or name in seen:
            continue
        seen.add(name)
        try:
            decoded = sample.decode(name, errors="replace")
        except Exception:  # exotic codecs may not support errors="replace"
            continue
        score = _vietnamese_score(decoded)
        if score > best_score + 1e-9:
            best_name, best_score = name, score
    return best_name


# =========================================================================== PDF

_ALNUM = re.compile(r"[^\W_]")


def _usable_chars(text: str) -> int:
    """Letters and digits, not counting private-use glyphs (unmapped fonts)."""
    return sum(1 for ch in _ALNUM.findall(text) if not "\ue000" <= ch <= "\uf8ff")


def _read_pdf(data: bytes, warnings: list[str]) -> str:
    if b"%PDF-" not in data[:1024]:
        raise _Reject("not a PDF (corrupt or wrong extension)")
    try:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise _Reject("PDF support needs the pypdf package") from exc

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                result = reader.decrypt("")
            except DependencyError:
                raise _Reject("encrypted PDF; decrypting it needs the 'cryptography' package") from None
            except Exception:
                raise _Reject("encrypted PDF (password required)") from None
            if int(result) == 0:
                raise _Reject("encrypted PDF (password required)")
            warnings.append(Notice("pdf_encrypted", "encrypted PDF opened with an empty password"))
        n_pages = len(reader.pages)
    except _Reject:
        raise
    except Exception as exc:
        detail = " ".join(str(exc).split())[:80]
        raise _Reject(f"corrupt or truncated PDF ({type(exc).__name__}: {detail})") from exc
    if n_pages == 0:
        raise _Reject("empty file (PDF has no pages)")

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
        raise _Reject("corrupt PDF (text extraction failed on every page)")
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
        raise _Reject(_SCAN_REASON)
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
        raise _Reject("scanned PDF; OCR found no text")
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


# =========================================================================== DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_docx_zip(data: bytes) -> None:
    if data.startswith(_OLE_MAGIC):
        raise _Reject("not a DOCX: legacy Word .doc or password-protected document (OLE2 file)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception as exc:
        raise _Reject("not a DOCX (corrupt or wrong extension: not a valid zip archive)") from exc
    if len(members) > DOCX_MAX_MEMBERS:
        raise _Reject(f"DOCX has more than {DOCX_MAX_MEMBERS} zip members (zip bomb?)")
    total = 0
    for member in members:
        total += member.file_size
        if total > DOCX_MAX_EXPANDED:
            raise _Reject(f"DOCX expands to more than {_fmt_size(DOCX_MAX_EXPANDED, limit=True)} (zip bomb?)")
        if member.file_size > DOCX_RATIO_MIN_SIZE and member.file_size > DOCX_MAX_RATIO * max(member.compress_size, 1):
            raise _Reject(
                f"DOCX expands to more than {DOCX_MAX_RATIO}x its compressed size "
                f"({member.filename}: {_fmt_size(member.file_size)}) (zip bomb?)"
            )
    if "word/document.xml" not in {m.filename for m in members}:
        raise _Reject("not a DOCX (no word/document.xml in the zip archive)")


def _read_docx(data: bytes, warnings: list[str]) -> str:
    _check_docx_zip(data)
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise _Reject("DOCX support needs the python-docx package") from exc
    try:
        document = docx.Document(io.BytesIO(data))
        numbered_styles = _numbered_styles(document)
        lines: list[str] = []
        _docx_blocks(document.element.body, lines, numbered_styles)
    except _Reject:
        raise
    except Exception as exc:
        raise _Reject(f"corrupt DOCX ({type(exc).__name__})") from exc
    text = "\n".join(lines)
    _legacy_font_warning(text, warnings)
    return text


def _has_numbering(ppr) -> bool | None:
    """True/False if the paragraph properties say so, None if they do not mention numbering."""
    if ppr is None:
        return None
    num_pr = ppr.find(f"{_W}numPr")
    if num_pr is None:
        return None
    num_id = num_pr.find(f"{_W}numId")
    return not (num_id is not None and num_id.get(f"{_W}val") == "0")


def _numbered_styles(document) -> set[str]:
    """Paragraph style ids whose definition (or a base style's) carries numbering."""
    styles = {}
    for style in document.styles.element.findall(f"{_W}style"):
        sid = style.get(f"{_W}styleId")
        if sid:
            based = style.find(f"{_W}basedOn")
            styles[sid] = (_has_numbering(style.find(f"{_W}pPr")), based.get(f"{_W}val") if based is not None else None)
    numbered = set()
    for sid in styles:
        current, seen = sid, set()
        while current in styles and current not in seen:
            seen.add(current)
            has, based = styles[current]
            if has is not None:
                if has:
                    numbered.add(sid)
                break
            current = based
    return numbered


def _docx_blocks(container, lines: list[str], numbered_styles: set[str]) -> None:
    """Paragraphs and tables of ``container`` in document order."""
    for child in container:
        tag = child.tag
        if tag == f"{_W}p":
            extra: list[str] = []
            text = _paragraph_text(child, extra, numbered_styles)
            ppr = child.find(f"{_W}pPr")
            numbered = _has_numbering(ppr)
            if numbered is None and ppr is not None:
                pstyle = ppr.find(f"{_W}pStyle")
                numbered = pstyle is not None and pstyle.get(f"{_W}val") in numbered_styles
            if numbered and text.strip():
                text = "- " + text.lstrip()
            lines.append(text)
            lines.extend(extra)
        elif tag == f"{_W}tbl":
            _docx_table(child, lines, numbered_styles)
        elif tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                _docx_blocks(content, lines, numbered_styles)
        elif tag in (f"{_W}customXml", f"{_W}ins", f"{_W}moveTo"):
            _docx_blocks(child, lines, numbered_styles)


def _docx_table(table, lines: list[str], numbered_styles: set[str]) -> None:
    for row in _children(table, f"{_W}tr"):
        cells: list[list[str]] = []
        for cell in _children(row, f"{_W}tc"):
            cell_lines: list[str] = []
            _docx_blocks(cell, cell_lines, numbered_styles)
            cell_lines = [line for line in cell_lines if line.strip()]
            if cell_lines:
                cells.append(cell_lines)
        if not cells:
            continue
        if all(len(cell) == 1 for cell in cells):
            lines.append("\t".join(cell[0].strip() for cell in cells))
        else:
            for cell in cells:
                lines.extend(cell)


def _children(element, tag: str):
    """Direct children with ``tag``, looking through content-control wrappers."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _children(content, tag)
        elif child.tag == f"{_W}customXml":
            yield from _children(child, tag)


def _paragraph_text(paragraph, extra: list[str], numbered_styles: set[str]) -> str:
    """Visible text of a ``w:p``; text boxes inside it go to ``extra`` as lines."""
    parts: list[str] = []

    def walk(element) -> None:
        for child in element:
            tag = child.tag
            if tag == f"{_W}t":
                parts.append(child.text or "")
            elif tag == f"{_W}tab":
                parts.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                parts.append("-")
            elif tag in (f"{_W}pPr", f"{_W}rPr", f"{_W}del", f"{_W}moveFrom", _MC_FALLBACK):
                continue
            elif tag == f"{_W}txbxContent":
                _docx_blocks(child, extra, numbered_styles)
            elif isinstance(tag, str):
                walk(child)

    walk(paragraph)
    return "".join(parts)


# =========================================================================== HTML

_SUPERSCRIPT = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)


class _HTMLText(HTMLParser):
    BLOCK = frozenset(
        "p div li h1 h2 h3 h4 h5 h6 br tr table ul ol dl dt dd section article header footer "
        "main aside nav blockquote pre hr address figure figcaption caption form fieldset "
        "legend details summary center body html tbody thead tfoot".split()
    )
    SKIP = frozenset("script style title template svg math object iframe".split())
    BODY_ONLY = frozenset("p div li h1 h2 h3 h4 h5 h6 table ul ol span a b i strong em td".split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0
        self.in_head = False
        self.scripts: list[list[str]] = []  # buffers of open <sup>/<sub>
        self.script_kind: list[str] = []
        self.row_has_cell = False
        self.pending_bullet = False  # "- " written, item text not yet seen

    # ---- output
    def _emit(self, text: str) -> None:
        if self.scripts:
            self.scripts[-1].append(text)
        else:
            self.out.append(text)

    def _newline(self) -> None:
        # <li><p>text</p></li> must stay "- text", not "- " and "text" on two lines.
        if not self.pending_bullet:
            self._emit("\n")

    # ---- parser callbacks
    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "head":
            self.in_head = True
            return
        if tag == "body" or tag in self.BODY_ONLY:
            self.in_head = False
        if tag in self.SKIP:
            self.skip_depth += 1
            return
        if self.skip_depth or self.in_head:
            return
        if tag in ("sup", "sub"):
            self.scripts.append([])
            self.script_kind.append(tag)
        elif tag == "li":
            self._emit("\n- ")
            self.pending_bullet = True
        elif tag in ("td", "th"):
            if self.row_has_cell:
                self._emit("\t")
            self.row_has_cell = True
        elif tag in self.BLOCK:
            self._newline()
            if tag == "tr":
                self.row_has_cell = False

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in self.SKIP:
            return
        self.handle_starttag(tag, attrs)
        if tag in ("sup", "sub"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False
            return
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth or self.in_head:
            return
        if tag in ("sup", "sub") and self.script_kind and self.script_kind[-1] == tag:
            self.script_kind.pop()
            inner = "".join(self.scripts.pop())
            table = _SUPERSCRIPT if tag == "sup" else _SUBSCRIPT
            converted = inner.strip().translate(table)
            if converted and all(ord(ch) > 127 for ch in converted if not ch.isspace()):
                inner = converted
            self._emit(inner)
        elif tag in self.BLOCK and tag != "br":
            self.pending_bullet = False
            self._emit("\n")
            if tag == "tr":
                self.row_has_cell = False

    def handle_data(self, data: str) -> None:
        if self.skip_depth or self.in_head:
            return
        if data.strip():
            self.pending_bullet = False
        self._emit(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        while self.scripts:  # unclosed <sup>/<sub>
            inner = "".join(self.scripts.pop())
            self.script_kind.pop()
            self._emit(inner)
        raw = "".join(self.out)
        lines = [re.sub(r" {2,}", " ", line).strip(" ") for line in raw.split("\n")]
        lines = [re.sub(r" *\t *", "\t", line).strip("\t") for line in lines]
        text = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def _read_html(data: bytes, warnings: list[str]) -> tuple[str, str]:
    match = _META_CHARSET.search(data[:4096])
    hint = match.group(1).decode("ascii", errors="ignore") if match else None
    markup, encoding = _decode_text(data, warnings, hint=_codec_name(hint) if hint else None)
    parser = _HTMLText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception as exc:  # html.parser is lenient; this is a safety net
        raise _Reject(f"unreadable HTML ({type(exc).__name__})") from exc
    return parser.text(), encoding
