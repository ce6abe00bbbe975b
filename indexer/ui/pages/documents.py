"""Documents page: index status, the indexed documents, corpus changes, uploads and rebuilds.

Also the screen shown when there is no usable index yet (the build command and a button).
"""
from __future__ import annotations

import shlex
from pathlib import Path

import streamlit as st

from indexer.parse.cite import format_date
from indexer.settings import MAX_UPLOAD_BYTES, UPLOAD_TYPES
from indexer.ui.components import md, show_error
from indexer.ui.i18n import error_text, missing, t

BUILD_STAGES = {"hash": (0.0, 0.05), "read": (0.05, 0.35), "embed": (0.35, 0.92), "write": (0.92, 1.0)}
COLUMNS = ["province", "doc_type", "number", "date", "issuer", "title", "level", "province_current",
           "n_chunks", "warnings", "file", "doc_id"]


def build_command(corpus_dir: Path, index_dir: Path) -> str:
    python = ".venv/bin/python" if Path(".venv/bin/python").exists() else "python"
    return shlex.join([python, "-m", "indexer", "build", str(corpus_dir), "--index-dir", str(index_dir)])


def run_build(lib):
    """Build or update the index with a progress bar; the report, or None after an error shown."""
    bar = st.progress(0.0, text=t("stage_hash"))

    def progress(stage: str, done: int, total: int) -> None:
        low, high = BUILD_STAGES.get(stage, (0.0, 1.0))
        fraction = low + (high - low) * (done / total if total else 1.0)
        label = t(f"stage_{stage}") if f"stage_{stage}" in BUILD_STAGES or stage == "done" else stage
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{label} ({done}/{total})")

    try:
        report = lib.build(progress=progress)
    except Exception as exc:  # locked, nothing to build, disk full …
        show_error(exc, "warning")
        return None
    bar.progress(1.0, text=t("stage_done"))
    return report


def rebuild_and_rerun(lib) -> None:
    report = run_build(lib)
    flash = list(st.session_state.get("flash", []))
    if report is not None:
        if getattr(report, "up_to_date", False):
            flash.append(("info", t("build_uptodate")))
        else:
            flash.append(("success", t("build_done", n_docs=report.n_docs, n_chunks=report.n_chunks,
                                       seconds=report.seconds)))
        flash += [("warning", t("build_skipped", file=md(s.file), reason=md(s.reason)))
                  for s in getattr(report, "skipped", [])]
    st.session_state["flash"] = flash
    st.session_state["uploader_n"] += 1
    st.rerun()


def show_missing_index(lib, status) -> None:
    """No usable index: say so, give the command, offer to build it here."""
    st.error(t("no_index"))
    st.markdown(t("build_cmd"))
    st.code(build_command(status.corpus_dir, status.index_dir), language="bash")
    if status.problem is not None:
        st.caption(md(error_text(status.problem)))
    if Path(status.corpus_dir).is_dir() and st.button(t("build_now"), key="build_now"):
        if run_build(lib) is not None:
            st.rerun()


def changes_text(changes) -> str:
    """ "mới: a.txt; đã sửa: b.txt" with the file names escaped for Markdown."""
    kinds = {"added": "new", "changed": "changed", "removed": "removed", "too_large": "too_large"}
    return "; ".join(t(f"ch_{label}", x=", ".join(md(f) for f in getattr(changes, kind)))
                     for kind, label in kinds.items() if getattr(changes, kind, None))


def status_block(lib, status) -> None:
    st.subheader(t("status"))
    m1, m2, m3 = st.columns(3)
    m1.metric(t("n_docs"), status.n_docs)
    m2.metric(t("n_chunks"), status.n_chunks)
    m3.metric(t("built_at"), (status.built_at or "").replace("T", " ")[:16] or missing(None))
    st.text(f"{t('model')}: {status.model} · {t('version')}: {status.version} · "
            f"{t('index_dir')}: {status.index_dir} · {t('corpus_dir')}: {status.corpus_dir}")
    if status.changes or status.changes.too_large:
        st.warning(t("stale", changes=changes_text(status.changes)))
        if st.button(t("rebuild"), key="rebuild"):
            rebuild_and_rerun(lib)


def cell(meta, column: str):
    """A document's value for the table (None shows as "chưa ghi"); dates as 22/9/2022."""
    if column == "warnings":
        return "; ".join(str(w) for w in meta.warnings) or None
    if column == "date":
        return format_date(meta.date)
    return getattr(meta, column, None)


def documents_table(lib, status) -> None:
    import pandas as pd

    st.subheader(t("docs_table"))
    records = [{t(f"col_{c}"): cell(m, c) for c in COLUMNS} for m in lib.documents()]
    widths = {"title": "large", "warnings": "medium", "issuer": "medium", "file": "medium"}
    st.dataframe(pd.DataFrame(records, columns=[t(f"col_{c}") for c in COLUMNS]), hide_index=True,
                 key="documents_table", placeholder=t("missing"),
                 column_config={t(f"col_{c}"): st.column_config.Column(width=w) for c, w in widths.items()})
    if status.skipped:
        st.subheader(t("skipped"))
        skipped = [{t("col_file"): s.file, t("col_reason"): s.reason} for s in status.skipped]
        st.dataframe(pd.DataFrame(skipped), hide_index=True, placeholder=t("missing"))


def escaped_t(key: str, **values) -> str:
    """A label whose values (file names, reasons) are escaped for Markdown."""
    return t(key, **{name: md(value) for name, value in values.items()})


def upload_messages(report) -> list[tuple[str, str]]:
    """(kind, Markdown text) for each uploaded file, in the page's language."""
    out = []
    for item in report.items:
        if item.status == "duplicate":
            out.append(("info", escaped_t("upload_duplicate", name=item.name, other=item.duplicate_of)))
        elif item.status == "refused":
            values = dict(item.reason_values or {})
            reason = error_text(_Reason(values.get("reason", ""))) if item.reason_key == "unusable" \
                else escaped_t(item.reason_key, **values)
            out.append(("error", t("upload_bad", name=md(item.name), reason=reason)))
        elif item.status == "renamed":
            out.append(("warning", escaped_t("upload_renamed", old=item.name, name=item.saved_as)))
        else:
            out.append(("success", escaped_t("upload_saved", name=item.saved_as)))
    return out


class _Reason(Exception):
    """Why the reader refused a file, shown like a package error (in the page's language)."""

    code = "unusable"

def upload_block(lib) -> None:
    types = ", ".join(f".{x}" for x in UPLOAD_TYPES)
    files = st.file_uploader(t("upload", types=types, mb=MAX_UPLOAD_BYTES // 2**20), type=list(UPLOAD_TYPES),
                             accept_multiple_files=True, key=f"uploader_{st.session_state['uploader_n']}",
                             max_upload_size=MAX_UPLOAD_BYTES // 2**20)
    if files:
        st.caption(md(t("upload_chosen", names=", ".join(f.name for f in files))))
    if files and st.button(t("upload_go"), key="upload_go", type="primary"):
        try:
            report = lib.save_uploads([(f.name, f.getvalue()) for f in files])
        except Exception as exc:
            show_error(exc)
            return
        st.session_state["flash"] = upload_messages(report)
        st.session_state["uploader_n"] += 1
        if report.saved:
            rebuild_and_rerun(lib)
        st.rerun()


def render(lib, filters, k: int) -> None:
    for kind, text in st.session_state.get("flash", []):
        getattr(st, kind)(text)
    st.session_state["flash"] = []
    status = lib.status()
    status_block(lib, status)
    documents_table(lib, status)
    upload_block(lib)
