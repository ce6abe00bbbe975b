"""Session state of the page: defaults, the export list (kept across reloads), URL routing.

The address bar carries the page (``?page=answer``), its query (``?q=…``), the language
(``?lang=en``) and a session id (``?s=…``). The export list is saved in a small JSON file per
session id, so that a reload (F5) or a bookmarked address keeps the chosen passages.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

import streamlit as st

from indexer.features.export import ExportRow, add_rows, move
from indexer.ui.i18n import LANGS

PAGES = ("search", "answer", "topics", "compare", "export", "documents")
QUERY_KEYS = {"search": "q", "answer": "question", "compare": "cmp_q"}  # page → its query widget
PERSISTENT_KEYS = ("q", "question", "cmp_q", "cmp_by", "topic_view", "current_names", "cell_topic",
                   "cell_row", "adhoc_text", "f_province", "f_level", "f_doc_type", "f_docs")
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
SESSION_DAYS = 30


# -- session files ----------------------------------------------------------------------

def session_dir() -> Path:
    """Where export lists are kept: the user's cache folder, else the temporary folder."""
    for base in (Path.home() / ".cache", Path(tempfile.gettempdir())):
        folder = base / "policy-search" / "ui-sessions"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                return folder
        except OSError:
            continue
    raise OSError("no writable folder for the export list")


def session_file(session_id: str) -> Path | None:
    """The file of a session id (None for an id that is not ours to use)."""
    if not SESSION_ID.match(session_id or ""):
        return None
    try:
        return session_dir() / f"{session_id}.json"
    except OSError:
        return None


def load_saved_rows(session_id: str) -> list[dict]:
    """The export list saved for a session (empty when there is none or it is unreadable)."""
    path = session_file(session_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else []
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    return [ExportRow.from_dict(d).to_dict() for d in data if isinstance(d, dict) and "citation" in d
            and "text" in d]


def save_rows(session_id: str, rows: list[dict]) -> None:
    """Write the export list of a session atomically (silently skipped when impossible)."""
    path = session_file(session_id)
    if path is None:
        return
    try:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def prune_sessions(days: int = SESSION_DAYS) -> None:
    """Forget export lists not touched for ``days`` days."""
    try:
        folder = session_dir()
        limit = time.time() - days * 86400
        for path in folder.glob("*.json"):
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
    except OSError:
        pass


# -- the export list --------------------------------------------------------------------

def export_rows() -> list[ExportRow]:
    return [ExportRow.from_dict(d) for d in st.session_state.get("export", [])]


def set_export_rows(rows: list[ExportRow]) -> None:
    st.session_state["export"] = [r.to_dict() for r in rows]
    save_rows(st.session_state.get("sid", ""), st.session_state["export"])


def exported_keys() -> set[str]:
    return {r.key for r in export_rows()}


def toggle_row(row: dict, widget_key: str) -> None:
    """Checkbox callback: add the passage to the export list, or take it out."""
    picked = ExportRow.from_dict(row)
    rows = export_rows()
    if st.session_state.get(widget_key):
        rows = add_rows(rows, [picked])
    else:
        rows = [r for r in rows if r.key != picked.key]
    set_export_rows(rows)


def move_row(row_key: str, offset: int) -> None:
    rows = export_rows()
    index = next((i for i, r in enumerate(rows) if r.key == row_key), -1)
    set_export_rows(move(rows, index, offset))


def remove_row(row_key: str) -> None:
    set_export_rows([r for r in export_rows() if r.key != row_key])


def clear_rows() -> None:
    set_export_rows([])


# -- start of every run -----------------------------------------------------------------

def init_state() -> None:
    """Defaults, widget values kept across pages, and the address bar read once per session."""
    defaults = {"export": [], "adhoc_topics": [], "adhoc_error": "", "flash": [], "uploader_n": 0,
                "lang": "vi", "page": "search"}
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value
    for key in PERSISTENT_KEYS:  # widget values survive a page that does not show the widget
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    if not st.session_state.get("_query_params_read"):
        st.session_state["_query_params_read"] = True
        read_address()
    if st.query_params.get("s") != st.session_state["sid"]:
        st.query_params["s"] = st.session_state["sid"]


def read_address() -> None:
    """Apply ``?lang=``, ``?page=``, ``?q=`` and ``?s=`` (the session whose export list to load)."""
    params = st.query_params
    if params.get("lang") in LANGS:
        st.session_state["lang"] = params["lang"]
    if params.get("page") in PAGES:
        st.session_state["page"] = params["page"]
    if params.get("q"):
        if st.session_state["page"] not in QUERY_KEYS:
            st.session_state["page"] = "search"
        st.session_state[QUERY_KEYS[st.session_state["page"]]] = params["q"]
    sid = params.get("s", "")
    if SESSION_ID.match(sid):
        st.session_state["sid"] = sid
        st.session_state["export"] = load_saved_rows(sid)
    else:
        st.session_state["sid"] = secrets.token_urlsafe(12)
        prune_sessions()


def sync_address(page: str, query: str = "") -> None:
    """Write the page, its query and the language into the address bar (a shareable address)."""
    lang = st.session_state.get("lang", "vi")
    wanted = {"page": page if page != "search" else None, "q": query.strip() or None,
              "lang": lang if lang != "vi" else None}
    for key, value in wanted.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != value:
            st.query_params[key] = value
