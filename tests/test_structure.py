from indexer.parse.structure import match_marker, parse_sections


def test_markers_of_administrative_documents():
    assert match_marker("II. MỤC TIÊU")[0] == "section"
    assert match_marker("2. Nâng cao chất lượng")[0] == "item"
    assert match_marker("1.2. Mục tiêu cụ thể")[0] == "subitem"
    assert match_marker("đ) Về nhà ở")[0] == "point"
    assert match_marker("- Rà soát quy hoạch")[0] == "bullet"
    assert match_marker("+ Khu vực nội thị")[0] == "plus"
    assert match_marker("Chương II")[0] == "chapter"
    assert match_marker("Điều 5. Phạm vi")[0] == "article"
    assert match_marker("2025. Tầm nhìn") is None
    assert match_marker("Mục đích") is None


def test_hierarchy_and_zones():
    text = "\n".join([
        "KẾ HOẠCH", "Triển khai thực hiện Nghị quyết",
        "I. MỤC ĐÍCH", "1. Mục đích", "- Quán triệt nghị quyết.", "a) Điểm a nội dung.",
        "II. NHIỆM VỤ", "Đoạn văn thuộc mục II.",
        "Nơi nhận:", "- Lưu VT.",
    ])
    sections = parse_sections(text)
    zones = [s.zone for s in sections]
    assert zones[:2] == ["preamble", "preamble"] and zones[-2:] == ["closing", "closing"]
    point = next(s for s in sections if s.kind == "point")
    chain = []
    parent = point.parent
    while parent is not None:
        chain.append(sections[parent].marker)
        parent = sections[parent].parent
    assert chain[::-1] == ["I.", "1."]
    para = next(s for s in sections if s.heading == "Đoạn văn thuộc mục II.")
    assert sections[para.parent].label == "II"


def test_legal_text_hierarchy():
    text = "\n".join(["Chương I", "QUY ĐỊNH CHUNG", "Điều 1. Phạm vi điều chỉnh",
                      "1. Khoản một của điều một.", "a) Điểm a.", "Điều 2. Đối tượng áp dụng"])
    sections = parse_sections(text)
    article2 = next(s for s in sections if s.label == "2" and s.kind == "article")
    assert sections[article2.parent].kind == "chapter"
    point = next(s for s in sections if s.kind == "point")
    assert [sections[i].kind for i in _chain(sections, point)] == ["chapter", "article", "item"]


def _chain(sections, node):
    out = []
    parent = node.parent
    while parent is not None:
        out.append(parent)
        parent = sections[parent].parent
    return out[::-1]
