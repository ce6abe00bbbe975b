"""Document-aware retrieval: which documents a query names or describes, and what it asks of them.

* References: a number and symbol ("456/QĐ-UBND", "71/2025/NQ-HĐND", "06/CT-UBND"), or a type and
  number ("Quyết định 456", "Thông tư số 56"), written with or without diacritics. A document whose
  own number matches is named by the query.
* Cards: each document's identity (type, number, date, issuer, province, signer, title) is a short
  searchable text; BM25 over the cards says which documents a query describes ("Chỉ thị của UBND
  TP Cần Thơ về nước dưới đất").
* Facets: a question about the signer, the number or the date of a document is answered by its
  header or signature block; the clauses that print those facts are brought forward.

Documents are few (they are in memory on every backend), so cards are built at query time from
the version's document metadata and cached per version.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from indexer.parse import organs
from indexer.records import Chunk, DocumentMeta
from indexer.text import gazetteer, values
from indexer.text.normalize import fold
from indexer.text.segment import bm25_tokens, segment_text
from indexer.text.stopwords import FOLDED as FOLDED_STOPWORDS, STOPWORDS

# number/symbol as printed: 456/QĐ-UBND, 71/2025/NQ-HĐND, 10989/BNV-TCBC, 136/2024/QH15, 231/CĐ-TTg
_NUMBER = re.compile(r"(?<![\w/])(\d{1,6})\s*/\s*((?:\d{4}\s*/\s*)?[^\W\d_][\w]*(?:\s*[-–]\s*[\w]+)*)",
                     re.UNICODE)
# Party documents: 06-NQ/TW, 42-CTr/HU
_PARTY_NUMBER = re.compile(r"(?<![\w/-])\d{1,4}\s*-\s*[^\W\d_]{1,6}\s*/\s*[^\W\d_]{1,10}\b", re.UNICODE)
_TYPES = ("quyet dinh", "nghi quyet", "nghi dinh", "thong tu", "chi thi", "cong van", "cong dien",
          "ke hoach", "thong bao", "chuong trinh", "bao cao", "to trinh", "huong dan", "quy dinh",
          "luat", "van ban hop nhat", "decision", "resolution", "decree", "circular", "directive",
          "plan", "official letter", "dispatch")
_TYPE_NUMBER = re.compile(r"\b(" + "|".join(sorted(_TYPES, key=len, reverse=True)) +
                          r")\s+(?:so\s+|no\.?\s+|number\s+)?(\d{1,6})\b")
_FACETS = {
    "signer": re.compile(r"\b(ai ky|nguoi ky|ky ban hanh|do ai|who signed|signed by|signer|signatory)\b"),
    "number": re.compile(r"\b(so hieu|so ky hieu|so may|so bao nhieu|ky hieu|document number|"
                         r"reference number|which number)\b"),
    "date": re.compile(r"\b(ban hanh ngay|ban hanh vao ngay|ban hanh khi nao|ban hanh luc nao|ngay ban hanh|"
                       r"ky ngay|ky ban hanh ngay|ky vao ngay|when was it issued|when was it signed|"
                       r"date of issue|issued on|issue date)\b"),
    # the body leading a task (Nghị định 30/2020: "Sở X chủ trì, phối hợp với …")
    "lead": re.compile(r"\b((co quan|don vi|so|bo|nganh|ai|to chuc) nao[\w ]{0,30}(chu tri|dau moi|tham muu)|"
                       r"(chu tri|dau moi)[\w ]{0,20}(la ai|la co quan nao|la don vi nao)|"
                       r"(which|what) (agency|body|department|ministry|authority|unit)[\w ]{0,30}"
                       r"(lead|leads|in charge|responsible)|who (leads|is in charge)|lead agency)\b"),
    "effect": re.compile(r"\b(hieu luc|thi hanh tu|ap dung tu|take effect|takes effect|effective|"
                         r"in force)\b"),
}


# A value a question asks for (how long, by when, how many <unit>) and how a clause prints it:
# indexer.text.values; a list of provinces is asked here (the gazetteer knows them).
_WHICH_PROVINCES = re.compile(r"\b((nhung|cac) )?(tinh|tinh thanh|tinh thanh pho|thanh pho|dia phuong)( thanh)? nao\b|"
                              r"\b(which|what) (provinces|cities|localities)\b")
PROVINCE_LIST = "@provinces"  # asked_value: a list of provinces


def asked_value(query: str) -> str | None:
    """A pattern (on folded text) of the value a question asks for, or None."""
    if _WHICH_PROVINCES.search(" ".join(re.findall(r"[\w%]+", fold(query)))):
        return PROVINCE_LIST
    return values.search_pattern(query)


def value_chunks(chunks: list[Chunk], pattern: str) -> list[str]:
    """Ids of clauses that print a value of the asked kind (a date citing another document is no deadline)."""
    if pattern == PROVINCE_LIST:
        return [c.chunk_id for c in chunks if _lists_provinces(c.text)]
    compiled = re.compile(pattern)
    return [c.chunk_id for c in chunks if compiled.search(values.value_text(c.text))]


@lru_cache(maxsize=65536)
def _lists_provinces(text: str, at_least: int = 3) -> bool:
    """Whether a clause names several provinces or centrally-run cities (a list of them)."""
    return len(set(_province_pattern().findall(text))) >= at_least


@lru_cache(maxsize=1)
def _province_pattern() -> re.Pattern[str]:
    names = set(gazetteer.province_names()) | set(gazetteer.CENTRAL_CITIES)
    names |= {n.split(" ", 2)[-1] for n in names if n.startswith("Thừa Thiên")}  # "Huế"
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in ordered) + r")(?![\w])")


_ACROSS = re.compile(r"\b((cac|nhung|moi|tung) (tinh|dia phuong|thanh pho|tinh thanh|xa|phuong|van ban|"
                     r"ke hoach|chuong trinh|nghi quyet|quyet dinh)|(which|all|each) (provinces|cities|localities|"
                     r"documents|plans))\b")
_PAIR = re.compile(r"\b(giua .+ va |so sanh .+ (va|voi) |ca hai|hai (van ban|nghi quyet|quyet dinh|chi thi|ke hoach|thong tu|nghi dinh|"
                   r"cong van)|both|versus|between .+ and |compare .+ (and|with) )")


def compares_pair(query: str) -> bool:
    """A comparison of two named things ("giữa A và B", "hai nghị quyết", "both")."""
    return _PAIR.search(" ".join(re.findall(r"\w+", fold(query))) + " ") is not None


_SPELLED = {"một": "1", "hai": "2", "ba": "3", "bốn": "4", "năm": "5", "sáu": "6", "bảy": "7", "tám": "8",
            "chín": "9", "mười": "10"}


@lru_cache(maxsize=65536)
def phrase_key(text: str) -> str:
    """Words folded for phrase matching, counts as digits without leading zeros ("hai cấp" = "02 cấp")."""
    raw = re.findall(r"[^\W_]+", text.lower())
    nxt = raw[1:] + [""]
    words = [w if n.isdigit() else _SPELLED.get(w, w) for w, n in zip(raw, nxt)]  # "năm 2025" is a year
    words = [(w.lstrip("0") or "0") if w.isdigit() else w for w in words]
    return " " + fold(" ".join(words)) + " "


_ASKING = re.compile(r"\?|\b(nào|gì|bao (nhiêu|lâu|giờ)|mấy|(?-i:ai|Ai)|đâu|tại sao|vì sao|ra sao|có phải|"
                     r"what|which|who|whom|how|when|where|why)\b|\bkhông\s*$", re.IGNORECASE)


def query_phrases(query: str) -> list[str]:
    """The phrases of a topic query (no question asked), as phrase keys: its comma-separated parts and
    the glossary's wordings. A question's parts are no topic: none."""
    typed, _, added = query.partition(" (")
    if _ASKING.search(typed):
        return []
    parts = re.split(r"[,;:.?!()]", typed) + added.rstrip(")").split(";")
    keys = [phrase_key(p) for p in parts]
    return list(dict.fromkeys(k for k in keys if len(k.split()) >= 2))


def number_key(text: str | None) -> str:
    """Comparable form of a number and symbol: folded, letters and digits only, no leading zeros."""
    key = re.sub(r"[^a-z0-9/]", "", fold(text or ""))
    head, _, rest = key.partition("/")
    return f"{head.lstrip('0') or '0'}/{rest.replace('/', '')}" if rest else ""


@dataclass
class QueryDocuments:
    """What a query says about documents."""

    named: set[str] = field(default_factory=set)  # doc ids whose number the query writes
    scores: dict[str, float] = field(default_factory=dict)  # doc id → card match in [0, 1]
    facets: set[str] = field(default_factory=set)  # signer | number | date | effect | lead
    coverage: dict[str, float] = field(default_factory=dict)  # doc id → share of the query's words in its card
    content: dict[str, int] = field(default_factory=dict)  # doc id → query syllables not on its card
    residual: dict[str, list[str]] = field(default_factory=dict)  # doc id → query tokens off its card
    matched: dict[str, int] = field(default_factory=dict)  # doc id → query words on its card
    query: str = ""

    def targets(self, margin: float, coverage: float, most: int = 3, min_words: int = 2) -> set[str]:
        """Documents the query is about: those it names, else the few whose cards lead the rest
        by ``margin`` (several for a comparison of documents) and hold ``coverage`` of its words,
        at least ``min_words`` of them (one shared word of a short topic query is no description)."""
        if self.named:
            return set(self.named)
        if _ACROSS.search(" ".join(re.findall(r"\w+", fold(self.query)))):
            return set()  # "giữa các tỉnh", "which provinces": a question across the corpus
        ranked = sorted(self.scores.items(), key=lambda kv: -kv[1])[:most + 1]
        if compares_pair(self.query):  # "giữa A và B": each card holds about half the query's words
            close = [d for d, score in ranked if score >= 1 / margin]
            if len(close) <= most:
                return {d for d in close if self.coverage.get(d, 0.0) >= coverage / 2
                        and self.matched.get(d, min_words) >= min_words}
        for cut in range(1, min(most, len(ranked)) + 1):
            after = ranked[cut][1] if cut < len(ranked) else 0.0
            if ranked[cut - 1][1] >= margin * after:
                return {d for d, _ in ranked[:cut] if self.coverage.get(d, 0.0) >= coverage
                        and self.matched.get(d, min_words) >= min_words}
        return set()


def references(query: str) -> tuple[set[str], set[tuple[str, str]]]:
    """(full number keys, (type, bare number) pairs) written in a query."""
    full = {number_key(f"{m.group(1)}/{m.group(2)}") for m in _NUMBER.finditer(query)}
    full |= {number_key(m.group(0)) for m in _PARTY_NUMBER.finditer(query)}
    typed = {(m.group(1), m.group(2).lstrip("0") or "0") for m in _TYPE_NUMBER.finditer(fold(query))}
    return full - {""}, typed


def facets(query: str) -> set[str]:
    folded = " ".join(re.findall(r"\w+", fold(query)))
    found = {name for name, pattern in _FACETS.items() if pattern.search(folded)}
    return found - {"date"} if "effect" in found else found  # "từ ngày nào" of an effect question


def card_text(meta: DocumentMeta) -> str:
    """A document's identity as one searchable text."""
    date = ""
    if meta.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta.date):
        y, m, d = meta.date.split("-")
        date = f"ngày {int(d)} tháng {int(m)} năm {y} {d}/{m}/{y}"
    parts = [meta.doc_type, meta.number, date, meta.issuer, meta.province, meta.province_current,
             meta.title, meta.signer]
    return " ".join(p for p in parts if p)


class DocumentIndex:
    """BM25 over document cards, plus number lookup, for one index version."""

    def __init__(self, documents: dict[str, DocumentMeta]):
        import bm25s

        self.ids = list(documents)
        self.documents = documents
        self.by_number: dict[str, set[str]] = {}
        for doc_id, meta in documents.items():
            key = number_key(meta.number)
            if key:
                self.by_number.setdefault(key, set()).add(doc_id)
        tokens = [bm25_tokens(segment_text(card_text(documents[d]))) or [""] for d in self.ids]
        self.words = [{t for t in toks if not t.startswith("~")} for toks in tokens]
        self.syllables = [{t for t in toks if t.startswith("~")} |
                          {f"~{w}" for w in re.findall(r"[a-z0-9]+", fold(documents[d].number or ""))}
                          for d, toks in zip(self.ids, tokens)]
        _province_pattern()  # built once here, not at the first "which provinces" question
        self.bm25 = bm25s.BM25()
        if self.ids:
            self.bm25.index(tokens, show_progress=False)

    def match(self, query: str, tokens: list[str]) -> QueryDocuments:
        """Documents the query names (by number) or describes (card BM25, scaled to [0, 1])."""
        found = QueryDocuments(facets=facets(query), query=query)
        full, typed = references(query)
        for key in full:
            found.named |= self.by_number.get(key, set())
        for doc_type, bare in typed:
            for doc_id, meta in self.documents.items():
                key = number_key(meta.number)
                if key.split("/")[0] == bare and _type_matches(doc_type, meta.doc_type):
                    found.named.add(doc_id)
        reference_free = _NUMBER.sub(" ", _PARTY_NUMBER.sub(" ", query))
        asked = {t for t in tokens if t.startswith("~") and t[1:] not in FOLDED_STOPWORDS and not t[1:].isdigit()
                 and f"~{t[1:]}" in {f"~{w}" for w in re.findall(r"[^\W_]+", fold(reference_free))}}
        position = {d: i for i, d in enumerate(self.ids)}
        for doc_id in found.named:
            found.content[doc_id] = len(asked - self.syllables[position[doc_id]])
        known = [t for t in tokens if t in self.bm25.vocab_dict] if self.ids else []
        if known:
            scores = self.bm25.get_scores(known)
            top = float(scores.max())
            if top > 0:
                found.scores = {self.ids[i]: float(scores[i]) / top for i in np.argsort(-scores)[:10]
                                if scores[i] > 0}
                words = {t for t in tokens if not t.startswith("~") and t not in STOPWORDS and len(t) > 1
                         and (not t.isascii() or t in self.bm25.vocab_dict)}  # English words: not card words
                found.matched = {d: len(words & self.words[position[d]]) for d in found.scores}
                found.coverage = {d: n / max(1, len(words)) for d, n in found.matched.items()}
                for doc_id in found.scores:
                    found.content.setdefault(doc_id, len(asked - self.syllables[position[doc_id]]))
        for doc_id in set(found.named) | set(found.scores):
            card = self.words[position[doc_id]] | self.syllables[position[doc_id]]
            found.residual[doc_id] = [t for t in tokens if t not in card]
        return found


_ENGLISH_TYPES = {"decision": "quyet dinh", "resolution": "nghi quyet", "decree": "nghi dinh",
                  "circular": "thong tu", "directive": "chi thi", "plan": "ke hoach",
                  "official letter": "cong van", "dispatch": "cong van"}


def _type_matches(written: str, doc_type: str | None) -> bool:
    return bool(doc_type) and _ENGLISH_TYPES.get(written, written) == fold(doc_type)


def facet_chunks(chunks: list[Chunk], meta: DocumentMeta, wanted: set[str]) -> list[str]:
    """Ids of a document's clauses that print the facts a query asks for (signer, number, date)."""
    probes = []
    if "signer" in wanted and meta.signer:
        probes.append(_skeleton(meta.signer))
    if "number" in wanted and meta.number:
        probes.append(_skeleton(meta.number))
    if "date" in wanted and meta.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta.date):
        y, m, d = meta.date.split("-")
        probes += [f"ngay{int(d)}thang{int(m)}nam{y}", f"ngay{d}thang{m}nam{y}", f"{d}{m}{y}"]
    if "effect" in wanted:
        probes.append("naycohieuluc")
    found = []
    if "lead" in wanted:  # a clause naming the body that leads; a generic "các cơ quan chủ trì" if none does
        found = [c.chunk_id for c in chunks if _NAMED_LEAD.search(c.text)] or \
            [c.chunk_id for c in chunks if "chutri" in _skeleton(c.text) or "daumoi" in _skeleton(c.text)]
    probes = [p for p in probes if p]
    if not probes:
        return found
    return found + [c.chunk_id for c in chunks if any(p in _skeleton(c.text) for p in probes)]


_UPPER = "".join(ch for ch in map(chr, range(0x41, 0x1F00)) if ch.isupper() and ch.isalpha())
# heads of body names beyond those a document header prints (parse.organs.HEADS)
_MORE_HEADS = ("Kho bạc", "Đài", "Học viện", "Hội", "Liên đoàn", "Đoàn", "Mặt trận", "Tòa án", "Hải quan",
               "Ngân hàng", "Báo", "Công ty", "Tổng công ty", "Quỹ", "Phòng", "Tỉnh ủy", "Thành ủy")
# a named body (Sở Nội vụ, Công an Thành phố, Ủy ban nhân dân tỉnh …) before "chủ trì / đầu mối" in one
# sentence, or after "(đơn vị / cơ quan) chủ trì:"
_BODY = (r"(?:(?:" + "|".join(sorted(set(organs.HEADS + _MORE_HEADS), key=lambda h: (-len(h), h))) + r")\s+(?:["
         + _UPPER + r"]|(?:tỉnh|thành phố|huyện|quận|thị xã|xã|phường|đặc khu)\b)|Ủy ban nhân dân|UBND)")
_NAMED_LEAD = re.compile(_BODY + r"[^.;:\n]{0,80}?(?::\s*)?\b([Cc]hủ trì|[Đđ]ầu mối)|([Cc]hủ trì|[Đđ]ầu mối)\s*:\s*"
                         + _BODY)


@lru_cache(maxsize=65536)
def _skeleton(text: str) -> str:
    """Folded letters and digits only (cached: facet look-ups scan a document's clauses per query)."""
    return re.sub(r"[^0-9a-z]", "", fold(text))
