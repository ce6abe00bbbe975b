"""Vietnamese date forms in corrections (issue 15 item 1): accepted, or refused with line and column."""
from __future__ import annotations

import pytest

from indexer.errors import CorrectionsError, PolicySearchError
from indexer.parse.metadata import read_corrections
from indexer.records import DocumentMeta
from indexer.search.engine import document_year
from indexer.text.dates import DateError, parse_vn_date, year_of


@pytest.mark.parametrize("text", ["22/9/2022", "22/09/2022", "22-9-2022", "22.09.2022", " 22 / 9 / 2022 ",
                                  "ngày 22 tháng 9 năm 2022", "Ngày 22 tháng 09 năm 2022",
                                  "22 tháng 9 năm 2022", "ngay 22 thang 9 nam 2022", "2022-09-22",
                                  "2022/9/22"])
def test_vietnamese_date_forms(text):
    assert parse_vn_date(text) == "2022-09-22"


@pytest.mark.parametrize("text", ["31/2/2022", "22/13/2022", "0/9/2022", "hôm qua", "9/2022", "2022",
                                  "22/9/22", "2022-02-30", ""])
def test_invalid_dates_are_refused(text):
    with pytest.raises(DateError):
        parse_vn_date(text)


def test_year_of_never_raises():
    assert year_of("22/9/2022") == 2022 and year_of("2022-09-22") == 2022
    assert year_of("không rõ") is None and year_of(None) is None


def test_document_year_of_a_day_first_date():  # noqa: D103
    """An index built before the fix may hold '22/9/2022': the year filter must not crash."""
    meta = DocumentMeta(doc_id="d", file="d.txt", sha256="", title="t", date="22/9/2022")
    assert document_year(meta) == 2022


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_corrections_accept_vietnamese_dates(tmp_path):
    path = _write(tmp_path / "metadata.csv", "file,date\na.txt,22/9/2022\nb.txt,ngày 5 tháng 1 năm 2023\n"
                                              "c.txt,\n")
    rows = read_corrections(path)
    assert rows["a.txt"]["date"] == "2022-09-22"
    assert rows["b.txt"]["date"] == "2023-01-05"
    assert rows["c.txt"]["date"] == ""


def test_invalid_correction_names_line_and_column(tmp_path):
    path = _write(tmp_path / "metadata.csv", "file,date\na.txt,22/9/2022\nb.txt,31/2/2022\n")
    with pytest.raises(CorrectionsError) as info:
        read_corrections(path)
    assert isinstance(info.value, PolicySearchError)
    assert "dòng 3" in info.value.message and "cột date" in info.value.message
    assert "31/2/2022" in info.value.message and info.value.hint


def test_corrected_day_first_date_gives_the_year_filter_a_year(tmp_path):
    from indexer.parse.metadata import apply_corrections

    path = _write(tmp_path / "metadata.csv", "file,date\nd.txt,22/9/2022\n")
    meta = DocumentMeta(doc_id="d", file="d.txt", sha256="", title="t", date="2021-01-01")
    fixed = apply_corrections(meta, read_corrections(path))
    assert fixed.date == "2022-09-22" and document_year(fixed) == 2022
