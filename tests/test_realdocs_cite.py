"""Citations in the legal convention on real documents (shared/realdocs) and the seeds' format."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.parse.cite import cite, unit_reference
from indexer.parse.pipeline import parse_file
from indexer.settings import shared_dir

DOCS = Path(shared_dir()) / "realdocs" / "docs"
pytestmark = pytest.mark.skipif(not DOCS.is_dir(), reason="shared/realdocs not available")


@pytest.fixture(scope="module")
def parsed_real():
    names = ["350a122d2613c4d6.md", "af2a4fc9b3a7aeeb.md", "448306af3d3a91f7.md", "55f3a3d0d7e08b45.md",
             "e13e31ece6a27b0d.md", "04e0c7e10cd38cdd.md"]
    return {name: parse_file(DOCS / name, f"d{i}") for i, name in enumerate(names)}


def citation_of(parsed, quote: str) -> str:
    chunk = next(c for c in parsed.chunks if quote in c.text)
    return cite(parsed.meta, chunk)


def test_point_of_a_clause_of_an_article(parsed_real):
    doc = parsed_real["350a122d2613c4d6.md"]
    chunk = next(c for c in doc.chunks if c.section_labels == ["Điều 1", "khoản 2", "điểm a"])
    assert cite(doc.meta, chunk) == ("điểm a khoản 2 Điều 1 Nghị quyết số 63/2025/NQ-HĐND ngày 27/11/2025 "
                                     "của HĐND thành phố Hà Nội")
    assert "Điều 1. Phạm vi điều chỉnh và đối tượng áp dụng › 2." in chunk.section  # breadcrumb


def test_article_of_an_attached_regulation(parsed_real):
    doc = parsed_real["af2a4fc9b3a7aeeb.md"]
    chunk = next(c for c in doc.chunks if c.section_labels == ["Quy chế ban hành kèm theo", "Chương II",
                                                                "Điều 4", "khoản 1"])
    assert cite(doc.meta, chunk) == ("khoản 1 Điều 4 Quy chế ban hành kèm theo Quyết định số 71/2025/QĐ-UBND "
                                     "ngày 26/11/2025 của UBND thành phố Hà Nội")
    main = next(c for c in doc.chunks if c.section_labels == ["Điều 2"])
    assert cite(doc.meta, main).startswith("Điều 2 Quyết định số 71/2025/QĐ-UBND")


def test_section_of_an_attached_plan_and_an_appendix(parsed_real):
    plan = parsed_real["448306af3d3a91f7.md"]
    labels = [c.section_labels for c in plan.chunks]
    assert ["Kế hoạch kèm theo", "I", "1", "a"] in labels
    chunk = next(c for c in plan.chunks if c.section_labels == ["Kế hoạch kèm theo", "I", "1", "a"])
    assert cite(plan.meta, chunk).startswith("mục I.1.a Kế hoạch kèm theo Quyết định số 4385/QĐ-BVHTTDL")
    annex = parsed_real["55f3a3d0d7e08b45.md"]
    assert any(c.section_labels[:1] == ["Phụ lục I kèm theo"] for c in annex.chunks)


def test_chapters_and_articles_of_a_circular(parsed_real):
    doc = parsed_real["e13e31ece6a27b0d.md"]
    chunk = next(c for c in doc.chunks if c.section_labels[-3:] == ["Điều 4", "khoản 2", "điểm a"])
    assert chunk.section_labels[0] == "Chương I"
    assert cite(doc.meta, chunk).startswith("điểm a khoản 2 Điều 4 Thông tư số 56/2025/TT-BCT ngày 28/11/2025 "
                                            "của Bộ Công Thương")


def test_roman_list_inside_an_article_stays_in_the_article(parsed_real):
    doc = parsed_real["04e0c7e10cd38cdd.md"]
    assert cite(doc.meta, next(c for c in doc.chunks if "Lạng Sơn" in c.text)).startswith(
        "khoản 1 mục II Điều 1 Nghị quyết số 389/NQ-CP ngày 2/12/2025 của Chính phủ")


def test_unit_reference_forms():
    assert unit_reference(["II", "2", "b"]) == "mục II.2.b"
    assert unit_reference(["Chương II", "Điều 5", "khoản 2", "điểm a"]) == "điểm a khoản 2 Điều 5"
    assert unit_reference(["Phần I", "Chương II"]) == "Chương II Phần I"
    assert unit_reference([]) == ""


def test_seed_citations_keep_the_administrative_form(parsed):
    from conftest import QN_PLAN

    doc = parsed[QN_PLAN]
    chunk = next(c for c in doc.chunks if c.section_labels[:2] == ["II", "2"])
    assert cite(doc.meta, chunk).startswith("Kế hoạch số 151/KH-UBND ngày 22/9/2022 của UBND tỉnh Quảng Ngãi, mục II.2")
