"""Plain records that flow between pipeline stages: files → documents → sections → chunks → results.

Every record that crosses a stage boundary is a dataclass here; nothing is passed as a dict or
encoded in a string. ``to_dict`` gives the JSON shape of the command-line contracts.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")


class Notice(str):
    """A warning about a file or document: its text (it *is* the string shown) plus a ``code``
    that programs test instead of the wording ("dropped_long", "nul_removed", "date_blank" …)."""

    code: str

    def __new__(cls, code: str, message: str) -> "Notice":
        obj = super().__new__(cls, message)
        obj.code = code
        return obj

    @property
    def message(self) -> str:
        return str.__str__(self)

    def __reduce__(self):
        return (Notice, (self.code, self.message))

    def __deepcopy__(self, memo) -> "Notice":
        return self


def codes(warnings: list) -> set[str]:
    """The codes of a list of warnings (plain strings have none)."""
    return {w.code for w in warnings if isinstance(w, Notice)}


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
    warnings: list[Notice] = field(default_factory=list)


@dataclass
class CleanDocument:
    """Cleaned text of one document; every later offset points into ``text``."""

    raw: RawDocument
    text: str
    warnings: list[Notice] = field(default_factory=list)
    site: list[str] = field(default_factory=list)  # the legal site's information block and captions


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
    zone: str = "body"  # preamble | body | closing | en | site (the legal site's information block, offsets -1)


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
    warnings: list[str] = field(default_factory=list)  # messages shown to the user
    n_chunks: int = 0
    year: int | None = None  # year of issue: from the date, or from a dated line left blank

    def __post_init__(self) -> None:
        """Derive the year from the ISO date when it was not given."""
        if self.year is None and self.date:  # ISO, or 22/9/2022 from an older index
            match = _YEAR.search(str(self.date))
            self.year = int(match.group(1)) if match else None
        elif isinstance(self.year, str):
            self.year = int(self.year) if self.year.strip().isdigit() else None


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


# -- build -------------------------------------------------------------------------------------

@dataclass
class Skipped:
    """A corpus file that is not (or no longer) indexed, and why."""

    file: str
    reason: str
    sha256: str | None = None


@dataclass
class CorpusChanges:
    """Files of the corpus folder that differ from what the live index was built from."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    too_large: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@dataclass
class BuildReport:
    """What a build did."""

    version: str
    up_to_date: bool
    n_docs: int
    n_chunks: int
    read_files: list[str] = field(default_factory=list)
    reused_files: list[str] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    embedded_chunks: int = 0
    embedded_tokens: int = 0
    embed_seconds: float = 0.0
    seconds: float = 0.0
    repaired: list[str] = field(default_factory=list)  # damaged index entries moved aside


# -- search ------------------------------------------------------------------------------------

@dataclass
class Filters:
    """Which documents a search, answer or comparison looks at (empty = all)."""

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
class AlsoIn:
    """A near-duplicate of a result's clause in another document."""

    doc_id: str
    chunk_id: str
    file: str
    province: str | None
    citation: str
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Result:
    """One clause found by a search, with its citation."""

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
    also_in: list[AlsoIn] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["highlights"] = [list(h) for h in self.highlights]
        return data


@dataclass
class Context:
    """A clause with its neighbours and its parent section, for "show in document"."""

    chunk: Chunk
    citation: str
    before: list[Chunk]
    after: list[Chunk]
    section: str
    section_chunks: list[Chunk]
    document: DocumentMeta

    def to_dict(self) -> dict:
        return asdict(self)


# -- uploads -----------------------------------------------------------------------------------

@dataclass
class UploadItem:
    """What happened to one uploaded file."""

    name: str  # the safe name it was given
    status: str  # saved | renamed | duplicate | refused
    saved_as: str | None = None  # the file name in the corpus folder
    duplicate_of: str | None = None  # the corpus file with the same bytes
    reason_key: str | None = None  # why refused: bad_name | bad_type | empty_file | too_large | unusable
    reason_values: dict = field(default_factory=dict)  # values of the reason (suffix, size, reason …)


@dataclass
class UploadReport:
    """The outcome of saving a batch of uploads."""

    items: list[UploadItem] = field(default_factory=list)

    @property
    def saved(self) -> list[str]:
        return [i.saved_as for i in self.items if i.saved_as]


# -- library front -----------------------------------------------------------------------------

@dataclass
class IndexStatus:
    """The live index and how the corpus folder differs from it."""

    exists: bool
    index_dir: str
    corpus_dir: str
    version: str | None = None
    n_docs: int = 0
    n_chunks: int = 0
    model: str | None = None  # model id the index was built with
    index_type: str | None = None
    built_at: str | None = None
    problem: Exception | None = None  # a PolicySearchError when the index cannot be used
    changes: CorpusChanges = field(default_factory=CorpusChanges)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return bool(self.changes)


@dataclass
class ProvinceFacet:
    """A province name found in the documents (old or post-2025), and how many documents it has."""

    name: str
    current_name: str | None
    n_docs: int


@dataclass
class Facets:
    """The filter choices the indexed documents offer."""

    provinces: list[ProvinceFacet] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    doc_types: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    n_undated: int = 0  # documents without a year: a year filter leaves them out
    n_docs: int = 0
