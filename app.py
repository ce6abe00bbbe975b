"""The Streamlit page of Vietnamese policy search:  streamlit run app.py  (or: make run).

A thin shell over `indexer.api.Library`; the pages live in `indexer/ui/`. Vietnamese first,
English on request (sidebar or ``?lang=en``); ``?page=answer&q=…`` opens a page with its query.
The index is read from ``POLICY_INDEX_DIR`` and uploads go to ``POLICY_CORPUS_DIR``.
"""
from __future__ import annotations

import streamlit as st

from indexer import settings
from indexer.api import Library
from indexer.ui import state
from indexer.ui.components import css, md
from indexer.ui.filters import sidebar_filters
from indexer.ui.i18n import LANGS, error_text, t
from indexer.ui.pages import PAGES
from indexer.ui.pages.documents import show_missing_index


@st.cache_resource(show_spinner=False)
def shared_model(model: str | None):
    """The embedding model, loaded once per process and shared by every library."""
    return Library(model=model).embedder


@st.cache_resource(show_spinner="Đang tải mô hình và chỉ mục… / Loading the model and the index…",
                   max_entries=4)
def load_library(index_dir: str, corpus_dir: str, model: str | None) -> Library:
    """One library per configuration; its first search warms up the model and the word segmenter."""
    lib = Library(index_dir=index_dir, corpus_dir=corpus_dir, model=shared_model(model))
    try:
        lib.search("khởi động tìm kiếm", k=1)
    except Exception:  # no index yet, or a broken model: the page explains it
        pass
    return lib


def ready(lib: Library) -> bool:
    """Whether an index can be searched; otherwise the page says why and how to fix it."""
    status = lib.status(check_corpus=False)
    if not status.exists:
        show_missing_index(lib, status)
    return status.exists


def main() -> None:
    st.set_page_config(page_title="Tra cứu văn bản chính sách", page_icon="📑", layout="wide")
    state.init_state()
    st.markdown(css(), unsafe_allow_html=True)
    st.sidebar.radio(t("language"), list(LANGS), key="lang", horizontal=True, format_func=LANGS.get)
    n_export = len(st.session_state["export"])
    page = st.sidebar.radio(t("page"), state.PAGES, key="page",
                            format_func=lambda p: t(f"page_{p}", n=n_export))
    st.title(t("title"))
    st.caption(t("subtitle"))
    try:
        lib = load_library(str(settings.index_dir()), str(settings.corpus_dir()), settings.model_name())
    except Exception as exc:  # the model files are missing or damaged
        st.error(md(error_text(exc)))
        st.code(".venv/bin/python -m indexer prepare-model", language="bash")
        return
    if not ready(lib):
        return
    filters, k = sidebar_filters(lib)
    st.header(t(f"page_{page}", n=n_export))
    PAGES[page].render(lib, filters, k)


if __name__ == "__main__":
    main()
