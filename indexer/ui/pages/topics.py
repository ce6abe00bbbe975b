"""“Which provinces mention…” page: the document (or province) × topic table and its evidence."""
from __future__ import annotations

import math
import re

import streamlit as st

from indexer.features.topics import rollup_of
from indexer.ui.cache import cached_coverage
from indexer.ui.components import (card_from_evidence, doc_label, documents_by_id, md,
                                   phrase_spans, render_card, show_error)
from indexer.ui.i18n import lang, t

MAX_EVIDENCE = 60
COLUMN_PX = 116  # width of one topic column
INDEX_PX = 280  # width of the row labels


def topic_label(topic) -> str:
    return topic.label_en if lang() == "en" else topic.label_vi


def short_label(label: str, limit: int = 24) -> str:
    """A column header: an acronym in brackets ("… (TOD)" → "TOD"), else the first phrase, shortened."""
    acronym = re.search(r"\(([A-Z][A-Za-z0-9-]{1,7})\)", label)
    if acronym:
        return acronym.group(1)
    head = re.split(r"[,;(]", label)[0].strip() or label
    return head if len(head) <= limit else head[:limit - 1].rstrip() + "…"


def topic_headers(topics) -> dict[str, str]:
    """Topic id → unique short column header."""
    headers: dict[str, str] = {}
    for topic in topics:
        header = short_label(topic_label(topic))
        if header in headers.values():
            header = topic_label(topic)
        while header in headers.values():
            header += "·"
        headers[topic.id] = header
    return headers


def table_rows(documents: dict, cells, allowed: list[str], view: str,
               current_names: bool) -> dict[str, tuple[str, list[str]]]:
    """Rows of the table: key → (label, document ids), for the documents the filters allow."""
    if view == "document":
        return {d: (doc_label(documents[d]), [d]) for d in allowed}
    kept = {d: documents[d] for d in allowed}
    rows = {}
    for row in rollup_of(kept, [c for c in cells if c.doc_id in kept], current_names):
        rows[row["province"]] = (f'{row["province"]} ({len(row["documents"])})', row["documents"])
    return rows


def _shade(value, top: int) -> str:
    if not value:
        return "background-color: #f4f5f7; color: #9aa1ab"
    level = math.log1p(value) / math.log1p(max(top, 1))
    alpha = 0.18 + 0.7 * level
    return f"background-color: rgba(46, 125, 50, {alpha:.2f}); color: {'#fff' if alpha > 0.6 else '#102a12'}"


def _add_adhoc() -> None:
    text = " ".join(st.session_state.get("adhoc_text", "").split())
    if text and text not in st.session_state["adhoc_topics"]:
        st.session_state["adhoc_topics"] = st.session_state["adhoc_topics"] + [text]
        st.session_state["adhoc_new"] = text
    st.session_state["adhoc_text"] = ""


def _clear_adhoc() -> None:
    st.session_state["adhoc_topics"] = []
    st.session_state.pop("cell_topic", None)


def load(lib):
    """(topics, cells); an ad-hoc topic the package refuses is dropped with its error shown."""
    try:
        return cached_coverage(lib, st.session_state["adhoc_topics"])
    except Exception as exc:
        if not st.session_state["adhoc_topics"]:
            raise
        bad = st.session_state.pop("adhoc_new", None) or st.session_state["adhoc_topics"][-1]
        st.session_state["adhoc_topics"] = [a for a in st.session_state["adhoc_topics"] if a != bad]
        st.session_state["adhoc_error"] = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
        return cached_coverage(lib, st.session_state["adhoc_topics"])


def render(lib, filters, k: int) -> None:
    st.caption(t("topics_intro"))
    st.session_state["adhoc_error"] = ""
    try:
        with st.spinner(t("topics_wait")):
            topics, cells = load(lib)
    except Exception as exc:
        show_error(exc)
        return
    adhoc_new = st.session_state.pop("adhoc_new", None)
    if adhoc_new and adhoc_new in st.session_state["adhoc_topics"]:
        position = len(topics) - len(st.session_state["adhoc_topics"]) + \
            st.session_state["adhoc_topics"].index(adhoc_new)
        st.session_state["cell_topic"] = topics[position].id
    documents = documents_by_id(lib)
    allowed = [d for d in documents if d in _allowed(lib, filters, documents)]
    c1, c2 = st.columns([1, 1])
    view = c1.radio(t("view"), ["document", "province"], horizontal=True, key="topic_view",
                    format_func=lambda v: t("by_document" if v == "document" else "by_province"))
    current = c2.checkbox(t("current_names"), key="current_names", disabled=view != "province")
    rows = table_rows(documents, cells, allowed, view, current and view == "province")
    row_key = f"cell_row:{view}"  # one row selector per view: never a stale row of the other view
    matrix(topics, cells, rows, view, current, row_key)
    adhoc_form()
    if not rows:
        st.info(t("no_results"))
        return
    labels = {tp.id: topic_label(tp) for tp in topics}
    if st.session_state.get("cell_topic") not in labels:
        st.session_state.pop("cell_topic", None)
    if st.session_state.get(row_key) not in rows:
        st.session_state.pop(row_key, None)
    s1, s2 = st.columns(2)
    topic_id = s1.selectbox(t("cell_topic"), list(labels), format_func=labels.get, key="cell_topic")
    chosen = s2.selectbox(t("cell_row"), list(rows), format_func=lambda r: rows[r][0], key=row_key)
    show_evidence(lib, documents, cells, topic_id, labels[topic_id], rows[chosen])


def _allowed(lib, filters, documents: dict) -> set[str]:
    """Ids of the documents the filters allow (asked of the library when filters are set)."""
    if filters is None or filters.is_empty():
        return set(documents)
    return set(lib.allowed_documents(filters))


def matrix(topics, cells, rows: dict, view: str, current: bool, row_key: str) -> None:
    """The table of counts, wide enough for every topic (it scrolls sideways when needed)."""
    import pandas as pd

    by_cell = {(c.topic, c.doc_id): c.count for c in cells}
    headers = topic_headers(topics)
    counts = [[sum(by_cell.get((tp.id, d), 0) for d in docs) for tp in topics] for _, docs in rows.values()]
    frame = pd.DataFrame(counts, index=[label for label, _ in rows.values()],
                         columns=[headers[tp.id] for tp in topics])
    top = int(frame.to_numpy().max()) if frame.size else 1
    config = {headers[tp.id]: st.column_config.NumberColumn(headers[tp.id], help=md(topic_label(tp)),
                                                            width=COLUMN_PX) for tp in topics}
    config["_index"] = st.column_config.Column(width=INDEX_PX, pinned=True)
    if len(topics) > 8:
        st.caption(t("matrix_scroll", n=len(topics)))
    event = st.dataframe(frame.style.map(lambda v: _shade(v, top)), key=f"matrix:{view}:{int(current)}",
                         on_select="rerun", selection_mode="single-cell", column_config=config,
                         width=min(INDEX_PX + COLUMN_PX * len(topics) + 4, 4000),
                         height=min(38 + 35 * max(len(rows), 1), 720))
    _select_from_table(event, view, list(rows), {v: k for k, v in headers.items()}, row_key)
    if "cell_topic" not in st.session_state and frame.size and top > 0:
        r, c = divmod(int(frame.to_numpy().argmax()), len(topics))  # start on the busiest cell
        st.session_state[row_key], st.session_state["cell_topic"] = list(rows)[r], topics[c].id


def adhoc_form() -> None:
    with st.form("adhoc_form", clear_on_submit=False, border=False):
        a1, a2 = st.columns([4, 1], vertical_alignment="bottom")
        a1.text_input(t("adhoc"), key="adhoc_text", placeholder=t("adhoc_ph"))
        a2.form_submit_button(t("adhoc_add"), on_click=_add_adhoc)
    if st.session_state.get("adhoc_error"):
        st.warning(md(t("adhoc_error", error=st.session_state["adhoc_error"])))
    if st.session_state["adhoc_topics"]:
        st.button(t("adhoc_clear"), key="adhoc_clear", on_click=_clear_adhoc)


def _select_from_table(event, view: str, row_keys: list[str], topic_of_label: dict[str, str],
                       row_key: str) -> None:
    """A cell selected in the table picks the topic and the row below it."""
    try:
        chosen = list(event.selection.cells)
    except AttributeError:
        return
    if not chosen:
        return
    position, column = chosen[0]
    marker = (view, position, column)
    if st.session_state.get("_matrix_cell") == marker:
        return  # already applied; the selectboxes may have changed since
    st.session_state["_matrix_cell"] = marker
    if 0 <= position < len(row_keys) and column in topic_of_label:
        st.session_state[row_key] = row_keys[position]
        st.session_state["cell_topic"] = topic_of_label[column]


def show_evidence(lib, documents: dict, cells, topic_id: str, label: str, row: tuple) -> None:
    row_label, doc_ids = row
    evidence = [(c.doc_id, e) for c in cells if c.topic == topic_id and c.doc_id in doc_ids
                for e in c.evidence]
    st.subheader(t("evidence"))
    if not evidence:
        st.info(t("no_evidence"))
        return
    st.caption(t("n_evidence", n=len(evidence), topic=md(label), row=md(row_label)))
    note = t("note_topic", q=label)
    for i, (doc_id, ev) in enumerate(evidence[:MAX_EVIDENCE]):
        if ev.match == "phrase":
            how = t("match_phrase", phrase=ev.phrase or "")
            spans = phrase_spans(ev.text, ev.phrase or "")
        else:
            how = t("match_semantic", score=f"{ev.score:.2f}" if ev.score is not None else "?")
            spans = []
        render_card(lib, card_from_evidence(ev, doc_id, documents, note, how, spans), f"ev:{i}")
    if len(evidence) > MAX_EVIDENCE:
        st.caption(t("more_evidence", n=len(evidence) - MAX_EVIDENCE))
