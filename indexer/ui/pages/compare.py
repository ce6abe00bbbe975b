"""Compare page: the best clause of each province (or document), side by side."""
from __future__ import annotations

import streamlit as st

from indexer.ui import state
from indexer.ui.cache import cached_compare
from indexer.ui.components import card_from_result, digest, documents_by_id, esc, render_card, show_error
from indexer.ui.i18n import t


def group_name(row) -> str:
    """A compare column's title: the province, or the document's short label."""
    return row.group if row.group and row.group != "?" else t("missing")


def render(lib, filters, k: int) -> None:
    query = st.text_input(t("compare_query"), key="cmp_q", placeholder=t("compare_ph"))
    by = st.radio(t("compare_by"), ["province", "document"], horizontal=True, key="cmp_by",
                  format_func=lambda v: t("by_province" if v == "province" else "by_document"))
    state.sync_address("compare", query)
    if not query.strip():
        st.caption(t("compare_hint"))
        return
    try:
        with st.spinner(t("compare_wait")):
            rows = cached_compare(lib, query, by, filters)
    except Exception as exc:
        show_error(exc, "warning")
        return
    if not rows:
        st.info(t("no_results"))
        return
    documents = documents_by_id(lib)
    note = t("note_compare", q=query)
    per_row = 3 if len(rows) > 4 else max(1, len(rows))
    for start in range(0, len(rows), per_row):
        for column, row in zip(st.columns(per_row), rows[start:start + per_row]):
            with column:
                name = group_name(row)
                st.markdown(f'<div class="ps-group">{esc(name)}</div>', unsafe_allow_html=True)
                result = row.best
                if result is None:
                    st.caption(t("compare_none"))
                    continue
                card = card_from_result(result, documents, note)
                render_card(lib, card, f"c:{digest(name)}", anchor=False)
