"""Search page: clause cards for a query typed in the box or given in the address (``?q=``)."""
from __future__ import annotations

import streamlit as st

from indexer.ui import state
from indexer.ui.cache import cached_search
from indexer.ui.components import card_from_result, documents_by_id, render_cards, show_error
from indexer.ui.i18n import t


def render(lib, filters, k: int) -> None:
    query = st.text_input(t("query"), key="q", placeholder=t("query_ph"))
    state.sync_address("search", query)
    if not query.strip():
        st.caption(t("search_hint"))
        return
    try:
        with st.spinner(t("search_wait")):
            results = cached_search(lib, query, filters, k)
    except Exception as exc:  # PolicySearchError (an empty query …) or a damaged index
        show_error(exc, "warning")
        return
    if not results:
        st.info(t("no_results"))
        return
    st.caption(t("n_results", n=len(results)))
    documents = documents_by_id(lib)
    note = t("note_search", q=query)
    render_cards(lib, [card_from_result(r, documents, note) for r in results], "s")
