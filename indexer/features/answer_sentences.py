"""Choosing the quoted sentences of an answer: candidates from the retrieved clauses (and the rest of
the best document), scored by cosine with the question (vectors stored at build time,
index/sentvec.py) plus what the kind of question expects of the answer sentence."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from indexer.features.question import Question, expected_units
from indexer.index.sentvec import open_vectors
from indexer.parse.chunk import SITE_SECTION
from indexer.search.engine import Result, SearchEngine
from indexer.text import values
from indexer.text.normalize import fold
from indexer.text.sentences import split_sentences
from indexer.text.stopwords import FOLDED as FOLDED_STOPWORDS

_CONTENT_STOP = FOLDED_STOPWORDS | {"nam"}  # "năm" (year) is in most questions
_NUMBER = re.compile(r"\d")
_BASIS_QUESTION = re.compile(r"\b(can cu|dua tren|thuc hien (van ban|nghi quyet|chuong trinh|ke hoach) nao|"
                             r"based on|pursuant to|legal basis|implements which)\b")
_BASIS_SENTENCE = re.compile(r"(Căn cứ|Thực hiện|Theo|Triển khai|Trên cơ sở)\b")
_ACTOR_CUES = re.compile(r"chủ trì|đầu mối|chịu trách nhiệm|cơ quan thực hiện|đơn vị thực hiện|"
                         r"tham mưu|được giao|giao cho|phân công|thẩm quyền|quyết định cử", re.I)
_ACTOR_NAME = re.compile(
    r"(?:(?:Đơn vị|Cơ quan) (?:chủ trì|thực hiện|đầu mối)\s*:\s*([^;.\n]{3,80}))|"
    r"(?:(?:[Gg]iao|[Đđ]ề nghị)\s+((?:Sở|Bộ|Ủy ban|UBND|Công an|Ban|Văn phòng|Cục|Trung tâm|Thanh tra)"
    r"[^,;.()]{2,70}?)\s+(?:chủ trì|là cơ quan|làm đầu mối))|"
    r"((?:Sở|Bộ|Ủy ban|UBND|Công an|Ban|Văn phòng|Cục|Trung tâm|Thanh tra|Hiệu trưởng|Bộ trưởng|"
    r"Chủ tịch|Giám đốc)[^,;.()\n]{0,70}?)\s+(?:chủ trì|là cơ quan đầu mối|chịu trách nhiệm|có trách nhiệm)")
# deadline questions ("trước ngày nào", "hạn chót", "by when") want the sentence that sets the time
# limit ("… trước ngày 31 tháng 3 hằng năm", "chậm nhất …"), not any date of the document
_DEADLINE_QUESTION = re.compile(r"\b(truoc ngay nao|han chot|han cuoi|cham nhat (la )?(ngay|khi|luc) nao|"
                                r"thoi han (nop|gui|bao cao|hoan thanh)|deadline|by when|no later than|"
                                r"due (date|by))\b")
_DEADLINE_SENTENCE = re.compile(r"\b(trước ngày|chậm nhất|hạn chót|hạn cuối|không muộn hơn|"
                                r"trước \d{1,2}(?:/| tháng )\d{1,2}|hằng năm|định kỳ)", re.I)
_TOTAL = re.compile(r"\b(tổng|total)\b", re.I)
_EFFECT_SENTENCE = re.compile(r"có hiệu lực (?:thi hành )?(?:kể )?từ", re.I)
_VALUE_PHRASE = re.compile(
    r"(?:(?:trên|dưới|tối thiểu|tối đa|ít nhất|khoảng|đạt|từ|đến|trước|chậm nhất)\s+)?"
    r"(?:ngày\s+)?\d[\d.,/]*(?:\s*(?:-|–|->|÷|đến)\s*\d[\d.,/]*)?\s*"
    r"(?:%|km|m²|m2|mm|ha|tỷ đồng|triệu đồng|nghìn đồng|đồng(?:/tháng)?|ngày(?: công| làm việc)?|giờ|"
    r"tháng(?:\s+\d{1,2}(?:\s+năm\s+\d{4})?)?|năm|người|hộ|đô thị|lượt|km²)?")



@dataclass
class AnswerSentence:
    text: str
    citation: str
    doc_id: str
    chunk_id: str
    province: str | None
    score: float
    ref: int  # 1-based number of the result card it comes from (0: the document record)


def content_terms(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", fold(text)) if w not in _CONTENT_STOP and len(w) > 1}


def _candidates(results: list[Result], per_result: int | None = None,
                texts: dict[str, str] | None = None, version=None) -> list[tuple[int, str]]:
    out, seen = [], set()
    for i, r in enumerate(results):
        sentences = split_sentences(r.text)
        if sentences and version is not None:
            sentences[0] = _with_broken_start(version, r, sentences[0])
        for s in (sentences[:per_result] if per_result else sentences):
            if (r.doc_id, s) in seen:
                continue  # the same sentence in another clause of the document: scored once
            seen.add((r.doc_id, s))
            out.append((i, _with_cell_value(s, texts.get(r.doc_id, "")) if texts else s))
    return out


_NAME_END = re.compile(r"(?:^|\s)[A-ZĐÀ-Ỹ][\wÀ-ỹ]*\s*$")  # "… Công ty Tân Cảng" / "- Petro …": a name cut
_OPEN_END = re.compile(r"[\w,]\s*$")  # a clause that stops mid-sentence (no . ; : ! ? or bracket)


def _with_broken_start(version, result, first: str) -> str:
    """The first sentence of a clause that a line break cut off from the text before it, joined
    to the end of that text so that the quote reads as the document does: a name cut across a
    line ("…, Công ty Tân Cảng" / "- Petro Cam Ranh hoặc …"), a clause starting in lower case,
    or a table value cell whose label row ended the previous clause
    ("Tổng thời gian giải quyết TTHC" / "168 giờ …", joined as "label | value")."""
    text = result.text.lstrip()
    dashed = text.startswith(("- ", "– ")) and text[2:3].isupper()
    cell = text[:1].isdigit() and first == split_sentences(text)[0] and not re.match(r"\d{1,2}[.)]\s", text)
    if not (dashed or cell or (text[:1].islower() and not re.match(r"[a-zđ]{1,2}[).]\s", text))):
        return first  # "a) …" and "1. …" are labels, not continuations
    try:
        chunk = version.fetch_chunks([result.chunk_id])[0]
        before = version.texts.get(result.doc_id, "")[max(0, chunk.start - 600):max(0, chunk.start)]
    except Exception:  # a backend without offsets or texts: the clause as it is
        return first
    if not _OPEN_END.search(before) or (dashed and not _NAME_END.search(before)):
        return first  # a heading over a list ("… có liên quan" / "- Là cơ quan …") is not cut
    tail = split_sentences(before)
    if not tail:
        return first
    if cell:  # only a short label without a number of its own
        label = tail[-1].rsplit(" | ", 1)[-1].strip()
        return f"{label} | {first}" if len(label) <= 90 and not _NUMBER.search(label) else first
    return f"{tail[-1]} {text[:1]} {first}" if dashed else f"{tail[-1]} {first}"


def _with_cell_value(sentence: str, text: str) -> str:
    """A table label without a number ("Tổng thời gian giải quyết TTHC") with the value printed in
    the next cells of the document ("168 giờ"), so that the quote carries the value."""
    if _NUMBER.search(sentence) or len(sentence) > 90:
        return sentence
    at = text.find(sentence)
    if at < 0:
        return sentence
    after = text[at + len(sentence):at + len(sentence) + 160]
    cells = [c.strip() for c in re.split(r"[|\n]+", after) if c.strip()]
    if cells and _NUMBER.search(cells[0]) and len(cells[0]) <= 120:
        return f"{sentence} | {cells[0]}"
    return sentence


SWEPT_PENALTY = 0.03


def _scored(engine, q: Question, results: list[Result], candidates, limit: int = 12,
            swept_from: int | None = None) -> list[tuple]:
    if not candidates:
        return []
    try:
        searched = engine.understand(q.text)  # accents restored, English terms glossed
    except Exception:
        searched = q.text
    terms = content_terms(searched)
    units = expected_units(q.text) if q.kind == "value" else None
    years = {str(y) for y in q.entity.years}
    basis = _BASIS_QUESTION.search(fold(q.text)) is not None
    deadline = _DEADLINE_QUESTION.search(fold(q.text)) is not None
    total = re.search(r"\b(tong|total|in all|altogether)\b", fold(q.text)) is not None
    effect = re.search(r"\b(hieu luc|effect|in force)\b", fold(q.text)) is not None
    pre = []
    for (i, sentence) in candidates:
        overlap = len(terms & content_terms(sentence)) / max(1, len(terms))
        bonus = 0.05 * overlap + 0.02 / (1 + i)
        if q.kind == "value":
            bonus += 0.02 * bool(_NUMBER.search(sentence)) + 0.02 * bool(years and any(y in sentence for y in years))
            bonus += 0.04 * bool(units and has_unit(sentence, units))
            if total:  # "tổng thời gian / tổng kinh phí": the total row, not one of its parts
                bonus += 0.03 * bool(_TOTAL.search(sentence))
            if deadline:
                bonus += 0.04 * bool(_DEADLINE_SENTENCE.search(sentence))
            if not effect and _EFFECT_SENTENCE.search(sentence):
                bonus -= 0.04  # when the document takes effect is a fact of the document, not the asked value
        elif q.kind == "actor":  # the answer form: a named body with its assignment ("Sở X chủ trì")
            cue = bool(_ACTOR_CUES.search(sentence))
            named = bool(_ACTOR_NAME.search(sentence) or section_body(results[i].section))
            bonus += 0.03 * cue + 0.03 * named - 0.03 * (not cue and not named)  # no assignment: no answer
        elif q.kind == "definition":
            bonus += 0.02 * bool(re.search(r"\b(là|được hiểu là)\b", sentence))
        if q.kind in ("value", "actor") and not basis and results[i].section.startswith("Phần mở đầu"):
            bonus -= 0.03  # the preamble cites other documents' dates and bodies, not the asked value
        if q.kind != "fact" and results[i].section == SITE_SECTION:
            bonus -= 0.04  # the legal site's captions repeat the title and dates, they answer no content
        if _is_closing(results[i]):
            bonus -= 0.05  # recipients list and signature block: never the content asked for
        if basis and _BASIS_SENTENCE.match(sentence):
            bonus += 0.04  # "căn cứ văn bản nào": the preamble's "Căn cứ …" / "Thực hiện …" lines
        if swept_from is not None and i >= swept_from:
            bonus -= SWEPT_PENALTY  # not retrieved: the search did not find its clause relevant
        pre.append((bonus, i, sentence))
    pre.sort(key=lambda t: -t[0])
    # a table label shown with its value cell ("… | 168 giờ") is scored as the label the build stored
    scores = _sentence_scores(engine, searched, [_as_stored(s, results[i].text) for _, i, s in pre], limit)
    scored = [(float(score) + bonus, float(score), i, sentence)
              for (bonus, i, sentence), score in zip(pre, scores) if score is not None]
    scored.sort(key=lambda t: -t[0])
    return scored


def _as_stored(sentence: str, clause: str) -> str:
    """The sentence as the build split it: a table label shown with its value cell
    ("… | 168 giờ", see _with_cell_value) is scored as the label alone."""
    if sentence in clause or " | " not in sentence:
        return sentence
    label = sentence.rsplit(" | ", 1)[0]
    return label if label in clause else sentence


def _is_closing(result: Result) -> bool:
    return "nơi nhận" in result.section.lower() or result.text.lstrip().startswith("Nơi nhận")


def has_unit(sentence: str, units: str) -> bool:
    """Whether a sentence states a number with one of the expected units (m² as m2; a cited
    document's date is no deadline)."""
    return values.prints(units, sentence)


def _best_sentences(engine, q: Question, results: list[Result], threshold: float, n: int,
                    sweep: bool = True) -> list[AnswerSentence]:
    """The best ``n`` sentences of one document. Besides the retrieved clauses, every clause of
    the top document is a candidate (``sweep``): the asked sentence is often in a clause that
    retrieval ranked lower. A chosen clause that was not retrieved joins ``results`` as a card."""
    texts = engine.version.texts if q.kind == "value" else None
    extra = _document_clauses(engine, q, results) if sweep else []
    pool = results + extra
    candidates = _candidates(pool, texts=texts, version=engine.version)
    scored = [t for t in _scored(engine, q, pool, candidates, swept_from=len(results))
              if t[1] >= threshold]
    if not scored:
        return []
    top_doc = pool[scored[0][2]].doc_id
    margin = scored[0][0] - 0.03
    same = [t for t in scored if pool[t[2]].doc_id == top_doc and t[0] >= margin][:n]
    chosen = []
    for _, sim, i, s in same:
        if i >= len(results):  # a clause of the swept document: shown as a card of its own
            i = _card_for(engine, q, results, pool[i])
        chosen.append(_sentence(s, results[i], i, sim))
    return chosen


SWEEP_MAX_CLAUSES = 400  # a longer document is not swept (its clauses were retrieved or not)


def _document_clauses(engine, q: Question, results: list[Result]) -> list:
    """The clauses (Chunk) of the best-ranked document that retrieval did not return."""
    if not results or q.kind not in ("value", "actor") or _has_answer_form(q, results) or \
            not open_vectors(engine.index_dir, engine.embedder.model_id).available():
        return []  # without stored sentence vectors, sweeping would cost a model call per sentence
    try:
        chunks = engine.version.document_chunks(results[0].doc_id)
    except Exception:  # a backend without per-document access: nothing more to read
        return []
    if len(chunks) > SWEEP_MAX_CLAUSES:
        return []
    seen = {r.chunk_id for r in results}
    return [c for c in chunks if c.chunk_id not in seen]


def _has_answer_form(q: Question, results: list[Result]) -> bool:
    """Whether a retrieved clause of the top document already has a sentence of the asked form:
    a number with the expected unit (value), a named body with its assignment (actor)."""
    units = expected_units(q.text) if q.kind == "value" else None
    for r in results:
        if r.doc_id != results[0].doc_id:
            continue
        if q.kind == "actor" and _ACTOR_NAME.search(r.text):
            return True
        if q.kind == "value" and (has_unit(r.text, units) if units else _NUMBER.search(r.text)) and \
                (not _DEADLINE_QUESTION.search(fold(q.text)) or _DEADLINE_SENTENCE.search(r.text)):
            return True
    return False


def _card_for(engine, q: Question, results: list[Result], chunk) -> int:
    """Index in ``results`` of the card of a swept clause (appended on first use)."""
    from indexer.search.results import make_result

    for i, r in enumerate(results):
        if r.chunk_id == chunk.chunk_id:
            return i
    results.append(make_result(len(results) + 1, 0.0, chunk, engine.version.documents[chunk.doc_id], q.text))
    return len(results) - 1


def _sentence(text: str, result: Result, i: int, score: float) -> AnswerSentence:
    return AnswerSentence(text=text, citation=result.citation, doc_id=result.doc_id, chunk_id=result.chunk_id,
                          province=result.province, score=round(score, 4), ref=i + 1)


def _sentence_scores(engine: SearchEngine, question: str, sentences: list[str],
                     limit: int = 12) -> list[float | None]:
    """Cosine of each sentence with the question (None: not scored). Sentence vectors come from
    the build (index/sentvec.py); of the sentences without one, only the first ``limit`` (the
    lexically closest) are encoded here, four at a time: the embedder runs small calls in fp32
    on one thread, much faster per query than its bulk (bf16) path."""
    query = engine.embedder.encode_queries([question])[0]
    stored = open_vectors(engine.index_dir, engine.embedder.model_id)
    vectors, missing = stored.lookup(sentences)
    if vectors is None:
        vectors = np.zeros((len(sentences), query.shape[0]), dtype=np.float32)
    encoded = missing[:limit]
    for start in range(0, len(encoded), 4):
        rows = encoded[start:start + 4]
        vectors[rows] = engine.embedder.encode_passages([sentences[r] for r in rows])
    skipped = set(missing[limit:])
    return [None if i in skipped else float(v) for i, v in enumerate(vectors @ query)]


# a heading that names the body its items are assigned to: "b) Bộ Công Thương:", "2. Sở Tài chính chủ trì …"
_SECTION_BODY = re.compile(
    r"^(?:[a-zđ]\)|\d{1,2}\.|[IVX]{1,5}\.)?\s*((?:Ủy ban nhân dân|UBND|(?:Sở|Bộ|Ủy ban|Công an|Ban|Văn phòng|"
    r"Cục|Trung tâm|Thanh tra|Đài|Báo|Hội|Liên đoàn|Đoàn|Kho bạc|Ngân hàng|Bảo hiểm)\s+[A-ZĐÀ-Ỹ])[^:;,.]{0,80}?)"
    r"\s*(?::|\s(?:chủ trì|có trách nhiệm|chịu trách nhiệm)\b|$)")


def section_body(section: str) -> str | None:
    """The body named by the innermost heading of a clause's breadcrumb, if it names one."""
    for label in reversed(section.split(" › ")[-2:]):
        m = _SECTION_BODY.match(label.strip())
        if m:
            return m.group(1).strip()
    return None


def _direct_answer(q: Question, sentence: str, section: str = "") -> str:
    """The short answer line: the body for an actor, the number phrases for a value."""
    if q.kind == "actor":
        m = _ACTOR_NAME.search(sentence)
        body = next(g for g in m.groups() if g).strip() if m else section_body(section)
        if body:  # named in the sentence, or in the heading its clause is listed under
            return (f"Responsible body: {body}" if q.language == "en" else f"Cơ quan, đơn vị: {body}")
    if q.kind == "value":
        phrases = [p.group(0).strip(" ,;.") for p in _VALUE_PHRASE.finditer(sentence)
                   if _NUMBER.search(p.group(0)) and not _is_reference(sentence, p.end())
                   and not _is_label(sentence, p.start())]
        units = expected_units(q.text)
        if units:
            phrases = [p for p in phrases if has_unit(p, units)] or phrases
        if phrases:
            label = "Value" if q.language == "en" else "Giá trị"
            return f"{label}: " + "; ".join(dict.fromkeys(phrases))
    return ""


def _is_label(sentence: str, start: int) -> bool:
    """A number that numbers something (Bước 5, Điều 3, mẫu số 02, Phụ lục 1), not a value."""
    return re.search(r"(?:Bước|Điều|khoản|Khoản|điểm|Mục|mục|[Mm]ẫu số|Phụ lục|Chương)\s*$",
                     sentence[max(0, start - 12):start]) is not None


def _is_reference(sentence: str, end: int) -> bool:
    """A number that is part of a document symbol (371/ĐA-CP, 06-NQ/TW), not a value."""
    return re.match(r"[/-]?[A-ZĐ]", sentence[end:end + 3] or "") is not None
