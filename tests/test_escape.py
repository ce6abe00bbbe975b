"""Escaping of document text and file names for Markdown and HTML (issue 15 item 3).

Checked with a real CommonMark renderer (markdown-it-py): the escaped text renders as exactly
the original characters, with no element other than the paragraph.
"""
from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from indexer.text.escape import md_escape, safe_inline

HOSTILE = [
    "![x](http://evil.example/p.png)",
    "[bấm vào đây](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "<script>alert('x')</script>",
    "**đậm** _nghiêng_ `mã` ~~gạch~~",
    "# Tiêu đề giả",
    "- gạch đầu dòng",
    "1. mục một",
    "> trích dẫn",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "a &amp; b &lt; c",
    "[ref]: http://evil.example",
    "<http://evil.example>",
    "Quyết định số 151/KH-UBND ngày 22/9/2022",
    "xem http://evil.example/a.png và www.evil.example, thư a@b.vn",
    "\\*không đậm\\*",
    "$x^2$ và dòng 1\n=====",
]
RENDER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def _text_of(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


@pytest.mark.parametrize("text", HOSTILE)
def test_md_escape_renders_literally(text):
    rendered = RENDER.render(md_escape(text))
    tags = set(re.findall(r"<(\w+)", rendered))
    assert tags <= {"p", "br"}, rendered
    assert " ".join(_text_of(rendered).split()) == " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_inline_in_html_and_in_markdown(text):
    escaped = safe_inline(text)
    assert "<" not in escaped and ">" not in escaped and "\n" not in escaped
    assert html.unescape(escaped) == " ".join(text.split())
    rendered = RENDER.render(f"<span>{escaped}</span>")  # HTML inside Markdown
    assert set(re.findall(r"<(\w+)", rendered)) <= {"p", "span"}
    assert _text_of(rendered).strip() == " ".join(text.split())


def test_bare_urls_cannot_autolink():
    """GFM autolinks bare http:// and www. addresses: their markers are escaped."""
    escaped = md_escape("http://evil.example www.evil.example a@b.vn")
    assert "http://" not in escaped and "www." not in escaped and "a@b" not in escaped
    assert "://" not in safe_inline("http://evil.example") and "www." not in safe_inline("www.x.vn")


def test_none_and_plain_text():
    assert md_escape(None) == "" and safe_inline(None) == ""
    assert md_escape("Kế hoạch phát triển đô thị") == "Kế hoạch phát triển đô thị"
