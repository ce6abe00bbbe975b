"""``search --batch FILE.jsonl``: one query per line, every line accounted for.

A line is a JSON object with ``query`` (or its short alias ``q``) and an optional ``id``, or a
bare JSON string (the query itself). Blank lines are ignored. A line that is not valid JSON,
is an array or a number, or has no usable query does not stop the batch: it yields a
:class:`BatchItem` whose ``error`` names its line number and says what is expected.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import QueryError

__all__ = ["BatchItem", "EXPECTED", "parse_batch_line", "read_batch"]

EXPECTED = 'mỗi dòng một đối tượng JSON {"id": …, "query": "…"} (one {"id": …, "query": "…"} object per line)'


@dataclass
class BatchItem:
    """One non-blank line of a batch file: its query, or why it has none."""

    line: int
    id: object
    query: str | None = None
    error: str | None = None


def parse_batch_line(text: str, line: int) -> BatchItem:
    """The query of one line (its ``id`` defaults to the line number)."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        return BatchItem(line, line, error=f"line {line}: not valid JSON ({exc.msg}); {EXPECTED}")
    if isinstance(value, str):
        value = {"query": value}
    if not isinstance(value, dict):
        kind = {list: "an array", int: "a number", float: "a number", bool: "true/false"}.get(type(value), "null")
        return BatchItem(line, line, error=f"line {line}: {kind}, not an object; {EXPECTED}")
    item_id = value.get("id", line)
    if not isinstance(item_id, (str, int, float)) or isinstance(item_id, bool):
        item_id = line
    query = value.get("query", value.get("q"))
    if not isinstance(query, str):
        found = ", ".join(sorted(map(str, value))) or "no field"
        what = "no \"query\" field" if query is None else "\"query\" is not text"
        return BatchItem(line, item_id, error=f"line {line}: {what} (found: {found}); {EXPECTED}")
    return BatchItem(line, item_id, query=query)


def read_batch(path: str | Path) -> Iterator[BatchItem]:
    """The items of a batch file, in order; QueryError when the file cannot be read as UTF-8 text."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise QueryError(f"batch file not found: {path}", "give the path of a .jsonl file") from None
    except UnicodeDecodeError:
        raise QueryError(f"batch file {path} is not UTF-8 text", "save it as UTF-8") from None
    except OSError as exc:
        raise QueryError(f"cannot read batch file {path}: {exc.strerror or exc}", "check the path") from None
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield parse_batch_line(line, number)
