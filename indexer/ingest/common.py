"""What the format readers share: the rejection they raise and size formatting."""
from __future__ import annotations


class Reject(Exception):
    """Raised by the format readers; turned into an `IngestError` with the path."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def fmt_size(n: float, *, limit: bool = False) -> str:
    """A byte count for people: '12.3 MB', '50 MB' (``limit``: no '.0'), '800 bytes'."""
    for unit, scale in (("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            s = f"{n / scale:.1f}"
            if limit and s.endswith(".0"):
                s = s[:-2]
            return f"{s} {unit}"
    return f"{int(n)} bytes"
