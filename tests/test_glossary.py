"""The English → Vietnamese glossary (data) and query expansion."""
from __future__ import annotations

from indexer.search.query import expand_query
from indexer.text.glossary import GLOSSARY_FILE, load_glossary, match_key


def test_glossary_file_is_valid_and_keys_are_safe():
    entries = load_glossary()
    assert len(entries) >= 100
    acronyms = {"tod", "gis", "lng"}
    for entry in entries:
        assert entry.english and entry.vietnamese
        for en in entry.english:
            key = match_key(en)
            # short keys would match Vietnamese typed without diacritics ("an", "con", "ban")
            assert len(key) >= 4 or key in acronyms, en


def test_plurals_and_case_match():
    assert match_key("Smart Cities") == match_key("smart city")
    assert match_key("Border Gates") == "border gate"
    assert match_key("class") == "class"  # not a plural


def test_english_terms_get_their_vietnamese_wording():
    expanded = expand_query("Who signed the resolution on smart cities?")
    assert "người ký" in expanded and "nghị quyết" in expanded and "đô thị thông minh" in expanded
    assert expand_query("khong gian ngam") == "khong gian ngam"  # Vietnamese without diacritics: untouched
    assert expand_query("không gian ngầm") == "không gian ngầm"


def test_a_broken_glossary_file_gives_an_empty_glossary(tmp_path):
    bad = tmp_path / "glossary.yaml"
    bad.write_text("terms: [unclosed", encoding="utf-8")
    assert load_glossary(bad) == []
    assert GLOSSARY_FILE.exists()


def test_everyday_wordings_bring_the_documents_wording():
    from indexer.search.query import expand_query
    from indexer.text.glossary import load_everyday

    assert "mang thai" in expand_query("công chức đang có bầu có bị kỷ luật không")
    assert "mang thai" in expand_query("cong chuc dang co bau")  # typed without diacritics
    assert "giấy chứng nhận quyền sử dụng đất" in expand_query("làm sổ đỏ ở đâu")
    assert expand_query("di dời nhà máy gây ô nhiễm") == "di dời nhà máy gây ô nhiễm"
    entries = load_everyday()
    assert len(entries) >= 40
    assert all(len(said.split()) >= 2 for e in entries for said in e.english)  # no one-syllable key


def test_issued_by_names_the_issuer_not_the_date():
    assert "ngày ban hành" not in expand_query("Which card was issued by the Ministry of Finance?")
    assert "ngày ban hành" in expand_query("What is the date of issue of the decision?")
