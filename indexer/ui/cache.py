"""Caches of the page, keyed by the live index version so that a rebuild invalidates them."""
from __future__ import annotations

import streamlit as st

from indexer.api import Filters


def version_of(lib) -> str:
    """Name of the index version the library serves now (cheap: no corpus check)."""
    return str(lib.status(check_corpus=False).version)


def filters_key(filters: Filters | None) -> tuple:
    """A hashable form of the filters."""
    if filters is None:
        return ()
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in vars(filters).items())


def _filters(key: tuple) -> Filters:
    return Filters(**{k: list(v) if isinstance(v, tuple) else v for k, v in key})


@st.cache_data(max_entries=256, show_spinner=False)
def _search(_lib, version: str, query: str, fkey: tuple, k: int, group: bool):
    return _lib.search(query, k=k, filters=_filters(fkey), group=group)


@st.cache_data(max_entries=128, show_spinner=False)
def _ask(_lib, version: str, question: str, fkey: tuple):
    return _lib.ask(question, filters=_filters(fkey))


@st.cache_data(max_entries=64, show_spinner=False)
def _compare(_lib, version: str, query: str, by: str, fkey: tuple):
    return _lib.compare(query, by=by, filters=_filters(fkey))


@st.cache_resource(max_entries=8, show_spinner=False)
def _coverage(_lib, version: str, adhoc: tuple[str, ...]):
    coverage = _lib.coverage(adhoc=list(adhoc))
    return coverage.topics, coverage.cells


def cached_search(lib, query: str, filters: Filters, k: int, group: bool = True):
    return _search(lib, version_of(lib), query, filters_key(filters), k, group)


def cached_answer(lib, question: str, filters: Filters):
    return _ask(lib, version_of(lib), question, filters_key(filters))


def cached_compare(lib, query: str, by: str, filters: Filters):
    return _compare(lib, version_of(lib), query, by, filters_key(filters))


def cached_coverage(lib, adhoc: list[str]):
    return _coverage(lib, version_of(lib), tuple(adhoc))
