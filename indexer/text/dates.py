"""Dates as Vietnamese documents and users write them, turned into ISO ``yyyy-mm-dd``.

Accepted: ``22/9/2022``, ``22/09/2022``, ``22-9-2022``, ``22.9.2022`` (day first, as in
Vietnamese), ``ngày 22 tháng 9 năm 2022`` (with or without "ngày", any case, with or
without diacritics), and ISO ``2022-09-22`` / ``2022/09/22``. Anything else, or a day that
does not exist (31/2/2022), is refused with :class:`DateError`.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata

__all__ = ["DateError", "parse_vn_date", "year_of"]

_DAY_FIRST = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_ISO = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})")
_WORDS = re.compile(r"(?:ngay\s+)?(\d{1,2})\s+thang\s+(\d{1,2})\s*,?\s+nam\s+(\d{4})")
_YEAR = re.compile(r"(\d{4})")


class DateError(ValueError):
    """A text that is not a date, or names a day that does not exist."""


def _plain(text: str) -> str:
    """Lower case without diacritics (đ → d), spaces collapsed."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.split())


def parse_vn_date(text: str) -> str:
    """ISO ``yyyy-mm-dd`` of a date written in a Vietnamese form; DateError otherwise."""
    plain = _plain(str(text or ""))
    for pattern, order in ((_ISO, "ymd"), (_DAY_FIRST, "dmy"), (_WORDS, "dmy")):
        match = pattern.fullmatch(plain)
        if match:
            parts = dict(zip(order, (int(x) for x in match.groups())))
            try:
                return _dt.date(parts["y"], parts["m"], parts["d"]).isoformat()
            except ValueError:
                raise DateError(f"{text!r} is not a real day") from None
    raise DateError(f"{text!r} is not a date (write it as 22/9/2022, "
                    f"ngày 22 tháng 9 năm 2022 or 2022-09-22)")


def year_of(value: str | None) -> int | None:
    """Year of a stored date (ISO, or any form above), None when it has none."""
    if not value:
        return None
    try:
        return int(parse_vn_date(value)[:4])
    except DateError:
        match = _YEAR.search(str(value))
        return int(match.group(1)) if match and 1900 <= int(match.group(1)) <= 2200 else None
