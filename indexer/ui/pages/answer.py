"""Answer page: a question answered by sentences quoted verbatim, each citing its source card."""
from __future__ import annotations

import streamlit as st

from indexer.features.export import row_from_sentence
from indexer.ui import state
from indexer.ui.cache import cached_answer
from indexer.ui.components import (card_from_result, documents_by_id, esc, pick_box, render_cards,
                                   show_error)
from indexer.ui.i18n import t


def answer_html(reply) -> str:
    """The quoted sentences, each with a link to its numbered source card and its citation."""
    sentences = "".join(
        f'<p>«{esc(s.text)}» <a class="ps-ref" href="#card-{int(s.ref)}">[{int(s.ref)}]</a>'
        f'<br><span class="ps-cite">— {esc(s.citation)}</span></p>' for s in reply.sentences)
    return f'<div class="ps-answer"><div class="ps-doc">{esc(t("answer_title"))}</div>{sentences}</div>'


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
    if not reply.answered:
        st.info(t("not_found"))
        if cards:
            with st.expander(t("closest")):
                render_cards(lib, cards, "nf", anchor=False)
        return
    st.markdown(answer_html(reply), unsafe_allow_html=True)
    for i, sentence in enumerate(reply.sentences):
        pick_box(row_from_sentence(sentence, reply, documents, note), f"as:{i}",
                 t("pick_sentence", n=sentence.ref))
    st.subheader(t("sources"))
    render_cards(lib, cards, "a")
