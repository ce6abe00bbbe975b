"""The sidebar filters: province (old and post-2025 names, typed with or without diacritics),
level, document type, year of issue (saying how many undated documents it leaves out), document.
"""
from __future__ import annotations

import re

import streamlit as st

from indexer.api import Filters
from indexer.text.normalize import fold
from indexer.ui.components import doc_label, md
from indexer.ui.i18n import t


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(name or ""))


def province_options(facets) -> dict[str, str]:
    """Province filter options → labels: "Đắk Nông (nay: Lâm Đồng)" for a merged province."""
    options: dict[str, str] = {}
    for p in facets.provinces:
        merged = p.current_name and _key(p.current_name) != _key(p.name)
        options[p.name] = t("province_now", old=p.name, new=p.current_name) if merged else p.name
    return dict(sorted(options.items(), key=lambda kv: fold(kv[0])))


def resolve_typed(options: dict[str, str]) -> None:
    """Multiselect callback: a name typed without diacritics ("lam dong") becomes the option."""
    chosen, resolved = st.session_state.get("f_province") or [], []
    unknown = []
    for value in chosen:
        if value in options:
            resolved.append(value)
            continue
        typed = _key(value)
        match = [o for o in options if _key(o) == typed] or \
                [o for o, label in options.items() if typed and typed in _key(label)]
        if match:
            resolved += [m for m in match[:1] if m not in resolved]
        else:
            unknown.append(value)
    st.session_state["f_province"] = list(dict.fromkeys(resolved))
    st.session_state["f_province_unknown"] = unknown


def sidebar_filters(lib) -> tuple[Filters, int]:
    """The filters chosen in the sidebar and the number of results."""
    facets = lib.facets()
    documents = {m.doc_id: m for m in lib.documents()}
    options = province_options(facets)
    with st.sidebar.expander(t("filters"), expanded=True):
        if any(v not in options for v in st.session_state.get("f_province") or []):
            resolve_typed(options)
        provinces = st.multiselect(t("f_province"), list(options), format_func=lambda o: options.get(o, o),
                                   key="f_province", placeholder=t("choose"), help=t("province_help"),
                                   accept_new_options=True, select_all=False, on_change=resolve_typed,
                                   args=(options,))
        for name in st.session_state.get("f_province_unknown") or []:
            st.caption(md(t("province_unknown", name=name)))
        levels = st.multiselect(t("f_level"), facets.levels, key="f_level", placeholder=t("choose"),
                                select_all=False)
        types = st.multiselect(t("f_doc_type"), facets.doc_types, key="f_doc_type",
                               placeholder=t("choose"), select_all=False)
        year_from = year_to = None
        if facets.year_min and facets.year_max and facets.year_min < facets.year_max:
            low, high = facets.year_min, facets.year_max
            chosen = st.slider(t("f_years"), low, high, (low, high), key="f_years")
            year_from = chosen[0] if chosen[0] > low else None
            year_to = chosen[1] if chosen[1] < high else None
            if facets.n_undated and (year_from or year_to):
                st.caption(t("undated_dropped", n=facets.n_undated))
            elif facets.n_undated:
                st.caption(t("undated_all", n=facets.n_undated))
        doc_ids = st.multiselect(t("f_docs"), list(documents), key="f_docs", placeholder=t("choose"),
                                 format_func=lambda d: doc_label(documents[d]) if d in documents else d,
                                 select_all=False)
        k = st.slider(t("k"), 3, 30, 10, key="k")
    filters = Filters(provinces=provinces or None, levels=levels or None, doc_types=types or None,
                      year_from=year_from, year_to=year_to, doc_ids=doc_ids or None)
    return filters, k
