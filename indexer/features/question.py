"""Question understanding: what is asked (kind) and what it is about (entity). No model needed.

Kinds: ``fact`` (a field of a document record: signer, number, date, issuer, doc_type, validity),
``value`` (a number with its unit and year: target, rate, amount, distance, deadline),
``actor`` (the body that leads / is assigned a task), ``definition``, ``comparison`` (across
documents or provinces) and ``passage`` (any other question: the best quoted sentences).
Entities: provinces and cities (pre- and post-2025 names, with or without diacritics, English
spellings), districts, documents by number and symbol ("456/QĐ-UBND") or by type and bare number
("kế hoạch 151"), and years. Vietnamese with or without diacritics, and English.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from indexer.text import values
from indexer.text.normalize import fold, normalize_text

# -- kinds ---------------------------------------------------------------------

_FACT_CUES: list[tuple[str, str]] = [
    ("signer", r"\b(ai ky|nguoi ky|ky boi|ky ten|who signed|signed by|signer|signatory)\b"),
    ("number", r"\b(so hieu|so ky hieu|ky hieu van ban|van ban so may|so may|what number|"
               r"document number|reference number)\b"),
    ("validity", r"\b(co hieu luc|hieu luc (thi hanh )?(tu|ke tu)|ngay hieu luc|take effect|"
                 r"takes effect|effective|in force)\b"),
    ("date", r"\b(ban hanh (vao )?(ngay|thoi gian|luc|khi) nao|ngay ban hanh|ky (vao )?ngay nao|"
             r"ky ban hanh (ngay|khi) nao|ban hanh nam nao|when (was|were|did)\b.*\b(issue|sign|adopt)\w*|"
             r"date of (issue|signing)|issued on|issue date|ngay thang nam ban hanh)"),
    ("issuer", r"\b(co quan nao ban hanh|ai ban hanh|do (co quan|ai|don vi) nao ban hanh|"
               r"who issued|which (body|agency|authority|organ) issued|issuing (body|authority|agency))\b"),
    ("doc_type", r"\b(loai van ban|la (loai )?van ban gi|what (type|kind) of document)\b"),
]
_COMPARISON = re.compile(
    r"\b(so sanh|cac tinh|cac dia phuong|giua cac|moi tinh|tung tinh|nhung tinh nao|tinh nao|"
    r"dia phuong nao|cac van ban|van ban nao cung|compare|comparison|each province|which provinces|"
    r"across (the )?(provinces|documents)|by province)\b")
_ACTOR = re.compile(
    r"\b(co quan nao|don vi nao|so nao|bo nao|ai (duoc giao|chiu trach nhiem|chu tri|la dau moi|"
    r"tham muu|quyet dinh|co tham quyen|lap|thuc hien)|ai duoc|chu tri|dau moi|duoc giao|giao cho ai|"
    r"which (body|agency|department|unit|ministry|authority|office)|who (leads|is responsible|"
    r"coordinates|is in charge|decides|is assigned)|in charge of|responsible for)\b")
_DEFINITION = re.compile(r"\b(la gi|nghia la gi|duoc hieu la|khai niem|dinh nghia|what is meant|"
                         r"define|definition of|what does .+ mean)\b")
_VALUE = re.compile(
    r"\b(bao nhieu|bao lau|bao xa|muc|ty le|chi tieu|thoi han|han chot|truoc ngay nao|ngay nao|"
    r"den nam nao|nam nao|khi nao|luc nao|dien tich|kich thuoc|quy mo|how (much|many|long|far|big)|"
    r"what (size|rate|percentage|share|amount|level|target)|deadline|target|rate|when|"
    r"ma so|ma hs|ma hang|hs code|what code|which code|code)\b")

_UNACCENTED_VI = {"cua", "cac", "nao", "bao", "nhieu", "duoc", "la", "va", "ve", "nam", "ngay", "tinh",
                  "thanh", "pho", "ai", "gi", "co", "cho", "o", "tai", "theo", "trong", "so", "muc",
                  "ty", "le", "khi", "nhung", "den", "tu", "voi", "de", "phai", "ban", "hanh", "ky"}
_ENGLISH_WORDS = {"the", "what", "which", "who", "how", "is", "are", "of", "in", "did", "does",
                  "was", "were", "for", "to", "and", "when", "by", "on", "a", "an", "its"}

_QUESTION_WORDS = re.compile(r"\b(nao|gi|ai|bao nhieu|bao lau|what|which|who|when|how|where)\b")


def expected_units(text: str) -> str | None:
    """A regex (over ``values.value_text``) of the values a question expects: "bao lâu" → "168 giờ",
    "trước ngày nào" → "31/12/2025", "bao nhiêu km" → "230 km", "bao nhiêu ngày công" → "0,5 ngày công",
    "mấy lần" → "một lần" (the shared table of indexer.text.values)."""
    return values.expected_pattern(text)


def other_parts(question: Question) -> list[str]:
    """The parts of a composite question that its main answer does not cover
    ("… ban hành ngày nào, căn cứ văn bản nào …" → ["căn cứ văn bản nào …"];
    "… trước bao nhiêu ngày và ai lập hồ sơ?" → the part of the other kind)."""
    parts = [p.strip() for p in re.split(r"[,;?]|\s(?:và|and)\s", question.text) if len(p.strip()) > 8]
    asking = [p for p in parts if _QUESTION_WORDS.search(fold(p))]
    if len(asking) < 2:
        return []
    if question.kind == "fact":
        return [p for p in asking if not any(re.search(cue, fold(p)) for _name, cue in _FACT_CUES)]
    kinds = [classify(fold(p), [], question.entity) for p in asking]
    return [p for p, k in zip(asking, kinds) if k != question.kind]


# -- entities ------------------------------------------------------------------

_DOC_NUMBER = re.compile(
    r"(?<![\w/])(\d{1,6}(?:/\d{4})?[/-](?=[^\s\d]*[A-Za-zĐđ])[A-Za-zĐđ0-9]{1,12}(?:[-/][A-Za-zĐđ0-9]{1,15})*)")
_DOC_TYPES = ["kế hoạch", "quyết định", "nghị quyết", "chỉ thị", "công văn", "thông tư", "nghị định",
              "chương trình hành động", "chương trình", "thông báo", "công điện", "luật", "văn bản hợp nhất"]
_TYPED_NUMBER = re.compile(r"\b(" + "|".join(fold(t) for t in _DOC_TYPES) +
                           r"|plan|decision|resolution|directive|circular|decree|programme|program|"
                           r"notice|dispatch)\s+(?:so\s+|no\.?\s*|number\s+)?(\d{1,6})\b(?![/-]\w)")
_ENGLISH_TYPES = {"plan": "kế hoạch", "decision": "quyết định", "resolution": "nghị quyết",
                  "directive": "chỉ thị", "circular": "thông tư", "decree": "nghị định",
                  "programme": "chương trình", "program": "chương trình", "notice": "thông báo",
                  "dispatch": "công văn"}
_YEAR = re.compile(r"(?<![\d/.,])((?:19|20)\d{2})(?![\d/.,]\d)")
_ALIASES = {"hcm": "Hồ Chí Minh", "tp hcm": "Hồ Chí Minh", "tphcm": "Hồ Chí Minh",
            "sai gon": "Hồ Chí Minh", "saigon": "Hồ Chí Minh", "ho chi minh city": "Hồ Chí Minh",
            "hanoi": "Hà Nội", "danang": "Đà Nẵng", "haiphong": "Hải Phòng", "hue": "Huế",
            "thua thien hue": "Huế", "cantho": "Cần Thơ"}


@dataclass
class Entity:
    """What a question is about."""

    provinces: list[str] = field(default_factory=list)  # canonical short names ("Quảng Nam")
    districts: list[str] = field(default_factory=list)  # as written in documents ("Thủy Nguyên")
    doc_numbers: list[str] = field(default_factory=list)  # as written in the question ("456/QĐ-UBND")
    doc_refs: list[tuple[str, str]] = field(default_factory=list)  # ("kế hoạch", "151")
    years: list[int] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.provinces or self.districts or self.doc_numbers or self.doc_refs)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["doc_refs"] = [list(r) for r in self.doc_refs]
        return data


@dataclass
class Question:
    text: str
    language: str  # vi | en
    kind: str  # fact | value | actor | definition | comparison | passage
    facts: list[str]  # for kind "fact": signer, number, date, issuer, doc_type, validity
    entity: Entity

    def to_dict(self) -> dict:
        return {"kind": self.kind, "facts": self.facts, "language": self.language,
                "entity": self.entity.to_dict()}


def understand(text: str) -> Question:
    """What a question asks and what it is about."""
    text = normalize_text(text or "").strip()
    folded = fold(text)
    language = detect_language(text)
    entity = find_entities(text)
    facts = [name for name, cue in _FACT_CUES if re.search(cue, folded)]
    return Question(text, language, classify(folded, facts, entity), facts, entity)


def detect_language(text: str) -> str:
    """'en' for an English question, else 'vi' (with or without diacritics)."""
    words = re.findall(r"[a-z]+", text.lower())
    if not words or any(ord(ch) > 127 for ch in text if ch.isalpha()):
        return "vi"
    english = sum(w in _ENGLISH_WORDS for w in words)
    vietnamese = sum(w in _UNACCENTED_VI for w in words)
    return "en" if english >= 1 and english > vietnamese else "vi"


def classify(folded: str, facts: list[str], entity: Entity) -> str:
    """The kind of answer wanted."""
    if "validity" in facts:
        return "fact"
    if facts and (facts != ["date"] or _about_a_document(folded, entity)):
        return "fact"
    if _COMPARISON.search(folded) and len(entity.provinces) != 1 and not entity.doc_numbers:
        return "comparison"
    if _ACTOR.search(folded):
        return "actor"
    if _DEFINITION.search(folded):
        return "definition"
    if _VALUE.search(folded):
        return "value"
    return "passage"


def _about_a_document(folded: str, entity: Entity) -> bool:
    types = "|".join(fold(t) for t in _DOC_TYPES)
    return bool(entity.doc_numbers or entity.doc_refs or
                re.search(rf"\b({types}|van ban|document|resolution|decision|plan|circular)\b", folded))


def find_entities(text: str) -> Entity:
    numbers = list(dict.fromkeys(m.group(1).rstrip(".-/") for m in _DOC_NUMBER.finditer(text)))
    folded = fold(text)
    refs = []
    for m in _TYPED_NUMBER.finditer(folded):
        kind = _ENGLISH_TYPES.get(m.group(1), m.group(1))
        if not any(number_key(n).startswith(m.group(2) + "/") or number_key(n).startswith(m.group(2) + "-")
                   for n in numbers):
            refs.append((kind, m.group(2)))
    years = sorted({int(y) for y in _YEAR.findall(text)})
    return Entity(provinces=find_provinces(text), districts=find_districts(text), doc_numbers=numbers,
                  doc_refs=list(dict.fromkeys(refs)), years=years)


def number_key(number: str) -> str:
    """A document number compared without case, diacritics, spaces or leading zeros."""
    key = re.sub(r"\s+", "", fold(number))
    return re.sub(r"^0+(?=\d)", "", key)


# -- provinces -----------------------------------------------------------------

@lru_cache(maxsize=1)
def province_table() -> dict[str, str]:
    """Folded spelling → canonical short name, for old (63) and post-2025 (34) provinces."""
    from vietnamadminunits.parser import parser_from_2025, parser_legacy

    table: dict[str, str] = {}
    for source in (parser_legacy.DICT_PROVINCE, parser_from_2025.DICT_PROVINCE):
        for info in source.values():
            short = normalize_text(info["provinceShort"])
            table[fold(short)] = short
            table[fold(short).replace(" ", "")] = short
    for alias, name in _ALIASES.items():
        table[alias] = name
    table["thua thien hue"] = "Huế"
    return table


@lru_cache(maxsize=1)
def current_names() -> frozenset[str]:
    """Short names of the 34 provinces after the 2025 merger."""
    from vietnamadminunits.parser import parser_from_2025

    return frozenset(normalize_text(i["provinceShort"]) for i in parser_from_2025.DICT_PROVINCE.values())


def find_provinces(text: str) -> list[str]:
    """Provinces and centrally-run cities named in a question (canonical short names)."""
    table = province_table()
    cased = text != text.lower() and any(ord(ch) > 127 for ch in text)
    folded = " " + re.sub(r"[^0-9a-z]+", " ", fold(text)) + " "
    found: list[tuple[int, int, str]] = []
    for spelling in sorted(table, key=len, reverse=True):
        for m in re.finditer(rf"(?<= ){re.escape(spelling)}(?= )", folded):
            if any(s <= m.start() < e for s, e, _ in found):
                continue
            name = table[spelling]
            if cased and len(spelling) > 4 and not _written_capitalised(text, name):
                continue  # "hòa bình" (peace) in a question with capitals is not Hòa Bình
            if _in_organisation_name(text, name):
                continue  # "Trường Đại học Luật Hà Nội" names a school, not the city's documents
            found.append((m.start(), m.end(), name))
    found.sort()
    return list(dict.fromkeys(name for _s, _e, name in found))


_ORGANISATIONS = ("trường", "đại học", "học viện", "bệnh viện", "công ty", "tổng công ty", "ngân hàng",
                  "cảng", "sân bay", "nhà máy", "viện", "bảo tàng", "nhà hát", "university", "hospital",
                  "company", "bank", "port", "airport")


def _in_organisation_name(text: str, name: str) -> bool:
    """Whether every mention of a place is the tail of a capitalised organisation name."""
    mentions = list(re.finditer(re.escape(name), text, re.I))
    if not mentions:
        return False
    for m in mentions:
        words = text[:m.start()].split()
        run = []
        while words and len(run) < 7 and (words[-1][:1].isupper() or words[-1] in ("học", "viện", "ty", "hàng")):
            run.insert(0, words.pop())
        while run and not " ".join(run).lower().startswith(_ORGANISATIONS):
            run.pop(0)  # "… chức Trường Đại học Luật" → "Trường Đại học Luật"
        if not run or not " ".join(run).lower().startswith(_ORGANISATIONS):
            return False
    return True


def _written_capitalised(text: str, name: str) -> bool:
    """Whether the name appears capitalised (Hòa Bình, HÒA BÌNH, Hoa Binh) in the text."""
    words = name.split()
    pattern = r"\s+".join(re.escape(w[0]) + r"\S*" for w in words)
    for m in re.finditer(pattern, text):
        if fold(re.sub(r"\s+", " ", m.group(0))) == fold(name):
            return True
    return fold(name).replace(" ", "") in fold(text).replace(" ", "") and \
        any(w[0].isupper() for w in re.findall(r"\w+", text) if fold(w) in fold(name).split())


def find_districts(text: str) -> list[str]:
    """District-level names written with diacritics and capitals ("Thủy Nguyên")."""
    from indexer.text.gazetteer import places

    provinces = {fold(p) for p in province_table().values()}
    found = []
    for place in places():
        if place.is_province or fold(place.name) in provinces or " " not in place.name:
            continue
        if place.name in text and re.search(r"(?<!\w)" + re.escape(place.name) + r"(?!\w)", text):
            found.append(place.name)
    return list(dict.fromkeys(found))
