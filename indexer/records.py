"""Plain records that flow between pipeline stages: files → documents → sections → chunks → results."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
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
    level: str | None = None  # tỉnh | thành phố | huyện | xã …
    province: str | None = None
    province_current: str | None = None  # after the 2025 merger
    locality: str | None = None
    signer: str | None = None
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


@dataclass
class Filters:
    """Document-level search filters; every field empty means "all documents"."""

    provinces: list[str] | None = None  # old or post-2025 names, any case, with or without accents
    levels: list[str] | None = None
    doc_types: list[str] | None = None
    year_from: int | None = None
    year_to: int | None = None
    doc_ids: list[str] | None = None

    def is_empty(self) -> bool:
        return not any([self.provinces, self.levels, self.doc_types, self.year_from, self.year_to,
                        self.doc_ids])


@dataclass
class Result:
    """One search result card: a clause, its document and citation, and near-identical copies."""

    rank: int
    score: float
    chunk_id: str
    doc_id: str
    file: str
    title: str
    province: str | None
    issuer: str | None
    number: str | None
    date: str | None
    section: str
    text: str
    citation: str
    highlights: list[tuple[int, int]]
    also_in: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["highlights"] = [list(h) for h in self.highlights]
        return data
