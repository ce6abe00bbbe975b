"""Property-based tests (hypothesis) for cleaning, structure and clauses: arbitrary Unicode
never crashes them, every offset points back into the cleaned text, cleaning is idempotent."""
from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from indexer.parse.chunk import chunk_document
from indexer.parse.clean import clean_text
from indexer.text.normalize import fold, normalize_text
from indexer.parse.structure import ancestors, parse_sections

_VI = ("aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợ"
       "ùúủũụừứửữựỳýỷỹỵ0123456789 \n\t.,;:!?-+•()*#$<>/&_^{}[]\\|\"'%\f\r")
_PIECES = [  # the markers, markup and furniture the pipeline gives a meaning to
    "I. ", "II. ", "IV) ", "1. ", "2) ", "1.2. ", "1.1.1.1.1.1.1. ", "a) ", "đ) ", "- ", "+ ", "• ",
    "Điều 5. ", "Chương II ", "Mục 1 ", "Phần I ", "Nơi nhận:", "KT. CHỦ TỊCH", "TM. UBND ",
    "<b>", "</b>", "<sup>2</sup>", "<sub>2</sub>", "<br>", "<p class='x'>", "<script>x</script>",
    "**", "__", "* ", "# ", "### ", "\\*", "\\", "$x^2$", "$$\\le 5$$", "$\\text{m}^2$", "&amp;",
    "&lt;b&gt;", "&#10;", "&nbsp;", "---", "***", "Trang 3", "- 3 -", "12/40", "\n", "\n\n", "\f",
    "\r\n", "\u00a0", "\u0301", "\u0323", "\u200b", "\u202e", "\ufeff", "\x00", "\x1e", "\u2028",
    "\x85", "ﬁ", "Ⅳ", "hoá", "thuỷ", "İ", "ß", "\U0001F600", "ǅ", "ﹰ", "\ud7ff",
]
TEXT = st.one_of(
    st.text(max_size=400),  # any Unicode, surrogates and controls included
    st.lists(st.one_of(st.text(max_size=12), st.text(alphabet=_VI, max_size=40),
                       st.sampled_from(_PIECES)), max_size=80).map("".join),
)
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_sections(text: str) -> None:
    sections = parse_sections(text)
    for i, s in enumerate(sections):
        assert 0 <= s.start <= s.head_end <= s.end <= len(text), s
        span = text[s.start:s.end]
        assert span.strip() and span == span.strip(), s  # non-empty, no padding
        assert text[s.start:].startswith(s.marker) and s.heading in text[s.start:s.head_end], s
        assert s.parent is None or s.parent < i
        assert s.depth == len(ancestors(sections, i))
        if s.parent is not None:  # a child lies inside its parent
            parent = sections[s.parent]
            assert parent.start <= s.start and s.end <= parent.end
    for chunk in chunk_document("doc", text, sections):
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert text[chunk.start:chunk.end] == chunk.text and chunk.text.strip()


@SETTINGS
@given(TEXT)
def test_cleaning_never_crashes_and_is_idempotent(text):
    warnings: list[str] = []
    cleaned = clean_text(text, warnings)
    assert isinstance(cleaned, str) and all(isinstance(w, str) for w in warnings)
    assert clean_text(cleaned) == cleaned
    assert not any(ch in cleaned for ch in "\r\f\x00\x1e\u200b\ufeff")
    assert unicodedata.is_normalized("NFC", cleaned)
    assert all(line.strip() == line and line for line in cleaned.split("\n")) or cleaned == ""


@SETTINGS
@given(TEXT)
def test_sections_and_clauses_point_into_the_cleaned_text(text):
    check_sections(clean_text(text))


@SETTINGS
@given(TEXT)
def test_structure_of_uncleaned_text_never_crashes(text):
    check_sections(text)


@SETTINGS
@given(TEXT)
@example("OA\u0300\u0300")  # a moved tone beside a stray combining mark (found by hypothesis)
def test_normalisation_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert fold(fold(text)) == fold(text)
