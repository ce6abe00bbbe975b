"""Extractive answers: the best sentences of the top clauses, each with its citation.

No text is generated: every sentence of an answer is quoted from a document, numbers
and targets intact. When no sentence is close enough to the question, the answer says
that the documents do not answer it. Optional generation through an OpenAI-compatible
endpoint (off by default) may only cite retrieved passages, and its citations are checked.
"""
from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import asdict, dataclass, field

import numpy as np

from indexer.records import Filters, Result
from indexer.search.engine import SearchEngine
from indexer.text.normalize import fold
from indexer.text.sentences import split_sentences
from indexer.text.stopwords import FOLDED as FOLDED_STOPWORDS

# Calibrated on questions the corpus answers and questions it cannot (see tests/test_answer.py
# and benchmarks/eval_retrieval.py): a best-sentence similarity below this means "not found".
MIN_SIMILARITY = 0.855
NOT_FOUND = "Không tìm thấy câu trả lời trong các văn bản đã lập chỉ mục."

_CROSS_DOC = re.compile(r"\b(cac tinh|cac dia phuong|so sanh|giua cac|moi tinh|tung tinh|"
                        r"nhung tinh|provinces|compare|each province)\b")
_CONTENT_STOP = FOLDED_STOPWORDS | {"nam"}  # "năm" (year) is in most questions


@dataclass
class AnswerSentence:
    text: str
    citation: str
    doc_id: str
    chunk_id: str
    province: str | None
    score: float
    ref: int  # 1-based number of the result card it comes from


@dataclass
class Answer:
    question: str
    answered: bool
    sentences: list[AnswerSentence]
    results: list[Result]
    message: str = ""
    generated: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"question": self.question, "answered": self.answered, "message": self.message,
                "sentences": [asdict(s) for s in self.sentences], "generated": self.generated,
                "warnings": self.warnings, "results": [r.to_dict() for r in self.results]}

    def render_text(self) -> str:
        if not self.answered:
            return self.message
        lines = [f"[{s.ref}] {s.text}\n    — {s.citation}" for s in self.sentences]
        if self.generated:
            lines.insert(0, self.generated + "\n")
        return "\n".join(lines)


def content_terms(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", fold(text)) if w not in _CONTENT_STOP and len(w) > 1}


def is_cross_document(question: str) -> bool:
    return _CROSS_DOC.search(fold(question)) is not None


def answer(engine: SearchEngine, question: str, filters: Filters | None = None, k: int = 8,
           max_sentences: int = 3, min_similarity: float = MIN_SIMILARITY) -> Answer:
    """Answer a question with quoted, cited sentences — or say the documents do not."""
    results = engine.search(question, k=k, filters=filters)
    if not results:
        return Answer(question, False, [], results, NOT_FOUND)
    candidates = [(i, s) for i, r in enumerate(results) for s in split_sentences(r.text)]
    if not candidates:
        return Answer(question, False, [], results, NOT_FOUND)
    scores = _sentence_scores(engine, question, [s for _, s in candidates])
    terms = content_terms(question)
    scored = []
    for (i, sentence), score in zip(candidates, scores):
        overlap = len(terms & content_terms(sentence)) / max(1, len(terms))
        prior = 0.02 * (1.0 / (1 + i))  # a little trust in the retrieval order
        scored.append((float(score) + 0.05 * overlap + prior, float(score), i, sentence))
    scored.sort(key=lambda t: -t[0])
    best = [t for t in scored if t[1] >= min_similarity]
    if not best:
        return Answer(question, False, [], results, NOT_FOUND)
    chosen = _one_per_document(best, results) if is_cross_document(question) else \
        _top_of_best_document(best, results, max_sentences)
    sentences = [AnswerSentence(text=s, citation=results[i].citation, doc_id=results[i].doc_id,
                                chunk_id=results[i].chunk_id, province=results[i].province,
                                score=round(sim, 4), ref=i + 1)
                 for _, sim, i, s in chosen]
    return Answer(question, True, sentences, results)


def _sentence_scores(engine: SearchEngine, question: str, sentences: list[str]) -> np.ndarray:
    query = engine.embedder.encode_queries([question])[0]
    vectors = engine.embedder.encode_passages(sentences)
    return vectors @ query


def _one_per_document(best: list[tuple], results: list[Result]) -> list[tuple]:
    seen, chosen = set(), []
    for item in best:
        doc = results[item[2]].doc_id
        if doc not in seen:
            seen.add(doc)
            chosen.append(item)
    return chosen


def _top_of_best_document(best: list[tuple], results: list[Result], n: int) -> list[tuple]:
    top_doc = results[best[0][2]].doc_id
    margin = best[0][0] - 0.03
    same = [t for t in best if results[t[2]].doc_id == top_doc and t[0] >= margin]
    return same[:n]


# -- optional generation -------------------------------------------------------

def generate(answer_: Answer, endpoint: str, model: str, timeout: float = 60.0,
             api_key: str | None = None) -> Answer:
    """Ask an OpenAI-compatible chat endpoint to write the answer from the retrieved passages only.

    Citations must be [n] numbers of passages given; sentences citing anything else are dropped.
    """
    passages = "\n".join(f"[{i + 1}] {r.citation}: {r.text}" for i, r in enumerate(answer_.results))
    prompt = ("Trả lời câu hỏi CHỈ dựa trên các đoạn trích dưới đây. Mỗi câu phải kết thúc bằng "
              "số trích dẫn dạng [n]. Nếu các đoạn không trả lời được, hãy nói không tìm thấy.\n\n"
              f"{passages}\n\nCâu hỏi: {answer_.question}")
    body = json.dumps({"model": model, "temperature": 0,
                       "messages": [{"role": "user", "content": prompt}]}).encode("utf-8")
    request = urllib.request.Request(endpoint.rstrip("/") + "/chat/completions", data=body,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {api_key}"} if api_key else {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (user-configured URL)
        text = json.loads(response.read())["choices"][0]["message"]["content"]
    answer_.generated, dropped = check_citations(text, len(answer_.results))
    if dropped:
        answer_.warnings.append(f"dropped {dropped} generated sentence(s) without a valid citation")
    return answer_


def check_citations(text: str, n_passages: int) -> tuple[str, int]:
    """Keep only sentences whose [n] citations all point at a retrieved passage."""
    kept, dropped = [], 0
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        refs = [int(x) for x in re.findall(r"\[(\d+)\]", sentence)]
        if refs and all(1 <= r <= n_passages for r in refs):
            kept.append(sentence)
        elif sentence:
            dropped += 1
    return " ".join(kept), dropped
