"""The English → Vietnamese term glossary (data in glossary.yaml), shared by search and topics."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indexer.text.normalize import fold

GLOSSARY_FILE = Path(__file__).with_name("glossary.yaml")


@dataclass(frozen=True)
class GlossaryEntry:
    english: tuple[str, ...]  # wordings as written in the file
    vietnamese: tuple[str, ...]


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def match_key(text: str) -> str:
    """Folded words in the singular: the form English wordings are matched in."""
    return " ".join(_singular(w) for w in re.findall(r"[^\W_]+", fold(text)))


def load_glossary(path: Path | None = None) -> list[GlossaryEntry]:
    """Entries of the glossary file; a missing or malformed file gives an empty glossary."""
    return _entries(path, "terms", "en")


def load_everyday(path: Path | None = None) -> list[GlossaryEntry]:
    """Everyday Vietnamese wordings (``say``, two syllables or more) with the wording documents use."""
    entries = _entries(path, "everyday", "say")
    entries = [GlossaryEntry(tuple(w for w in e.english if len(w.split()) >= 2), e.vietnamese) for e in entries]
    return [e for e in entries if e.english]


def _entries(path: Path | None, section: str, key: str) -> list[GlossaryEntry]:
    """(``key`` wordings, ``vi`` wordings) entries of one section of the glossary file."""
    import yaml

    try:
        data = yaml.safe_load(Path(path or GLOSSARY_FILE).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    entries = []
    for item in data.get(section) or []:
        if not isinstance(item, dict):
            continue
        wordings = tuple(str(x) for x in item.get(key) or [] if str(x).strip())
        vietnamese = tuple(str(x) for x in item.get("vi") or [] if str(x).strip())
        if wordings and vietnamese:
            entries.append(GlossaryEntry(wordings, vietnamese))
    return entries


@lru_cache(maxsize=4)
def everyday_pairs(path: Path | None = None) -> tuple[tuple[str, str], ...]:
    """(folded everyday wording, document wordings joined by "; ") pairs."""
    return tuple((" ".join(re.findall(r"[^\W_]+", fold(said))), "; ".join(entry.vietnamese))
                 for entry in load_everyday(path) for said in entry.english)


@lru_cache(maxsize=4)
def english_pairs(path: Path | None = None) -> tuple[tuple[str, str], ...]:
    """(match key of an English wording, its Vietnamese wordings joined by "; ") pairs."""
    return tuple((match_key(en), "; ".join(entry.vietnamese))
                 for entry in load_glossary(path) for en in entry.english if match_key(en))
