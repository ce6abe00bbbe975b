"""Export page: the chosen passages in order, downloadable as CSV, XLSX, DOCX, Markdown or JSON."""
from __future__ import annotations

import time

import streamlit as st

from indexer.features.export import FORMATS
from indexer.ui import state
from indexer.ui.components import digest, esc, md
from indexer.ui.i18n import error_text, t


def download_buttons(lib, rows) -> None:
    """One button per format; a format that cannot be written says so in one line."""
    stamp = time.strftime("%Y%m%d-%H%M")
    for column, fmt in zip(st.columns(len(FORMATS)), FORMATS):
        try:
            data, mime = lib.export(rows, fmt), FORMATS[fmt][0]
        except Exception as exc:  # PolicySearchError from a writer; never take the list down
            column.caption(md(t("export_failed", fmt=fmt.upper(), error=error_text(exc))))
            continue
        column.download_button(t("download", fmt=fmt.upper()), data=data, file_name=f"trich-dan-{stamp}.{fmt}",
                               mime=mime, key=f"dl_{fmt}", on_click="ignore", width="stretch")


def row_html(i: int, row) -> str:
    return (f'<div class="ps-card"><div class="ps-crumb"><span class="ps-rank">{i + 1}.</span>'
            f'{esc(row.section)}</div><div class="ps-text">{esc(row.text)}</div>'
            f'<div class="ps-cite">{esc(row.citation)}</div>'
            f'<div class="ps-also">{esc(row.note)}</div></div>')


def render(lib, filters, k: int) -> None:
    state.sync_address("export")
    rows = state.export_rows()
    if not rows:
        st.info(t("export_empty"))
        return
    st.caption(t("export_count", n=len(rows)))
    download_buttons(lib, rows)
    for i, row in enumerate(rows):
        with st.container(border=True):
            text_col, buttons_col = st.columns([10, 2])
            text_col.markdown(row_html(i, row), unsafe_allow_html=True)
            with buttons_col:
                b1, b2, b3 = st.columns(3)
                key = digest(row.key)
                b1.button("↑", key=f"up:{key}", help=t("up"), on_click=state.move_row, args=(row.key, -1),
                          disabled=i == 0)
                b2.button("↓", key=f"down:{key}", help=t("down"), on_click=state.move_row,
                          args=(row.key, 1), disabled=i == len(rows) - 1)
                b3.button("✕", key=f"rm:{key}", help=t("remove"), on_click=state.remove_row, args=(row.key,))
    st.button(t("clear_export"), key="clear_export", on_click=state.clear_rows)
