"""Text from documents and file names made inert before it is rendered as Markdown or HTML.

A header line ``![x](http://host/p.png)`` or a file named ``[a](javascript:…).txt`` must be
shown as the characters it is, never become an image, a link or markup. The text shown is
unchanged; only how it is written in the markup differs.

- :func:`md_escape` — for Markdown (the page's ``st.markdown``, the Markdown export): a
  backslash before every character Markdown could read as syntax, including the starts of
  bare URLs (``http://``, ``www.``) and of e-mail autolinks, so nothing becomes a live link.
- :func:`safe_inline` — for HTML, including HTML inside Markdown (``unsafe_allow_html``):
  HTML-escaped, with Markdown's active characters written as numeric character references,
  newlines as spaces.
"""
from __future__ import annotations

import html
import re

__all__ = ["md_escape", "safe_inline", "MD_ACTIVE"]

MD_ACTIVE = set("\\`*_{}[]()<>#+!|~&@$")  # always escaped; "$" is math in Streamlit
_URL_SCHEME = re.compile(r"(?<=[A-Za-z0-9]):(?=//)")  # http://, javascript:// …
_WWW = re.compile(r"(?<=\bwww)\.", re.I)
_LINE_START = re.compile(r"^(\s*)([-=>]|\d+(?=[.)]))", re.M)  # list, heading underline, quote
_ENTITY = {ch: f"&#{ord(ch)};" for ch in (MD_ACTIVE | set(":.-=\'\"")) - {"&", "<", ">"}}


def md_escape(text: object) -> str:
    """``text`` written so that Markdown shows it literally (no link, image, markup or HTML)."""
    value = "" if text is None else str(text)
    value = "".join("\\" + ch if ch in MD_ACTIVE else ch for ch in value)
    value = _URL_SCHEME.sub(r"\\:", value)
    value = _WWW.sub(r"\\.", value)
    return _LINE_START.sub(_escape_line_start, value)


def _escape_line_start(match: re.Match) -> str:
    """Escape what would open a list, a heading underline or a quote at a line start."""
    indent, token = match.group(1), match.group(2)
    if token.isdigit():  # "1." → "1\." is not an ordered list
        return indent + token + "\\"
    return indent + "\\" + token


def safe_inline(text: object) -> str:
    """``text`` for an HTML context (also inside Markdown): escaped, on one line, never markup."""
    value = " ".join(("" if text is None else str(text)).split())
    return "".join(_ENTITY.get(ch) or html.escape(ch, quote=True) for ch in value)
