"""Tables printed as cells between '|' lines, and the legal site's material around a document."""
from indexer.parse.boilerplate import flatten_pipe_tables

BREAK = "\x1e"

# A procedure table as a legal site prints it: each cell on its own lines, a "|" line after
# each cell, "|" lines between rows; the last row spans columns (two cells).
EXPLODED = """Quy trình giải quyết như sau:
|
**Thứ tự công việc**
|
**Đơn vị thực hiện**
|
**Thời gian**
|
|
Bước 1
|
Bộ phận một cửa
|
04 giờ
|
|
|
Bước 2
|
Phòng chuyên môn
|
- Thẩm định hồ sơ;
- Dự thảo kết quả.
|
|
|
**Tổng thời gian giải quyết**
|
**20 giờ kể từ ngày nhận
đủ hồ sơ theo quy định**
|"""


def _paragraphs(text: str) -> list[str]:
    return [ln for ln in flatten_pipe_tables(text.split("\n"), BREAK) if ln != BREAK]


def test_a_row_spanning_columns_keeps_its_label():
    rows = _paragraphs(EXPLODED)
    assert "Bước 1 | Bộ phận một cửa | 04 giờ" in rows
    assert "Bước 2 | Phòng chuyên môn | - Thẩm định hồ sơ; - Dự thảo kết quả." in rows
    assert rows[-1] == "**Tổng thời gian giải quyết** | **20 giờ kể từ ngày nhận đủ hồ sơ theo quy định**"
    # two cells that do not follow a row of a table (a header laid out in two columns) stay apart
    header = "UBND TỈNH X\nSỞ Y\n|\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n|\n|\nBước 1\n|\nA\n|\nB\n|"
    rows = _paragraphs(header)
    assert rows[:4] == ["UBND TỈNH X", "SỞ Y", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert rows[4] == "Bước 1 | A | B"
