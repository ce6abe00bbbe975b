"""Labels of the page in Vietnamese (default) and English, read from ``labels/<lang>.toml``."""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

import streamlit as st

LABEL_DIR = Path(__file__).with_name("labels")
LANGS = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANG = "vi"
_VIETNAMESE = re.compile(r"[àáâãèéêìíòóôõùúýăđĩũơưạ-ỹÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝĂĐĨŨƠƯẠ-Ỹ]")


@lru_cache(maxsize=None)
def labels(lang: str) -> dict[str, str]:
    """The label table of one language."""
    with (LABEL_DIR / f"{lang}.toml").open("rb") as handle:
        return tomllib.load(handle)


def lang() -> str:
    """The chosen language of this session."""
    value = st.session_state.get("lang", DEFAULT_LANG)
    return value if value in LANGS else DEFAULT_LANG


def t(key: str, **values) -> str:
    """The label ``key`` in the chosen language, filled with ``values``."""
    text = labels(lang()).get(key) or labels(DEFAULT_LANG).get(key) or key
    return text.format(**values) if values else text


def missing(value) -> str:
    """A metadata value for display: "chưa ghi" when it is missing."""
    return t("missing") if value is None or str(value).strip() == "" else str(value)


def error_text(exc: Exception) -> str:
    """One line for an error from the package, in the page's language.

    The translated label of the error's ``code`` comes first; the package's own message (and
    hint) follows only when it is in the page's language, so the Vietnamese page never shows
    an English sentence.
    """
    code = getattr(exc, "code", "error")
    label = t(f"err_{code}") if f"err_{code}" in labels(lang()) else t("err_error")
    detail = str(exc).strip()
    if not detail or detail == label:
        return label
    in_vietnamese = bool(_VIETNAMESE.search(detail))
    if (lang() == "vi") == in_vietnamese:
        return f"{label} {detail}"
    return label
