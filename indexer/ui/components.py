"""Shared pieces of the page: CSS, escaping, THE result card, the context expander, the export box.

Everything that comes from a document or a file name is escaped before it is rendered: ``esc``
for HTML, ``md`` for Markdown (captions, warnings, labels), so a line such as
``![x](http://host/p.png)`` shows as text and is never fetched as an image.
"""
from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import streamlit as st

from indexer.features.export import ExportRow, make_row, row_from_result
from indexer.parse.cite import format_date
from indexer.text.normalize import fold
from indexer.ui import state
from indexer.ui.i18n import error_text, t

CSS = """<style>
.ps-card mark, .ps-answer mark, .ps-ctx mark {background:#ffe58a; padding:0 .1em; border-radius:2px;}
.ps-crumb {color:#5b6775; font-size:.84rem;}
.ps-rank {font-weight:700; color:#1f4e79; margin-right:.3em;}
.ps-text {margin:.35rem 0 .4rem 0; line-height:1.55;}
.ps-doc {font-size:.9rem; font-weight:600;}
.ps-meta {font-size:.82rem; color:#5b6775;}
.ps-cite {font-size:.82rem; font-style:italic; color:#2d3e50; margin-top:.15rem;}
.ps-also {font-size:.8rem; color:#5b6775; margin-top:.3rem;}
.ps-answer {border-left:4px solid #2e7d32; background:#f1f8f1; padding:.6rem .9rem; border-radius:4px; margin-bottom:.6rem;}
.ps-answer p {margin:.25rem 0;}
.ps-generated {border-left:4px solid #b26a00; background:#fff7ec; padding:.6rem .9rem; border-radius:4px; margin-bottom:.6rem;}
.ps-table {border-collapse:collapse; margin-bottom:.8rem; font-size:.9rem;}
.ps-table th, .ps-table td {border:1px solid #d0d7de; padding:.3rem .5rem; text-align:left; vertical-align:top;}
.ps-ref {font-weight:700; text-decoration:none;}
.ps-ctx {color:#6b7280; font-size:.9rem; padding:.2rem .5rem; margin:.15rem 0;}
.ps-ctx-current {color:#111; border-left:3px solid #f0b400; background:#fffbea;}
.ps-group {font-weight:700; color:#1f4e79; margin-bottom:.2rem;}
[data-testid="stFileUploaderDropzoneInstructions"] {display:none;}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {display:none;}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {content:"%(upload_pick)s";}
</style>"""


def css() -> str:
    """The page's CSS; the upload button's English caption is replaced by the page's label
    (the widget's label already says which files and how large)."""
    label = t("upload_pick").replace("\\", "").replace('"', "").replace("<", "")
    return CSS % {"upload_pick": label}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^\"'])")


# -- escaping -----------------------------------------------------------------------------

_MD_ENTITIES = str.maketrans({"[": "&#91;", "]": "&#93;", "!": "&#33;", "*": "&#42;", "_": "&#95;",
                              "`": "&#96;", "$": "&#36;", "~": "&#126;"})


def esc(value) -> str:
    """HTML-escaped text (None → empty) in which no Markdown marker survives; line breaks as <br>."""
    text = html.escape("" if value is None else str(value)).translate(_MD_ENTITIES)
    return text.replace("\n", "<br>")


def md(value) -> str:
    """Text that Markdown shows literally: every punctuation mark that could start markup escaped."""
    text = " ".join(("" if value is None else str(value)).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def highlight_html(text: str, spans) -> str:
    """Escaped text with <mark> around the highlight spans (character offsets into ``text``)."""
    out, pos = [], 0
    for start, end in sorted((int(s), int(e)) for s, e in spans or []):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def digest(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8")).hexdigest()[:12]


def show_error(exc: Exception, kind: str = "error") -> None:
    """One line for an error of the package, in the page's language (escaped)."""
    getattr(st, kind)(md(error_text(exc)))


# -- documents --------------------------------------------------------------------------

def year_of(meta) -> int | None:
    """Year of issue of a document (None when undated)."""
    year = getattr(meta, "year", None)
    if year:
        return int(year)
    date = getattr(meta, "date", None) or ""
    return int(date[:4]) if re.match(r"\d{4}", date) else None


def doc_label(meta) -> str:
    """Short, readable name of a document: 'Quảng Ngãi · Kế hoạch 151/KH-UBND (2022)'."""
    year = year_of(meta)
    kind = " ".join(x for x in (meta.doc_type or "Văn bản", meta.number or "") if x)
    place = meta.locality or meta.province or t("missing")
    if meta.province and meta.locality and fold(meta.locality) != fold(meta.province):
        place = f"{meta.locality} ({meta.province})"
    return f"{place} · {kind}" + (f" ({year})" if year else "")


# -- the card -----------------------------------------------------------------------------

@dataclass
class Card:
    """What one card shows: a clause of a document with its citation, and what to export."""

    chunk_id: str
    section: str
    text: str
    citation: str
    row: ExportRow
    spans: list = field(default_factory=list)
    rank: int | None = None
    title: str = ""
    meta: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def card_from_result(result, documents: Mapping, note: str) -> Card:
    """A card for a search `Result` (search, answer, compare)."""
    info = [x for x in (
        f"{t('number')} {result.number}" if result.number else "",
        f"{t('date')} {format_date(result.date) or ''}" if result.date else "",
        result.issuer or "", result.province or t("missing")) if x]
    notes = []
    also = [_also(a) for a in (result.also_in or [])]
    if also:
        notes.append(f"{t('also_in')}: " + "; ".join(a for a in also if a))
    row = row_from_result(result, documents, note)
    return Card(chunk_id=result.chunk_id, section=result.section, text=result.text,
                citation=result.citation, row=row, spans=list(result.highlights or []),
                rank=result.rank, title=result.title, meta=info, notes=notes)


def card_from_evidence(evidence, doc_id: str, documents: Mapping, note: str, how: str,
                       spans: list) -> Card:
    """A card for a topic `Evidence` clause of document ``doc_id``."""
    meta = documents.get(doc_id)
    row = make_row(meta, citation=evidence.citation, text=evidence.text, section=evidence.section,
                   doc_id=doc_id, chunk_id=evidence.chunk_id, note=note)
    return Card(chunk_id=evidence.chunk_id, section=evidence.section, text=evidence.text,
                citation=evidence.citation, row=row, spans=spans,
                title=meta.title if meta else doc_id, notes=[how])


def _also(item) -> str:
    get = item.get if isinstance(item, Mapping) else (lambda k: getattr(item, k, None))
    return str(get("citation") or get("file") or "")


def card_html(card: Card, anchor: bool = True) -> str:
    """One card as HTML: rank, breadcrumb, highlighted text, document, citation, notes."""
    ident = f' id="card-{card.rank}"' if anchor and card.rank else ""
    rank = f'<span class="ps-rank">[{card.rank}]</span>' if card.rank else ""
    meta = f'<div class="ps-meta">{" · ".join(esc(x) for x in card.meta)}</div>' if card.meta else ""
    notes = "".join(f'<div class="ps-also">{esc(n)}</div>' for n in card.notes)
    return (f'<div class="ps-card"{ident}>'
            f'<div class="ps-crumb">{rank}{esc(card.section)}</div>'
            f'<div class="ps-text">{highlight_html(card.text, card.spans)}</div>'
            f'<div class="ps-doc">{esc(card.title or t("missing"))}</div>{meta}'
            f'<div class="ps-cite">{esc(card.citation)}</div>{notes}</div>')


def render_card(lib, card: Card, widget_key: str, anchor: bool = True) -> None:
    """THE result card: the clause, a box to export it, and "show in document"."""
    key = f"{widget_key}:{card.rank}" if card.rank else widget_key
    with st.container(border=True):
        st.markdown(card_html(card, anchor), unsafe_allow_html=True)
        pick_box(card.row, key)
        context_expander(lib, card.chunk_id, card.spans, key)


def render_cards(lib, cards: Iterable[Card], widget_key: str, anchor: bool = True) -> None:
    for card in cards:
        render_card(lib, card, widget_key, anchor)


def pick_box(row: ExportRow, widget_key: str, label: str | None = None) -> None:
    """A checkbox that adds the passage to the export list (ticked while it is in the list)."""
    key = f"pick:{widget_key}:{digest(row.key)}"
    st.session_state[key] = row.key in state.exported_keys()
    st.checkbox(label or t("pick"), key=key, on_change=state.toggle_row, args=(row.to_dict(), key))


# -- "show in document" -------------------------------------------------------------------

def _field(obj, name: str, default=None):
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def context_html(ctx, highlights) -> str:
    """The clause inside its section, with its neighbours (current clause highlighted)."""
    section = _field(ctx, "section", "")
    current = _field(ctx, "chunk")

    def block(chunk, is_current: bool) -> str:
        own = _field(chunk, "section", "")
        crumb = "" if own == section else f'<div class="ps-crumb">{esc(own)}</div>'
        text = _field(chunk, "text", "")
        body = highlight_html(text, highlights) if is_current else esc(text)
        cls = "ps-ctx ps-ctx-current" if is_current else "ps-ctx"
        return f'<div class="{cls}">{crumb}{body}</div>'

    parts = [f'<div class="ps-cite">{esc(_field(ctx, "citation", ""))}</div>',
             f'<div class="ps-crumb"><b>{esc(section)}</b></div>']
    parts += [block(c, False) for c in _field(ctx, "before", [])]
    parts.append(block(current, True))
    parts += [block(c, False) for c in _field(ctx, "after", [])]
    return "".join(parts)


def context_expander(lib, chunk_id: str, highlights, widget_key: str) -> None:
    """ "Xem trong văn bản": the clause among its neighbours, loaded only when opened."""
    box = st.expander(t("in_document"), key=f"ctx:{widget_key}:{chunk_id}", on_change="rerun")
    if box.open:
        with box:
            try:
                st.markdown(context_html(lib.context(chunk_id), highlights), unsafe_allow_html=True)
            except Exception as exc:  # a clause gone from a newer index version
                st.caption(md(error_text(exc)))


def documents_by_id(lib) -> dict:
    """The indexed documents' metadata by id."""
    return {m.doc_id: m for m in lib.documents()}


def _folded_same_length(text: str) -> str:
    """Accent-folded text of exactly the same length (one character for one)."""
    return "".join((fold(ch) or ch)[:1] for ch in text)


def phrase_spans(text: str, phrase: str) -> list[tuple[int, int]]:
    """Where a topic phrase occurs in a clause (case and diacritics ignored, whole words)."""
    words = re.findall(r"\w+", fold(phrase or ""))
    if not words:
        return []
    pattern = re.compile(r"(?<!\w)" + r"[\W_]+".join(map(re.escape, words)) + r"(?!\w)")
    return [m.span() for m in pattern.finditer(_folded_same_length(text).lower())]
