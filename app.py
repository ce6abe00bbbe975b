"""The Streamlit page of Vietnamese policy search: a thin layer over the ``indexer`` API.

    streamlit run app.py          (or: make run)

Pages: search, answers, which provinces mention a topic, compare, export of cited passages,
documents and index status. Vietnamese labels first, English on request (sidebar or ``?lang=en``);
``?q=…`` runs a search from the address bar. The index is read from ``POLICY_INDEX_DIR`` (default
``.index``); uploads are saved into ``POLICY_CORPUS_DIR`` (default ``corpus/``). The model and
the index are loaded once per process. Every string that comes from a document is escaped
before it is rendered as HTML.
"""
from __future__ import annotations

import hashlib
import html
import math
import re
import shlex
import time
from pathlib import Path

import streamlit as st

from indexer import settings as config
from indexer.features import upload
from indexer.features.export import (FORMATS, ExportRow, add_rows, export, move, row_from_evidence,
                            row_from_result, row_from_sentence)
from indexer.text.normalize import fold
from indexer.search.engine import Filters, QueryError, SearchEngine, doc_allowed, document_year, highlight_spans
from indexer.index.store import IndexProblem
from indexer.features.upload import MAX_UPLOAD_BYTES, UPLOAD_TYPES, save_uploads
from indexer.index.corpus import HashCache, corpus_changes

PAGES = ("search", "answer", "topics", "compare", "export", "documents")
MAX_EVIDENCE = 60
BUILD_STAGES = {"hash": (0.0, 0.05), "read": (0.05, 0.35), "embed": (0.35, 0.92), "write": (0.92, 1.0)}

LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Tra cứu văn bản chính sách",
        "subtitle": "Tìm kiếm ngữ nghĩa và hỏi đáp trên các văn bản chính sách của các tỉnh, có trích dẫn.",
        "language": "Ngôn ngữ / Language",
        "page": "Trang",
        "page_search": "Tìm kiếm", "page_answer": "Hỏi đáp", "page_topics": "Tỉnh nào đề cập…",
        "page_compare": "So sánh", "page_export": "Xuất ({n})", "page_documents": "Văn bản",
        "filters": "Bộ lọc", "f_province": "Tỉnh / thành phố", "f_level": "Cấp", "f_doc_type": "Loại văn bản",
        "f_years": "Năm ban hành", "f_docs": "Văn bản", "k": "Số kết quả", "choose": "Chọn…",
        "query": "Nội dung cần tìm", "query_ph": "ví dụ: không gian ngầm, tỷ lệ đô thị hóa năm 2030, TOD",
        "search_hint": "Nhập vài từ (có dấu hoặc không dấu, tiếng Việt hoặc tiếng Anh) rồi nhấn Enter.",
        "n_results": "{n} điều khoản phù hợp", "no_results": "Không có điều khoản nào phù hợp với truy vấn và bộ lọc.",
        "query_error": "Không tìm được: hãy nhập vài từ có chữ cái hoặc chữ số.",
        "pick": "Chọn để xuất", "pick_sentence": "Chọn câu [{n}] để xuất", "in_document": "Xem trong văn bản",
        "also_in": "Cũng có trong", "number": "Số", "date": "ngày", "section": "Mục",
        "question": "Câu hỏi", "question_ph": "ví dụ: Thủy Nguyên phấn đấu tỷ lệ đô thị hóa năm 2030 đạt bao nhiêu?",
        "question_hint": "Đặt câu hỏi; câu trả lời được trích nguyên văn từ văn bản, kèm trích dẫn.",
        "answer_title": "Trả lời (trích nguyên văn)", "sources": "Các đoạn nguồn",
        "not_found": "Không tìm thấy câu trả lời trong các văn bản.",
        "closest": "Các đoạn gần nhất (không trả lời được câu hỏi)",
        "topics_intro": "Số điều khoản đề cập mỗi chủ đề. Chọn một ô của bảng (hoặc chọn chủ đề và dòng bên dưới) để xem bằng chứng.",
        "view": "Xem theo", "by_document": "Văn bản", "by_province": "Tỉnh",
        "current_names": "Tên tỉnh sau sáp nhập (2025)", "cell_topic": "Chủ đề", "cell_row": "Văn bản / tỉnh",
        "evidence": "Bằng chứng", "n_evidence": "{n} điều khoản đề cập “{topic}” — {row}",
        "no_evidence": "Không có điều khoản nào đề cập chủ đề này ở đây.",
        "more_evidence": "… và {n} điều khoản khác.",
        "adhoc": "Thêm chủ đề (các cụm từ cách nhau bởi “;”, “-từ” để loại trừ)",
        "adhoc_ph": "ví dụ: không gian ngầm; công trình ngầm; -nước ngầm", "adhoc_add": "Thêm chủ đề",
        "adhoc_clear": "Bỏ các chủ đề tự thêm", "adhoc_error": "Không thêm được chủ đề: {error}",
        "match_phrase": "khớp cụm từ “{phrase}”", "match_semantic": "khớp ngữ nghĩa (độ tương đồng {score})",
        "topics_error": "Không đọc được danh sách chủ đề: {error}",
        "compare_query": "Nội dung so sánh", "compare_ph": "ví dụ: tỷ lệ đô thị hóa năm 2025 và 2030",
        "compare_hint": "Nhập nội dung để xem điều khoản phù hợp nhất của từng tỉnh hoặc từng văn bản, cạnh nhau.",
        "compare_by": "So sánh theo", "compare_none": "Không có điều khoản phù hợp.",
        "export_empty": "Danh sách xuất đang trống. Đánh dấu “Chọn để xuất” trên các thẻ ở bất kỳ trang nào; "
                        "danh sách được giữ qua các lần tìm kiếm.",
        "export_count": "{n} đoạn trích, theo thứ tự xuất. Mỗi dòng kèm trích dẫn đầy đủ và thông tin văn bản.",
        "up": "Lên", "down": "Xuống", "remove": "Bỏ", "clear_export": "Xóa toàn bộ danh sách",
        "download": "Tải {fmt}",
        "status": "Trạng thái chỉ mục", "model": "Mô hình", "built_at": "Lập lúc", "n_docs": "Văn bản",
        "n_chunks": "Điều khoản", "version": "Phiên bản", "index_dir": "Thư mục chỉ mục",
        "corpus_dir": "Thư mục văn bản", "docs_table": "Các văn bản đã lập chỉ mục",
        "skipped": "Tệp bị bỏ qua khi lập chỉ mục",
        "stale": "Kho văn bản đã thay đổi từ lần lập chỉ mục gần nhất ({changes}); hãy cập nhật chỉ mục.",
        "ch_new": "mới: {x}", "ch_changed": "đã sửa: {x}", "ch_removed": "đã xóa: {x}",
        "upload": "Thêm văn bản ({types}; tối đa {mb} MB mỗi tệp)", "upload_go": "Thêm vào kho và cập nhật chỉ mục",
        "rebuild": "Cập nhật chỉ mục", "upload_saved": "Đã thêm “{name}” vào kho văn bản.",
        "upload_renamed": "Đã có tệp tên “{old}”: tệp mới được lưu thành “{name}” (không ghi đè).",
        "upload_duplicate": "“{name}” đã có trong kho (trùng nội dung với “{other}”), bỏ qua.",
        "upload_bad": "Không thêm “{name}”: {reason}. Kho văn bản và chỉ mục không thay đổi.",
        "bad_type": "loại tệp {suffix} không được nhận (chỉ nhận {allowed})",
        "too_large": "tệp quá lớn ({size} MB; giới hạn {limit} MB)", "empty_file": "tệp rỗng",
        "bad_name": "tên tệp không dùng được",
        "build_done": "Đã cập nhật chỉ mục: {n_docs} văn bản, {n_chunks} điều khoản ({seconds:.1f} giây).",
        "build_uptodate": "Chỉ mục đã khớp với kho văn bản, không cần cập nhật.",
        "build_skipped": "Bỏ qua “{file}”: {reason}",
        "build_locked": "Đang có một lần lập chỉ mục khác; hãy đợi rồi thử lại.",
        "stage_hash": "Kiểm tra tệp", "stage_read": "Đọc văn bản", "stage_embed": "Tính vector",
        "stage_write": "Ghi chỉ mục", "stage_done": "Xong",
        "no_index": "Chưa có chỉ mục tìm kiếm dùng được.",
        "build_cmd": "Tạo (hoặc tạo lại) chỉ mục bằng lệnh sau trong thư mục dự án, rồi tải lại trang:",
        "build_now": "Lập chỉ mục ngay", "model_error": "Không tải được mô hình nhúng: {error}",
        "model_cmd": "Chuẩn bị mô hình bằng lệnh:",
        "note_search": "tìm kiếm: {q}", "note_answer": "hỏi đáp: {q}", "note_topic": "chủ đề: {q}",
        "note_compare": "so sánh: {q}",
        "col_doc_id": "Mã", "col_file": "Tệp", "col_title": "Tiêu đề", "col_doc_type": "Loại",
        "col_number": "Số", "col_date": "Ngày", "col_issuer": "Cơ quan ban hành", "col_level": "Cấp",
        "col_province": "Tỉnh", "col_province_current": "Tỉnh (sau 2025)", "col_n_chunks": "Điều khoản",
        "col_warnings": "Cảnh báo", "col_reason": "Lý do",
    },
    "en": {
        "title": "Policy document search",
        "subtitle": "Semantic search and question answering over provincial policy documents, with citations.",
        "language": "Ngôn ngữ / Language",
        "page": "Page",
        "page_search": "Search", "page_answer": "Answer", "page_topics": "Which provinces mention…",
        "page_compare": "Compare", "page_export": "Export ({n})", "page_documents": "Documents",
        "filters": "Filters", "f_province": "Province / city", "f_level": "Level", "f_doc_type": "Document type",
        "f_years": "Year of issue", "f_docs": "Documents", "k": "Number of results", "choose": "Choose…",
        "query": "Search for", "query_ph": "e.g. underground space, urbanisation rate 2030, TOD",
        "search_hint": "Type a few words (with or without diacritics, Vietnamese or English) and press Enter.",
        "n_results": "{n} matching clauses", "no_results": "No clause matches the query and the filters.",
        "query_error": "Nothing to search: type a few words with letters or digits.",
        "pick": "Add to export", "pick_sentence": "Add sentence [{n}] to export", "in_document": "Show in document",
        "also_in": "Also in", "number": "No.", "date": "dated", "section": "Section",
        "question": "Question", "question_ph": "e.g. What urbanisation rate does Thủy Nguyên target for 2030?",
        "question_hint": "Ask a question; the answer is quoted verbatim from the documents, with citations.",
        "answer_title": "Answer (quoted verbatim)", "sources": "Source passages",
        "not_found": "Not found in the documents.",
        "closest": "Closest passages (they do not answer the question)",
        "topics_intro": "Number of clauses mentioning each topic. Select a cell of the table (or a topic and a row below) to see the evidence.",
        "view": "Rows", "by_document": "Documents", "by_province": "Provinces",
        "current_names": "Post-2025 province names", "cell_topic": "Topic", "cell_row": "Document / province",
        "evidence": "Evidence", "n_evidence": "{n} clauses mention “{topic}” — {row}",
        "no_evidence": "No clause mentions this topic here.",
        "more_evidence": "… and {n} more clauses.",
        "adhoc": "Add a topic (phrases separated by “;”, “-word” excludes)",
        "adhoc_ph": "e.g. không gian ngầm; công trình ngầm; -nước ngầm", "adhoc_add": "Add topic",
        "adhoc_clear": "Remove the added topics", "adhoc_error": "Could not add the topic: {error}",
        "match_phrase": "phrase “{phrase}”", "match_semantic": "semantic match (similarity {score})",
        "topics_error": "Could not read the topic list: {error}",
        "compare_query": "Compare", "compare_ph": "e.g. urbanisation rate targets for 2025 and 2030",
        "compare_hint": "Type what to compare to see the best clause of each province or document side by side.",
        "compare_by": "Compare by", "compare_none": "No matching clause.",
        "export_empty": "The export list is empty. Tick “Add to export” on the cards of any page; "
                        "the list is kept across searches.",
        "export_count": "{n} passages, in export order. Every row carries the full citation and the document's metadata.",
        "up": "Up", "down": "Down", "remove": "Remove", "clear_export": "Clear the list",
        "download": "Download {fmt}",
        "status": "Index status", "model": "Model", "built_at": "Built at", "n_docs": "Documents",
        "n_chunks": "Clauses", "version": "Version", "index_dir": "Index folder",
        "corpus_dir": "Corpus folder", "docs_table": "Indexed documents",
        "skipped": "Files skipped by the last build",
        "stale": "The corpus changed since the last build ({changes}); update the index.",
        "ch_new": "new: {x}", "ch_changed": "changed: {x}", "ch_removed": "removed: {x}",
        "upload": "Add documents ({types}; at most {mb} MB per file)", "upload_go": "Add to the corpus and update the index",
        "rebuild": "Update the index", "upload_saved": "Added “{name}” to the corpus.",
        "upload_renamed": "A file named “{old}” exists: the new file was saved as “{name}” (nothing overwritten).",
        "upload_duplicate": "“{name}” is already in the corpus (same content as “{other}”), skipped.",
        "upload_bad": "Did not add “{name}”: {reason}. The corpus and the index are unchanged.",
        "bad_type": "file type {suffix} is not accepted (only {allowed})",
        "too_large": "file too large ({size} MB; the limit is {limit} MB)", "empty_file": "empty file",
        "bad_name": "unusable file name",
        "build_done": "Index updated: {n_docs} documents, {n_chunks} clauses ({seconds:.1f} s).",
        "build_uptodate": "The index already matches the corpus; nothing to update.",
        "build_skipped": "Skipped “{file}”: {reason}",
        "build_locked": "Another build is running; wait for it to finish and try again.",
        "stage_hash": "Checking files", "stage_read": "Reading documents", "stage_embed": "Embedding clauses",
        "stage_write": "Writing the index", "stage_done": "Done",
        "no_index": "There is no usable search index yet.",
        "build_cmd": "Build (or rebuild) it with this command in the project folder, then reload the page:",
        "build_now": "Build the index now", "model_error": "Could not load the embedding model: {error}",
        "model_cmd": "Prepare the model with:",
        "note_search": "search: {q}", "note_answer": "answer: {q}", "note_topic": "topic: {q}",
        "note_compare": "compare: {q}",
        "col_doc_id": "Id", "col_file": "File", "col_title": "Title", "col_doc_type": "Type",
        "col_number": "Number", "col_date": "Date", "col_issuer": "Issuer", "col_level": "Level",
        "col_province": "Province", "col_province_current": "Province (post-2025)", "col_n_chunks": "Clauses",
        "col_warnings": "Warnings", "col_reason": "Reason",
    },
}

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
.ps-ref {font-weight:700; text-decoration:none;}
.ps-ctx {color:#6b7280; font-size:.9rem; padding:.2rem .5rem; margin:.15rem 0;}
.ps-ctx-current {color:#111; border-left:3px solid #f0b400; background:#fffbea;}
.ps-group {font-weight:700; color:#1f4e79; margin-bottom:.2rem;}
</style>"""


# -- small helpers ---------------------------------------------------------------------

def t(key: str, **values) -> str:
    """The label ``key`` in the chosen language (Vietnamese by default)."""
    lang = st.session_state.get("lang", "vi")
    text = LABELS.get(lang, LABELS["vi"]).get(key) or LABELS["vi"].get(key) or key
    return text.format(**values) if values else text


def esc(value) -> str:
    """HTML-escaped text (None → empty); line breaks kept as <br>."""
    return html.escape("" if value is None else str(value)).replace("\n", "<br>")


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


def format_date(iso: str | None) -> str:
    from indexer.parse.cite import format_date as vn_date

    return vn_date(iso) or ""


def doc_label(meta) -> str:
    """Short, readable name of a document: 'Quảng Ngãi · Kế hoạch 151/KH-UBND (2022)'."""
    year = document_year(meta)
    kind = " ".join(x for x in (meta.doc_type or "Văn bản", meta.number or "") if x)
    place = meta.locality or meta.province or "?"
    if meta.province and meta.locality and fold(meta.locality) != fold(meta.province):
        place = f"{meta.locality} ({meta.province})"
    return f"{place} · {kind}" + (f" ({year})" if year else "")


def filters_key(filters: Filters) -> tuple:
    """A hashable form of the filters (for caches)."""
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in vars(filters).items())


def filters_from_key(key: tuple) -> Filters:
    return Filters(**{k: list(v) if isinstance(v, tuple) else v for k, v in key})


def python_command() -> str:
    return ".venv/bin/python" if Path(".venv/bin/python").exists() else "python"


def build_command(corpus_dir: Path, index_dir: Path) -> str:
    return shlex.join([python_command(), "-m", "indexer", "build", str(corpus_dir),
                       "--index-dir", str(index_dir)])


# -- corpus hashes (cached; uploads and changes live in indexer.upload) -----------------

@st.cache_resource(show_spinner=False)
def file_hashes() -> HashCache:
    """sha256 of the corpus files, recomputed only when a name, size or mtime changes."""
    return HashCache()


# -- loading (once per process) --------------------------------------------------------

@st.cache_resource(show_spinner="Đang tải mô hình… / Loading the model…")
def load_embedder(model: str | None):
    from indexer.index.embed import load_embedder as _load_embedder

    return _load_embedder(model)


@st.cache_resource(show_spinner="Đang tải chỉ mục… / Loading the index…", max_entries=4)
def load_engine(index_dir: str, model: str | None) -> SearchEngine:
    engine = SearchEngine(Path(index_dir), load_embedder(model))
    try:  # warm up the query path (model kernels, word segmenter) so the first search is fast
        engine.search("khởi động tìm kiếm", k=1)
    except Exception:
        pass
    return engine


def get_engine() -> SearchEngine | None:
    """The cached engine on the current index version; an explanation instead when there is none."""
    index_dir, model = config.index_dir(), config.model_name()
    try:
        engine = load_engine(str(index_dir), model)
    except IndexProblem as exc:
        show_missing_index(index_dir, model, exc)
        return None
    except Exception as exc:  # model files missing or broken: say how to prepare them
        st.error(t("model_error", error=f"{type(exc).__name__}: {exc}"))
        st.markdown(t("model_cmd"))
        st.code(f"{python_command()} -m indexer prepare-model", language="bash")
        return None
    engine.refresh()
    return engine


def show_missing_index(index_dir: Path, model: str | None, exc: Exception) -> None:
    corpus_dir = config.corpus_dir()
    st.error(t("no_index"))
    st.markdown(t("build_cmd"))
    st.code(build_command(corpus_dir, index_dir), language="bash")
    st.text(str(exc))
    if corpus_dir.is_dir() and st.button(t("build_now"), key="build_now"):
        report = run_build(load_embedder(model))
        if report is not None:
            load_engine.clear()
            st.rerun()


@st.cache_data(max_entries=256, show_spinner=False)
def cached_search(_engine: SearchEngine, index_dir: str, version: str, query: str, fkey: tuple,
                  k: int, group: bool = True):
    return _engine.search(query, k=k, filters=filters_from_key(fkey), group_duplicates=group)


@st.cache_data(max_entries=128, show_spinner=False)
def cached_answer(_engine: SearchEngine, index_dir: str, version: str, question: str, fkey: tuple):
    from indexer.features.answer import answer

    return answer(_engine, question, filters=filters_from_key(fkey))


def search(engine: SearchEngine, query: str, filters: Filters, k: int = 10):
    return cached_search(engine, str(engine.index_dir), engine.version.name, query,
                         filters_key(filters), k)


@st.cache_resource(max_entries=8, show_spinner=False)
def topic_coverage(_engine: SearchEngine, index_dir: str, version: str, adhoc: tuple[str, ...]):
    """(topics, cells) of the topic file plus the ad-hoc topics, on one index version."""
    from indexer.features.topics import adhoc_topic, coverage, load_topics

    topics = load_topics() + [adhoc_topic(text) for text in adhoc]
    try:
        cells = coverage(_engine.version, topics, embedder=_engine.embedder)
    except ValueError:  # vectors of another model: phrases only
        cells = coverage(_engine.version, topics)
    return topics, cells


# -- export list (session state) -------------------------------------------------------

def export_rows() -> list[ExportRow]:
    return [ExportRow.from_dict(d) for d in st.session_state.get("export", [])]


def set_export_rows(rows: list[ExportRow]) -> None:
    st.session_state["export"] = [r.to_dict() for r in rows]


def _on_pick(row: dict, widget_key: str) -> None:
    picked = ExportRow.from_dict(row)
    rows = export_rows()
    if st.session_state.get(widget_key):
        rows = add_rows(rows, [picked])
    else:
        rows = [r for r in rows if r.key != picked.key]
    set_export_rows(rows)


def pick_box(row: ExportRow, widget_key: str, label: str | None = None) -> None:
    """A checkbox that adds the passage to the export list (ticked while it is in the list)."""
    key = f"pick:{widget_key}:{digest(row.key)}"
    st.session_state[key] = row.key in {r.key for r in export_rows()}
    st.checkbox(label or t("pick"), key=key, on_change=_on_pick, args=(row.to_dict(), key))


def _move(row_key: str, offset: int) -> None:
    rows = export_rows()
    index = next((i for i, r in enumerate(rows) if r.key == row_key), -1)
    set_export_rows(move(rows, index, offset))


def _remove(row_key: str) -> None:
    set_export_rows([r for r in export_rows() if r.key != row_key])


def _clear_export() -> None:
    set_export_rows([])


# -- cards -----------------------------------------------------------------------------

def card_html(result, anchor: bool = True) -> str:
    """One result as HTML: rank, breadcrumb, highlighted text, document, citation, "also in"."""
    meta = [x for x in (
        f"{t('number')} {result.number}" if result.number else "",
        f"{t('date')} {format_date(result.date)}" if result.date else "",
        result.issuer or "", result.province or "") if x]
    also = ""
    if result.also_in:
        items = "; ".join(esc(a.citation or a.file) for a in result.also_in)
        also = f'<div class="ps-also">{esc(t("also_in"))}: {items}</div>'
    ident = f' id="card-{result.rank}"' if anchor else ""
    return (f'<div class="ps-card"{ident}>'
            f'<div class="ps-crumb"><span class="ps-rank">[{result.rank}]</span>{esc(result.section)}</div>'
            f'<div class="ps-text">{highlight_html(result.text, result.highlights)}</div>'
            f'<div class="ps-doc">{esc(result.title)}</div>'
            f'<div class="ps-meta">{" · ".join(esc(x) for x in meta)}</div>'
            f'<div class="ps-cite">{esc(result.citation)}</div>{also}</div>')


def context_html(ctx, highlights) -> str:
    """The clause inside its section, with its neighbours (current clause highlighted)."""
    parts = [f'<div class="ps-cite">{esc(ctx.citation)}</div>']
    section = ctx.section

    def block(chunk, current: bool) -> str:
        crumb = "" if chunk.section == section else f'<div class="ps-crumb">{esc(chunk.section)}</div>'
        body = highlight_html(chunk.text, highlights) if current else esc(chunk.text)
        cls = "ps-ctx ps-ctx-current" if current else "ps-ctx"
        return f'<div class="{cls}">{crumb}{body}</div>'

    parts.append(f'<div class="ps-crumb"><b>{esc(section)}</b></div>')
    parts += [block(c, False) for c in ctx.before]
    parts.append(block(ctx.chunk, True))
    parts += [block(c, False) for c in ctx.after]
    return "".join(parts)


def context_expander(engine: SearchEngine, chunk_id: str, highlights, widget_key: str) -> None:
    """ "Xem trong văn bản": loaded only when opened."""
    box = st.expander(t("in_document"), key=f"ctx:{widget_key}:{chunk_id}", on_change="rerun")
    if box.open:
        with box:
            try:
                st.markdown(context_html(engine.context(chunk_id), highlights), unsafe_allow_html=True)
            except KeyError:
                st.caption("—")


def result_card(engine: SearchEngine, result, note: str, widget_key: str, anchor: bool = True) -> None:
    with st.container(border=True):
        st.markdown(card_html(result, anchor), unsafe_allow_html=True)
        row = row_from_result(result, engine.version.documents, note)
        pick_box(row, f"{widget_key}:{result.rank}")
        context_expander(engine, result.chunk_id, result.highlights, f"{widget_key}:{result.rank}")


# -- sidebar -----------------------------------------------------------------------------

def sidebar_filters(engine: SearchEngine) -> tuple[Filters, int]:
    """The filters (province, level, type, year, document) and the number of results."""
    documents = engine.version.documents
    metas = list(documents.values())
    provinces = sorted({p for m in metas for p in (m.province, m.province_current) if p}, key=fold)
    levels = sorted({m.level for m in metas if m.level}, key=fold)
    types = sorted({m.doc_type for m in metas if m.doc_type}, key=fold)
    years = sorted({y for m in metas if (y := document_year(m))})
    with st.sidebar.expander(t("filters"), expanded=True):
        chosen_provinces = st.multiselect(t("f_province"), provinces, key="f_province", placeholder=t("choose"))
        chosen_levels = st.multiselect(t("f_level"), levels, key="f_level", placeholder=t("choose"))
        chosen_types = st.multiselect(t("f_doc_type"), types, key="f_doc_type", placeholder=t("choose"))
        year_from = year_to = None
        if len(years) > 1:
            low, high = st.slider(t("f_years"), years[0], years[-1], (years[0], years[-1]), key="f_years")
            year_from = low if low > years[0] else None
            year_to = high if high < years[-1] else None
        chosen_docs = st.multiselect(t("f_docs"), list(documents),
                                     format_func=lambda d: doc_label(documents[d]) if d in documents else d,
                                     key="f_docs", placeholder=t("choose"))
        k = st.slider(t("k"), 3, 30, 10, key="k")
    filters = Filters(provinces=chosen_provinces or None, levels=chosen_levels or None,
                      doc_types=chosen_types or None, year_from=year_from, year_to=year_to,
                      doc_ids=chosen_docs or None)
    return filters, k


# -- pages -----------------------------------------------------------------------------

def page_search(engine: SearchEngine, filters: Filters, k: int) -> None:
    query = st.text_input(t("query"), key="q", placeholder=t("query_ph"))
    if not query.strip():
        if "q" in st.query_params:
            del st.query_params["q"]
        st.caption(t("search_hint"))
        return
    if st.query_params.get("q") != query:
        st.query_params["q"] = query  # the address bar reproduces the search
    try:
        results = search(engine, query, filters, k)
    except QueryError:
        st.warning(t("query_error"))
        return
    if not results:
        st.info(t("no_results"))
        return
    st.caption(t("n_results", n=len(results)))
    for result in results:
        result_card(engine, result, t("note_search", q=query), "s")


def page_answer(engine: SearchEngine, filters: Filters, k: int) -> None:
    question = st.text_input(t("question"), key="question", placeholder=t("question_ph"))
    if not question.strip():
        st.caption(t("question_hint"))
        return
    try:
        reply = cached_answer(engine, str(engine.index_dir), engine.version.name, question,
                              filters_key(filters))
    except QueryError:
        st.warning(t("query_error"))
        return
    documents = engine.version.documents
    note = t("note_answer", q=question)
    if not reply.answered:
        st.info(t("not_found"))
        if reply.results:
            with st.expander(t("closest")):
                for result in reply.results:
                    result_card(engine, result, note, "nf", anchor=False)
        return
    sentences = "".join(
        f'<p>«{esc(s.text)}» <a class="ps-ref" href="#card-{s.ref}">[{s.ref}]</a>'
        f'<br><span class="ps-cite">— {esc(s.citation)}</span></p>' for s in reply.sentences)
    st.markdown(f'<div class="ps-answer"><div class="ps-doc">{esc(t("answer_title"))}</div>{sentences}</div>',
                unsafe_allow_html=True)
    for i, sentence in enumerate(reply.sentences):
        pick_box(row_from_sentence(sentence, reply, documents, note), f"as:{i}",
                 t("pick_sentence", n=sentence.ref))
    st.subheader(t("sources"))
    for result in reply.results:
        result_card(engine, result, note, "a")


def matrix_rows(engine: SearchEngine, cells, filters: Filters, view: str,
                current_names: bool) -> dict[str, tuple[str, list[str]]]:
    """Rows of the topic table: key → (label, document ids), for the documents the filters allow."""
    documents = engine.version.documents
    allowed = [d for d, m in documents.items() if doc_allowed(m, filters)]
    if view == "document":
        return {d: (doc_label(documents[d]), [d]) for d in allowed}
    from indexer.features.topics import province_rollup

    rollup = province_rollup(engine.version, [c for c in cells if c.doc_id in allowed], current_names)
    rows = {}
    for row in rollup:
        docs = [d for d in row["documents"] if d in allowed]
        if docs:
            rows[row["province"]] = (f'{row["province"]} ({len(docs)})', docs)
    return rows


def topic_label(topic) -> str:
    return topic.label_en if st.session_state.get("lang") == "en" else topic.label_vi


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


def _shade(value, top: int) -> str:
    if not value:
        return "background-color: #f4f5f7; color: #9aa1ab"
    level = math.log1p(value) / math.log1p(max(top, 1))
    alpha = 0.18 + 0.7 * level
    return f"background-color: rgba(46, 125, 50, {alpha:.2f}); color: {'#fff' if alpha > 0.6 else '#102a12'}"


def _add_adhoc() -> None:
    from indexer.features.topics import adhoc_topic

    text = st.session_state.get("adhoc_text", "")
    try:
        topic = adhoc_topic(text)
    except ValueError as exc:
        st.session_state["adhoc_error"] = str(exc)
        return
    st.session_state["adhoc_error"] = ""
    if text.strip() not in st.session_state["adhoc_topics"]:
        st.session_state["adhoc_topics"] = st.session_state["adhoc_topics"] + [text.strip()]
    st.session_state["cell_topic"] = topic.id
    st.session_state["adhoc_text"] = ""


def _clear_adhoc() -> None:
    st.session_state["adhoc_topics"] = []
    st.session_state.pop("cell_topic", None)


def page_topics(engine: SearchEngine, filters: Filters, k: int) -> None:
    import pandas as pd

    st.caption(t("topics_intro"))
    try:
        topics, cells = topic_coverage(engine, str(engine.index_dir), engine.version.name,
                                       tuple(st.session_state["adhoc_topics"]))
    except (ValueError, FileNotFoundError) as exc:
        st.error(t("topics_error", error=exc))
        return
    c1, c2 = st.columns([1, 1])
    view = c1.radio(t("view"), ["document", "province"], horizontal=True, key="topic_view",
                    format_func=lambda v: t("by_document" if v == "document" else "by_province"))
    current = c2.checkbox(t("current_names"), key="current_names", disabled=view != "province")
    rows = matrix_rows(engine, cells, filters, view, current)
    by_cell = {(c.topic, c.doc_id): c for c in cells}
    labels = {tp.id: topic_label(tp) for tp in topics}
    headers = topic_headers(topics)
    counts = [[sum(by_cell[(tp.id, d)].count for d in docs if (tp.id, d) in by_cell) for tp in topics]
              for _, docs in rows.values()]
    frame = pd.DataFrame(counts, index=[label for label, _ in rows.values()],
                         columns=[headers[tp.id] for tp in topics])
    top = int(frame.to_numpy().max()) if frame.size else 1
    config = {headers[tp.id]: st.column_config.NumberColumn(headers[tp.id], help=labels[tp.id], width=110)
              for tp in topics}
    event = st.dataframe(frame.style.map(lambda v: _shade(v, top)), key=f"matrix:{view}",
                         on_select="rerun", selection_mode="single-cell", column_config=config)
    _select_from_table(event, view, list(rows), {v: k for k, v in headers.items()})
    if "cell_topic" not in st.session_state and frame.size and top > 0:
        r, c = divmod(int(frame.to_numpy().argmax()), len(topics))  # start on the busiest cell
        st.session_state["cell_row"], st.session_state["cell_topic"] = list(rows)[r], topics[c].id

    with st.form("adhoc_form", clear_on_submit=False, border=False):
        a1, a2 = st.columns([4, 1], vertical_alignment="bottom")
        a1.text_input(t("adhoc"), key="adhoc_text", placeholder=t("adhoc_ph"))
        a2.form_submit_button(t("adhoc_add"), on_click=_add_adhoc)
    if st.session_state.get("adhoc_error"):
        st.warning(t("adhoc_error", error=st.session_state["adhoc_error"]))
    if st.session_state["adhoc_topics"]:
        st.button(t("adhoc_clear"), key="adhoc_clear", on_click=_clear_adhoc)

    if not rows:
        st.info(t("no_results"))
        return
    if st.session_state.get("cell_topic") not in labels:
        st.session_state.pop("cell_topic", None)
    if st.session_state.get("cell_row") not in rows:
        st.session_state.pop("cell_row", None)
    s1, s2 = st.columns(2)
    topic_id = s1.selectbox(t("cell_topic"), list(labels), format_func=labels.get, key="cell_topic")
    row_key = s2.selectbox(t("cell_row"), list(rows), format_func=lambda r: rows[r][0], key="cell_row")
    show_evidence(engine, topic_id, labels[topic_id], rows[row_key], by_cell)


def _select_from_table(event, view: str, row_keys: list[str], topic_of_label: dict[str, str]) -> None:
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
        st.session_state["cell_row"] = row_keys[position]
        st.session_state["cell_topic"] = topic_of_label[column]


def show_evidence(engine: SearchEngine, topic_id: str, label: str, row: tuple[str, list[str]],
                  by_cell: dict) -> None:
    row_label, doc_ids = row
    documents = engine.version.documents
    evidence = [(d, e) for d in doc_ids if (topic_id, d) in by_cell for e in by_cell[(topic_id, d)].evidence]
    st.subheader(t("evidence"))
    if not evidence:
        st.info(t("no_evidence"))
        return
    st.caption(t("n_evidence", n=len(evidence), topic=label, row=row_label))
    note = t("note_topic", q=label)
    for i, (doc_id, ev) in enumerate(evidence[:MAX_EVIDENCE]):
        if ev.match == "phrase":
            how = t("match_phrase", phrase=ev.phrase or "")
            spans = highlight_spans(ev.text, ev.phrase or "")
        else:
            how = t("match_semantic", score=f"{ev.score:.2f}" if ev.score is not None else "?")
            spans = []
        meta = documents.get(doc_id)
        with st.container(border=True):
            st.markdown(
                f'<div class="ps-card"><div class="ps-crumb">{esc(ev.section)}</div>'
                f'<div class="ps-text">{highlight_html(ev.text, spans)}</div>'
                f'<div class="ps-doc">{esc(meta.title if meta else doc_id)}</div>'
                f'<div class="ps-cite">{esc(ev.citation)}</div>'
                f'<div class="ps-also">{esc(how)}</div></div>', unsafe_allow_html=True)
            pick_box(row_from_evidence(ev, doc_id, documents, note), f"ev:{i}")
            context_expander(engine, ev.chunk_id, spans, f"ev:{i}")
    if len(evidence) > MAX_EVIDENCE:
        st.caption(t("more_evidence", n=len(evidence) - MAX_EVIDENCE))


def page_compare(engine: SearchEngine, filters: Filters, k: int) -> None:
    query = st.text_input(t("compare_query"), key="cmp_q", placeholder=t("compare_ph"))
    by = st.radio(t("compare_by"), ["province", "document"], horizontal=True, key="cmp_by",
                  format_func=lambda v: t("by_province" if v == "province" else "by_document"))
    if not query.strip():
        st.caption(t("compare_hint"))
        return
    documents = engine.version.documents
    allowed = [d for d, m in documents.items() if doc_allowed(m, filters)]
    groups: dict[str, list[str]] = {}
    for doc_id in allowed:
        meta = documents[doc_id]
        name = (meta.province or "?") if by == "province" else doc_label(meta)
        groups.setdefault(name, []).append(doc_id)
    base = {k_: v for k_, v in vars(filters).items() if k_ not in ("provinces", "doc_ids")}
    names = sorted(groups, key=fold)
    note = t("note_compare", q=query)
    per_row = 3 if len(names) > 4 else max(1, len(names))
    for start in range(0, len(names), per_row):
        columns = st.columns(per_row)
        for column, name in zip(columns, names[start:start + per_row]):
            with column:
                st.markdown(f'<div class="ps-group">{esc(name)}</div>', unsafe_allow_html=True)
                try:
                    best = search(engine, query, Filters(**base, doc_ids=groups[name]), 1)
                except QueryError:
                    st.warning(t("query_error"))
                    return
                if not best:
                    st.caption(t("compare_none"))
                    continue
                result_card(engine, best[0], note, f"c:{digest(name)}", anchor=False)


def page_export(engine: SearchEngine, filters: Filters, k: int) -> None:
    rows = export_rows()
    if not rows:
        st.info(t("export_empty"))
        return
    st.caption(t("export_count", n=len(rows)))
    stamp = time.strftime("%Y%m%d-%H%M")
    buttons = st.columns(len(FORMATS))
    for column, fmt in zip(buttons, FORMATS):
        data, mime = export(rows, fmt)
        column.download_button(t("download", fmt=fmt.upper()), data=data, file_name=f"trich-dan-{stamp}.{fmt}",
                               mime=mime, key=f"dl_{fmt}", on_click="ignore", width="stretch")
    for i, row in enumerate(rows):
        with st.container(border=True):
            text_col, buttons_col = st.columns([10, 2])
            text_col.markdown(
                f'<div class="ps-card"><div class="ps-crumb"><span class="ps-rank">{i + 1}.</span>'
                f'{esc(row.section)}</div><div class="ps-text">{esc(row.text)}</div>'
                f'<div class="ps-cite">{esc(row.citation)}</div>'
                f'<div class="ps-also">{esc(row.note)}</div></div>', unsafe_allow_html=True)
            with buttons_col:
                b1, b2, b3 = st.columns(3)
                key = digest(row.key)
                b1.button("↑", key=f"up:{key}", help=t("up"), on_click=_move, args=(row.key, -1),
                          disabled=i == 0)
                b2.button("↓", key=f"down:{key}", help=t("down"), on_click=_move, args=(row.key, 1),
                          disabled=i == len(rows) - 1)
                b3.button("✕", key=f"rm:{key}", help=t("remove"), on_click=_remove, args=(row.key,))
    st.button(t("clear_export"), key="clear_export", on_click=_clear_export)


def page_documents(engine: SearchEngine, filters: Filters, k: int) -> None:
    import pandas as pd

    for kind, text in st.session_state.get("flash", []):
        getattr(st, kind)(text)
    st.session_state["flash"] = []
    version, manifest = engine.version, engine.version.manifest
    corpus_dir = config.corpus_dir()

    st.subheader(t("status"))
    m1, m2, m3 = st.columns(3)
    m1.metric(t("n_docs"), manifest.n_docs)
    m2.metric(t("n_chunks"), manifest.n_chunks)
    m3.metric(t("built_at"), manifest.built_at.replace("T", " ")[:16])
    st.markdown(
        f"**{t('model')}:** `{manifest.model_id}` · **{t('version')}:** `{version.name}` "
        f"({manifest.index_type}) · **{t('index_dir')}:** `{engine.index_dir}` · "
        f"**{t('corpus_dir')}:** `{corpus_dir}`")
    found = corpus_changes(corpus_dir, manifest, hasher=file_hashes())
    changes = {"new": found.added, "changed": found.changed, "removed": found.removed}
    if found:
        text = "; ".join(t(f"ch_{kind}", x=", ".join(files)) for kind, files in changes.items() if files)
        st.warning(t("stale", changes=text))
        if st.button(t("rebuild"), key="rebuild"):
            rebuild_and_rerun(engine)

    st.subheader(t("docs_table"))
    columns = ["province", "doc_type", "number", "date", "issuer", "title", "level", "province_current",
               "n_chunks", "warnings", "file", "doc_id"]
    records = [{t(f"col_{c}"): ("; ".join(m.warnings) if c == "warnings" else getattr(m, c)) for c in columns}
               for m in version.documents.values()]
    widths = {"title": "large", "warnings": "medium", "issuer": "medium", "file": "medium"}
    st.dataframe(pd.DataFrame(records), hide_index=True, key="documents_table",
                 column_config={t(f"col_{c}"): st.column_config.Column(width=w) for c, w in widths.items()})
    if manifest.skipped:
        st.subheader(t("skipped"))
        st.dataframe(pd.DataFrame([{t("col_file"): s.get("file"), t("col_reason"): s.get("reason")}
                                   for s in manifest.skipped]), hide_index=True)

    uploader_key = f"uploader_{st.session_state['uploader_n']}"
    files = st.file_uploader(t("upload", types=", ".join(f".{x}" for x in UPLOAD_TYPES),
                               mb=MAX_UPLOAD_BYTES // 2**20),
                             type=list(UPLOAD_TYPES), accept_multiple_files=True, key=uploader_key,
                             max_upload_size=MAX_UPLOAD_BYTES // 2**20)
    if files and st.button(t("upload_go"), key="upload_go", type="primary"):
        messages, saved = save_uploads([(f.name, f.getvalue()) for f in files], corpus_dir, t=t)
        st.session_state["flash"] = messages
        st.session_state["uploader_n"] += 1
        if saved:
            rebuild_and_rerun(engine)
        st.rerun()


def run_build(embedder):
    """Build or update the index of the corpus folder with a progress bar; the report or None."""
    from indexer.index.build import BuildLocked, NothingToBuild, build_index

    bar = st.progress(0.0, text=t("stage_hash"))

    def progress(stage: str, done: int, total: int) -> None:
        low, high = BUILD_STAGES.get(stage, (0.0, 1.0))
        fraction = low + (high - low) * (done / total if total else 1.0)
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{t('stage_' + stage)} ({done}/{total})")

    try:
        report = build_index(config.corpus_dir(), config.index_dir(), embedder, progress=progress)
    except BuildLocked:
        st.warning(t("build_locked"))
        return None
    except NothingToBuild as exc:
        st.error(str(exc))
        return None
    bar.progress(1.0, text=t("stage_done"))
    return report


def rebuild_and_rerun(engine: SearchEngine) -> None:
    report = run_build(engine.embedder)
    flash = list(st.session_state.get("flash", []))
    if report is not None:
        engine.refresh()
        if report.up_to_date:
            flash.append(("info", t("build_uptodate")))
        else:
            flash.append(("success", t("build_done", n_docs=report.n_docs, n_chunks=report.n_chunks,
                                       seconds=report.seconds)))
        flash += [("warning", t("build_skipped", file=s.file, reason=s.reason)) for s in report.skipped]
    st.session_state["flash"] = flash
    st.session_state["uploader_n"] += 1
    st.rerun()


PAGE_VIEWS = {"search": page_search, "answer": page_answer, "topics": page_topics,
              "compare": page_compare, "export": page_export, "documents": page_documents}
PERSISTENT_KEYS = ("q", "question", "cmp_q", "cmp_by", "topic_view", "current_names", "cell_topic",
                   "cell_row", "adhoc_text")


# -- the page --------------------------------------------------------------------------

def init_state() -> None:
    defaults = {"export": [], "adhoc_topics": [], "adhoc_error": "", "flash": [], "uploader_n": 0,
                "lang": "vi", "page": "search"}
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value
    # Widget values survive a switch to a page that does not show the widget.
    for key in PERSISTENT_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    if not st.session_state.get("_query_params_read"):
        st.session_state["_query_params_read"] = True
        params = st.query_params
        if params.get("lang") in LABELS:
            st.session_state["lang"] = params["lang"]
        if params.get("page") in PAGES:
            st.session_state["page"] = params["page"]
        if params.get("q"):
            target = {"answer": "question", "compare": "cmp_q"}.get(st.session_state["page"], "q")
            if target == "q":
                st.session_state["page"] = "search"
            st.session_state[target] = params["q"]


def main() -> None:
    st.set_page_config(page_title="Tra cứu văn bản chính sách", page_icon="📑", layout="wide")
    init_state()
    st.markdown(CSS, unsafe_allow_html=True)
    st.sidebar.radio(t("language"), list(LABELS), key="lang", horizontal=True,
                     format_func={"vi": "Tiếng Việt", "en": "English"}.get)
    n_export = len(st.session_state["export"])
    page = st.sidebar.radio(t("page"), PAGES, key="page",
                            format_func=lambda p: t(f"page_{p}", n=n_export))
    st.title(t("title"))
    st.caption(t("subtitle"))
    engine = get_engine()
    if engine is None:
        return
    filters, k = sidebar_filters(engine)
    st.header(t(f"page_{page}", n=n_export))
    PAGE_VIEWS[page](engine, filters, k)


if __name__ == "__main__":
    main()
