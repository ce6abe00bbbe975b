"""Answer page: the direct answer line, a comparison table, sentences quoted verbatim (each citing
its source card), optional generated text shown apart, and honest refusals naming what is missing."""
from __future__ import annotations

import streamlit as st

from indexer.features.export import row_from_sentence
from indexer.ui import state
from indexer.ui.cache import cached_answer
from indexer.ui.components import (card_from_result, documents_by_id, esc, md, pick_box, render_cards,
                                   show_error)
from indexer.ui.i18n import t


def ref_html(ref, n_cards: int) -> str:
    """A link to source card ``ref``; nothing when no card carries that number (e.g. the record)."""
    ref = int(ref or 0)
    return f' <a class="ps-ref" href="#card-{ref}">[{ref}]</a>' if 1 <= ref <= n_cards else ""


def answer_html(reply, n_cards: int | None = None) -> str:
    """The direct answer line, then the quoted sentences with their card links and citations."""
    n_cards = len(reply.results) if n_cards is None else n_cards
    direct = f'<p class="ps-direct"><b>{esc(reply.message)}</b></p>' if reply.message else ""
    sentences = "".join(
        f'<p>«{esc(s.text)}»{ref_html(s.ref, n_cards)}'
        f'<br><span class="ps-cite">— {esc(s.citation)}</span></p>' for s in reply.sentences)
    return (f'<div class="ps-answer"><div class="ps-doc">{esc(t("answer_title"))}</div>'
            f'{direct}{sentences}</div>')


def table_html(rows: list[dict], n_cards: int) -> str:
    """The comparison as an escaped HTML table: entity → value → citation (with its card link)."""
    head = "".join(f"<th>{esc(t(k))}</th>" for k in ("table_entity", "table_value", "table_citation"))
    body = "".join(
        f'<tr><td>{esc(r.get("entity"))}</td><td>{esc(r.get("value"))}</td>'
        f'<td>{esc(r.get("citation"))}{ref_html(r.get("ref"), n_cards)}</td></tr>' for r in rows)
    return f'<table class="ps-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def generated_html(text: str) -> str:
    """Model-written text, in its own box and labelled so that it is never taken for a quote."""
    return (f'<div class="ps-generated"><div class="ps-doc">{esc(t("generated_label"))}</div>'
            f'<p>{esc(text)}</p></div>')


def render(lib, filters, k: int) -> None:
    question = st.text_input(t("question"), key="question", placeholder=t("question_ph"))
    state.sync_address("answer", question)  # ?page=answer&q=… reopens this answer
    if not question.strip():
        st.caption(t("question_hint"))
        return
    try:
        with st.spinner(t("answer_wait"), show_time=True):
            reply = cached_answer(lib, question, filters)
    except Exception as exc:
        show_error(exc, "warning")
        return
    documents = documents_by_id(lib)
    note = t("note_answer", q=question)
    cards = [card_from_result(r, documents, note) for r in reply.results]
    for warning in reply.warnings or []:
        st.warning(md(warning))
    if not reply.answered:
        render_refusal(lib, reply, cards)
        return
    st.markdown(answer_html(reply, len(cards)), unsafe_allow_html=True)
    if reply.table:
        st.markdown(table_html(reply.table, len(cards)), unsafe_allow_html=True)
    if reply.generated:
        st.markdown(generated_html(reply.generated), unsafe_allow_html=True)
    for i, sentence in enumerate(reply.sentences):
        pick_box(row_from_sentence(sentence, reply, documents, note), f"as:{i}",
                 t("pick_sentence", n=sentence.ref))
    st.subheader(t("sources"))
    render_cards(lib, cards, "a")


def render_refusal(lib, reply, cards) -> None:
    """Not answered: the message (naming the missing entity), then the nearest passages, apart."""
    st.info(md(reply.message or t("not_found")))
    if cards:
        with st.expander(md(reply.results_label or t("closest"))):
            render_cards(lib, cards, "nf", anchor=False)
