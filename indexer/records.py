"""Plain records that flow between pipeline stages: files → documents → sections → chunks → results."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RawDocument:
    """What `ingest` reads from one file, before cleaning.

    For PDFs, pages are separated by a form feed (``\\f``) so that `clean` can strip
    page numbers and running headers/footers.
    """

    path: Path
    text: str
    format: str  # txt | md | pdf | docx | html
    sha256: str
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class CleanDocument:
    """Cleaned text of one document; every later offset points into ``text``."""

    raw: RawDocument
    text: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class Section:
    """A node of the administrative hierarchy (I. / 1. / a) / bullet / Chương / Điều …)."""

    kind: str  # part | chapter | subchapter | article | clause | item | point | bullet | plus | paragraph
    marker: str  # as written: "II.", "2.", "b)", "-", "Điều 5."
    label: str  # citation label: "II", "2", "b"; "" for bullets and paragraphs
    heading: str  # the first line of the node, without its marker
    depth: int
    start: int  # span in the cleaned text, children included
    end: int
    head_end: int  # end of the node's own text (before its first child)
    parent: int | None = None  # index into the list of sections
    zone: str = "body"  # preamble | body | closing


@dataclass
class DocumentMeta:
    """Metadata of one document, as exported by `docs --json`."""

    doc_id: str
    file: str
    sha256: str
    title: str = ""
    doc_type: str | None = None
    number: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd
    issuer: str | None = None
    issuer_parent: str | None = None  # the body printed above the issuer (Bộ Tài chính / Cục Thuế)
    level: str | None = None  # trung ương | tỉnh | thành phố | huyện | xã …
    province: str | None = None
    province_current: str | None = None  # after the 2025 merger
    locality: str | None = None
    signer: str | None = None
    signer_title: str | None = None  # position above the name: "Phó Chủ tịch" (no TM./KT./TL.)
    structure: str | None = None  # dieu (articles) | sections (numbered sections, paragraphs)
    inferred: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    n_chunks: int = 0


@dataclass
class Chunk:
    """One clause: the unit that is embedded, indexed, searched and cited."""

    chunk_id: str
    doc_id: str
    ordinal: int
    section: str  # breadcrumb: "II. Nhiệm vụ › 2. Nâng cao … › b)"
    section_labels: list[str]  # ["II", "2", "b"] for the citation "mục II.2.b"
    text: str
    start: int
    end: int
    segmented: str = ""  # underthesea word segmentation, e.g. "phát_triển đô_thị"
    zone: str = "body"
