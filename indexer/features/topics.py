"""Topic coverage: which documents and provinces mention a topic, with the clauses as evidence.

A topic (``topics.yaml``, or typed ad hoc) has phrases, look-alike exclusions and an
optional semantic description. A clause mentions the topic when one of its phrases occurs
in the clause (ignoring case, diacritics, tone-mark style, punctuation, line breaks and
segmentation underscores, on word boundaries) and that occurrence does not overlap an
exclusion; or, when an embedder is given, when the clause vector is close enough to the
description. Every cell of the document × topic table carries the clauses that justify it.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from indexer.parse.cite import cite
from indexer.text.normalize import fold, normalize_text
from indexer.records import Chunk, DocumentMeta
from indexer.errors import IndexCorrupt, IndexMismatch, NotFound, TopicsError

DEFAULT_TOPICS_FILE = Path(__file__).with_name("topics.yaml")
# Cosine similarities of the default model (multilingual-e5-small) are compressed into
# 0.75–0.92, so thresholds are high. Calibrated on corpus/: at these values no clause of a
# look-alike (public transport, cables, smartphones, air quality …) passes.
DEFAULT_THRESHOLD = 0.9  # for a description without its own threshold
ADHOC_THRESHOLD = 0.87  # for topics typed as free text (short query against whole clauses)
UNKNOWN_PROVINCE = "(chưa rõ tỉnh)"
ADHOC_SEPARATORS = re.compile(r"[;|\n]+")  # "không gian ngầm; công trình ngầm; -nước ngầm"

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_NON_WORD = re.compile(r"[\W_]+")
_KEYS = {"id", "label_vi", "label_en", "phrases", "exclusions", "description", "threshold"}


@dataclass
class Topic:
    """A subject researchers ask about, with the phrases that reveal it."""

    id: str
    label_vi: str
    label_en: str
    phrases: list[str]
    exclusions: list[str] = field(default_factory=list)
    description: str | None = None
    threshold: float | None = None


@dataclass
class Evidence:
    """One clause that justifies a cell, and how it was matched."""

    chunk_id: str
    section: str
    text: str
    citation: str
    match: str  # "phrase" | "semantic"
    phrase: str | None = None  # the topic phrase found (phrase matches)
    score: float | None = None  # cosine similarity to the description (semantic matches)

    def to_dict(self) -> dict:
        """JSON form: chunk_id, section, text, citation, match, and phrase or score."""
        data = {"chunk_id": self.chunk_id, "section": self.section, "text": self.text,
                "citation": self.citation, "match": self.match}
        if self.match == "phrase":
            data["phrase"] = self.phrase
        else:
            data["score"] = self.score
        return data


@dataclass
class Cell:
    """Whether one document mentions one topic, with its evidence clauses."""

    topic: str
    doc_id: str
    file: str
    province: str | None
    mentioned: bool
    count: int
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON form of the cell (the shape `topics --json` prints)."""
        return {"topic": self.topic, "doc_id": self.doc_id, "file": self.file,
                "province": self.province, "mentioned": self.mentioned, "count": self.count,
                "evidence": [e.to_dict() for e in self.evidence]}


# -- loading topics --------------------------------------------------------------------

def load_topics(path: str | Path | None = None) -> list[Topic]:
    """Topics from a YAML or TOML file (default ``indexer/topics.yaml``); ValueError if malformed."""
    path = Path(path) if path else DEFAULT_TOPICS_FILE
    if not path.is_file():
        raise TopicsError(f"topics file not found: {path}", "give an existing file with --topics-file")
    data = _read_topics_file(path)
    items = data.get("topics") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise TopicsError(f"{path}: expected a non-empty list of topics under 'topics:'")
    topics = [_topic_from(item, i, path) for i, item in enumerate(items, 1)]
    seen: set[str] = set()
    for topic in topics:
        if topic.id in seen:
            raise TopicsError(f"{path}: topic id '{topic.id}' is defined twice")
        seen.add(topic.id)
    return topics


def _read_topics_file(path: Path) -> object:
    """Parsed content of a topics file, by suffix (.toml, else YAML)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise TopicsError(f"{path}: not valid TOML: {exc}") from exc
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TopicsError(f"{path}: not valid YAML: {exc}") from exc


def _topic_from(item: object, index: int, path: Path) -> Topic:
    """One validated Topic from a parsed mapping; ValueError naming the topic and field."""
    where = f"{path}: topic #{index}"
    if not isinstance(item, dict):
        raise TopicsError(f"{where}: expected a mapping with id, label_vi, label_en, phrases")
    if item.get("id") is not None:
        where += f" ('{item.get('id')}')"
    unknown = set(item) - _KEYS
    if unknown:
        raise TopicsError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; "
                         f"allowed: {', '.join(sorted(_KEYS))}")
    topic_id = item.get("id")
    if not isinstance(topic_id, str) or not _ID.match(topic_id):
        raise TopicsError(f"{where}: 'id' must be letters, digits, '_' or '-' (got {topic_id!r})")
    labels = [_text_field(item, key, where) for key in ("label_vi", "label_en")]
    phrases = _phrase_list(item.get("phrases", []), "phrases", where)
    exclusions = _phrase_list(item.get("exclusions") or [], "exclusions", where)
    description = item.get("description")
    if description is not None and (not isinstance(description, str) or not description.strip()):
        raise TopicsError(f"{where}: 'description' must be a non-empty text")
    if not phrases and not description:
        raise TopicsError(f"{where}: give at least one phrase or a description")
    threshold = _threshold(item.get("threshold"), description, where)
    return Topic(topic_id, labels[0], labels[1], phrases, exclusions,
                 description.strip() if description else None, threshold)


def _text_field(item: dict, key: str, where: str) -> str:
    """A required non-empty string field."""
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TopicsError(f"{where}: '{key}' is required and must be a non-empty text")
    return value.strip()


def _phrase_list(value: object, key: str, where: str) -> list[str]:
    """A list of phrases, each with at least one letter or digit."""
    if not isinstance(value, list):
        raise TopicsError(f"{where}: '{key}' must be a list of phrases (got {type(value).__name__})")
    phrases = []
    for phrase in value:
        if not isinstance(phrase, (str, int, float)) or isinstance(phrase, bool):
            raise TopicsError(f"{where}: '{key}' holds a non-text item {phrase!r}")
        phrase = str(phrase).strip()
        if not match_form(phrase).strip():
            raise TopicsError(f"{where}: '{key}' holds {phrase!r}, which has no letter or digit")
        phrases.append(phrase)
    return phrases


def _threshold(value: object, description: str | None, where: str) -> float | None:
    """The semantic threshold: a number in (0, 1]; the default when only a description is set."""
    if value is None:
        return DEFAULT_THRESHOLD if description else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise TopicsError(f"{where}: 'threshold' must be a number between 0 and 1 (got {value!r})")
    if not description:
        raise TopicsError(f"{where}: 'threshold' is set but there is no 'description' to compare")
    return float(value)


def adhoc_topic(text: str, threshold: float | None = None) -> Topic:
    """A topic typed as free text: its phrases (split on ';' or '|', '-x' excludes x) and itself as description."""
    text = normalize_text(str(text or "")).strip()
    parts = [p.strip() for p in ADHOC_SEPARATORS.split(text) if p.strip()]
    phrases = [p for p in parts if not p.startswith("-") and match_form(p).strip()]
    exclusions = [p[1:].strip() for p in parts if p.startswith("-") and match_form(p[1:]).strip()]
    if not phrases:
        raise TopicsError("An ad-hoc topic needs a word or phrase to look for.")
    slug = "-".join(match_form(" ".join(phrases)).split())[:48].strip("-")
    description = "; ".join(phrases)
    return Topic(f"adhoc-{slug}", description, description, phrases, exclusions, description,
                 ADHOC_THRESHOLD if threshold is None else threshold)


# -- matching --------------------------------------------------------------------------

def match_form(text: str) -> str:
    """Matching form: folded (no case, diacritics, tone style), punctuation/space runs as one space, padded."""
    collapsed = _NON_WORD.sub(" ", fold(text)).strip()
    return f" {collapsed} " if collapsed else " "


@dataclass
class _Matcher:
    """Compiled phrase and exclusion patterns of one topic."""

    phrases: re.Pattern | None
    exclusions: re.Pattern | None
    originals: dict[str, str]  # matching form → phrase as the topic writes it

    @classmethod
    def of(cls, topic: Topic) -> _Matcher:
        """Compile one regex for the phrases and one for the exclusions."""
        originals: dict[str, str] = {}
        for phrase in topic.phrases:
            originals.setdefault(match_form(phrase).strip(), phrase)
        return cls(_compile(originals), _compile(match_form(x).strip() for x in topic.exclusions),
                   originals)

    def find(self, form: str) -> str | None:
        """The first topic phrase in a clause's matching form that no exclusion overlaps."""
        if self.phrases is None:
            return None
        hits = _spans(self.phrases, form)
        if hits and self.exclusions is not None:
            excluded = _spans(self.exclusions, form)
            hits = [h for h in hits if not any(h[0] < e[1] and e[0] < h[1] for e in excluded)]
        return self.originals[hits[0][2]] if hits else None

    def excluded(self, form: str) -> bool:
        """Whether a clause contains one of the topic's look-alike phrases."""
        return self.exclusions is not None and self.exclusions.search(form) is not None


def _compile(forms: Iterable[str]) -> re.Pattern | None:
    """One pattern finding every occurrence (overlaps included) of any form, on word boundaries."""
    unique = sorted({f for f in forms if f}, key=len, reverse=True)
    if not unique:
        return None
    return re.compile(r"(?<= )(?=(" + "|".join(re.escape(f) for f in unique) + r") )")


def _spans(pattern: re.Pattern, form: str) -> list[tuple[int, int, str]]:
    """(start, end, matched form) of every occurrence of a compiled pattern."""
    return [(m.start(1), m.end(1), m.group(1)) for m in pattern.finditer(form)]


def phrase_match(topic: Topic, text: str) -> str | None:
    """The topic phrase a text mentions (after exclusions), or None."""
    return _Matcher.of(topic).find(match_form(text))


# -- coverage --------------------------------------------------------------------------

def coverage(version, topics: list[Topic], embedder=None) -> list[Cell]:
    """One cell per topic × document of an index version, ordered by topic then document."""
    model_id = getattr(getattr(version, "manifest", None), "model_id", None)
    return coverage_of(version.documents, version.chunks, topics,
                       vectors=getattr(version, "vectors", None), embedder=embedder,
                       model_id=model_id)


def coverage_of(documents: dict[str, DocumentMeta], chunks: list[Chunk], topics: list[Topic],
                vectors: np.ndarray | None = None, embedder=None,
                model_id: str | None = None) -> list[Cell]:
    """Coverage over documents and their clauses (``vectors`` aligned with ``chunks``)."""
    forms = [match_form(c.text) for c in chunks]
    queries: dict[str, np.ndarray] = {}
    if embedder is not None and any(t.description for t in topics):
        _check_vectors(vectors, chunks, embedder, model_id)
        queries = description_vectors(topics, embedder)
    cells = []
    for topic in topics:
        scores = None
        if topic.description in queries:
            scores = np.asarray(vectors, dtype=np.float32) @ queries[topic.description]
        found = _topic_evidence(topic, documents, chunks, forms, scores)
        cells += [_cell(topic, meta, found.get(doc_id, [])) for doc_id, meta in documents.items()]
    return cells


def _check_vectors(vectors: np.ndarray | None, chunks: list[Chunk], embedder,
                   model_id: str | None) -> None:
    """IndexProblem when the clause vectors cannot be compared with the embedder's queries."""
    if vectors is None or len(vectors) != len(chunks):
        raise IndexCorrupt("semantic topic matching needs one clause vector per clause")
    own = getattr(embedder, "model_id", None)
    if model_id and own and model_id != own:
        raise IndexMismatch(f"the index was built with model '{model_id}' but the embedder is "
                         f"'{own}'; use the index's model for semantic topic matching")


def _topic_evidence(topic: Topic, documents: dict[str, DocumentMeta], chunks: list[Chunk],
                    forms: list[str], scores: np.ndarray | None) -> dict[str, list[Evidence]]:
    """Evidence clauses of one topic, grouped by document, in clause order."""
    matcher = _Matcher.of(topic)
    found: dict[str, list[Evidence]] = {}
    for row, (chunk, form) in enumerate(zip(chunks, forms)):
        meta = documents.get(chunk.doc_id)
        if meta is None:
            continue
        phrase = matcher.find(form)
        if phrase is not None:
            found.setdefault(chunk.doc_id, []).append(_evidence(meta, chunk, "phrase", phrase=phrase))
        elif scores is not None and scores[row] >= topic.threshold and not matcher.excluded(form):
            found.setdefault(chunk.doc_id, []).append(
                _evidence(meta, chunk, "semantic", score=round(float(scores[row]), 4)))
    return found


_QUERY_CACHE: dict[tuple[str, str], np.ndarray] = {}  # (model id, description) → query vector


def description_vectors(topics: list[Topic], embedder) -> dict[str, np.ndarray]:
    """Query vectors of the topics' descriptions, encoded in one batch and cached per model."""
    model = str(getattr(embedder, "model_id", id(embedder)))
    wanted = list(dict.fromkeys(t.description for t in topics if t.description))
    missing = [d for d in wanted if (model, d) not in _QUERY_CACHE]
    if missing:
        encoded = np.asarray(embedder.encode_queries(missing), dtype=np.float32)
        if len(_QUERY_CACHE) > 1024:
            _QUERY_CACHE.clear()
        _QUERY_CACHE.update({(model, d): v for d, v in zip(missing, encoded)})
    return {d: _QUERY_CACHE[model, d] for d in wanted}


def _evidence(meta: DocumentMeta, chunk: Chunk, match: str, phrase: str | None = None,
              score: float | None = None) -> Evidence:
    """An evidence item for a clause, with its citation."""
    return Evidence(chunk.chunk_id, chunk.section, chunk.text, cite(meta, chunk), match,
                    phrase, score)


def _cell(topic: Topic, meta: DocumentMeta, evidence: list[Evidence]) -> Cell:
    """The cell of one topic and one document."""
    return Cell(topic.id, meta.doc_id, meta.file, meta.province, bool(evidence), len(evidence),
                evidence)


# -- province view ---------------------------------------------------------------------

def province_of(meta: DocumentMeta | None, current_names: bool = False) -> str:
    """The province a document rolls up to (post-2025 name on request, else the old one)."""
    if meta is None:
        return UNKNOWN_PROVINCE
    name = (meta.province_current or meta.province) if current_names else meta.province
    return name or UNKNOWN_PROVINCE


def province_rollup(version, cells: list[Cell], current_names: bool = False) -> list[dict]:
    """One row per province: its documents and, per topic, whether and where it is mentioned."""
    return rollup_of(version.documents, cells, current_names)


def rollup_of(documents: dict[str, DocumentMeta], cells: list[Cell],
              current_names: bool = False) -> list[dict]:
    """Province rows from documents and their cells (see `province_rollup`)."""
    rows: dict[str, dict] = {}

    def row_for(doc_id: str, fallback: str | None) -> dict:
        meta = documents.get(doc_id)
        name = province_of(meta, current_names) if meta else (fallback or UNKNOWN_PROVINCE)
        row = rows.setdefault(name, {"province": name, "documents": [], "topics": {}})
        if doc_id not in row["documents"]:
            row["documents"].append(doc_id)
        return row

    for doc_id in documents:
        row_for(doc_id, None)
    for cell in cells:
        row = row_for(cell.doc_id, cell.province)
        entry = row["topics"].setdefault(cell.topic, {"mentioned": False, "count": 0, "documents": []})
        if cell.mentioned:
            entry["mentioned"] = True
            entry["count"] += cell.count
            entry["documents"].append(cell.doc_id)
    return sorted(rows.values(), key=lambda r: (r["province"] == UNKNOWN_PROVINCE,
                                                fold(r["province"])))


@dataclass
class Coverage:
    """Which documents mention which topics: the cells, and the province view of them."""

    topics: list[Topic]
    cells: list[Cell]
    documents: dict[str, DocumentMeta]
    semantic: bool = False  # whether topic descriptions were matched by the model too

    def rollup(self, current_names: bool = False) -> list[dict]:
        """One row per province (see `province_rollup`)."""
        return rollup_of(self.documents, self.cells, current_names)

    def cell(self, topic_id: str, doc_id: str) -> Cell | None:
        return next((c for c in self.cells if c.topic == topic_id and c.doc_id == doc_id), None)

    def to_dict(self) -> dict:
        return {"cells": [c.to_dict() for c in self.cells]}


def select_topics(topics: list[Topic], ids: list[str] | None) -> list[Topic]:
    """The topics of ``ids`` (all when None or empty); NotFound names unknown ids."""
    if not ids:
        return topics
    unknown = set(ids) - {t.id for t in topics}
    if unknown:
        raise NotFound(f"unknown topic id(s): {', '.join(sorted(unknown))}",
                       "see the ids with `python -m indexer topics`")
    return [t for t in topics if t.id in ids]
