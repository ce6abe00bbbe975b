"""Restore the diacritics of a query typed without them, from the indexed text itself.

"khong gian ngam" → "không gian ngầm": the query is cut into runs of one to three folded words
that occur in the corpus (frequent, longer runs preferred) and each run is replaced by its most
frequent accented form; unknown words get the nearest
indexed word at edit distance one (a typo), or stay as typed. The dense model reads
accented Vietnamese far better than ASCII, and BM25 matches either way.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from indexer.text.normalize import fold

_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_N = 3
# How people ask, which documents seldom print: without these "may lan" would read "máy lần"
# (machine) from the corpus's "nhà máy" instead of "mấy lần" (how many times).
QUESTION_PHRASES = (
    "bao nhiêu", "bao lâu", "bao giờ", "khi nào", "lúc nào", "ngày nào", "năm nào", "ở đâu", "nơi nào",
    "là gì", "làm gì", "thế nào", "như thế nào", "ra sao", "tại sao", "vì sao", "được không", "hay không",
    "có phải", "ai ký", "do ai", "là ai", "cơ quan nào", "đơn vị nào", "tỉnh nào", "văn bản nào",
    "mấy lần", "mấy ngày", "mấy tháng", "mấy năm", "mấy giờ", "mấy người", "mấy loại", "mấy cấp",
    "mấy bước", "mấy tỉnh", "mấy xã", "mấy phường", "mấy đợt", "mấy bản", "mấy bộ",
)
_QUESTION_COUNT = 10_000  # as if very frequent: a question phrase wins its words


class AccentRestorer:
    def __init__(self, texts: list[str]):
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for text in texts:
            words = [w.lower() for w in _WORD.findall(text)]
            for n in range(1, _MAX_N + 1):
                for i in range(len(words) - n + 1):
                    gram = " ".join(words[i:i + n])
                    counts[fold(gram)][gram] += 1
        self._best = {key: forms.most_common(1)[0][0] for key, forms in counts.items()}
        self._frequency = {key: sum(forms.values()) for key, forms in counts.items()}
        self._add_questions()

    def _add_questions(self) -> None:
        for phrase in QUESTION_PHRASES:
            key = fold(phrase)
            self._best[key] = phrase
            self._frequency[key] = max(self._frequency.get(key, 0), _QUESTION_COUNT)

    @classmethod
    def from_tables(cls, best: dict[str, str], frequency: dict[str, int]) -> "AccentRestorer":
        """A restorer from tables saved by `tables` (no text needed)."""
        restorer = cls([])
        restorer._best, restorer._frequency = dict(best), dict(frequency)
        restorer._add_questions()
        return restorer

    def tables(self) -> tuple[dict[str, str], dict[str, int]]:
        """(folded n-gram → its most frequent accented form, folded n-gram → count)."""
        return self._best, self._frequency

    def restore(self, query: str) -> str:
        """The query with diacritics restored where it has none; queries with accents are kept."""
        words = [w.lower() for w in _WORD.findall(query)]
        known = sum(w in self._frequency for w in words)
        if not needs_restoring(query) or known < 0.6 * len(words):
            return query  # accented already, or not Vietnamese (English is left alone)
        words = [self._correct(words, i) for i in range(len(words))]
        return " ".join(self._segment(words))

    def _segment(self, words: list[str]) -> list[str]:
        """The accented forms of the best cut of the query into known n-grams: an n-gram of n
        words that occurs f times scores n³·log(1+f), so a frequent phrase ("rà soát") beats a
        rare longer one ("phái ra") and its words read alone."""
        best: list[tuple[float, list[str]]] = [(0.0, [])] + [(-1.0, [])] * len(words)
        for end in range(1, len(words) + 1):
            for n in range(1, min(_MAX_N, end) + 1):
                key = " ".join(words[end - n:end])
                known = key in self._best and (n > 1 or not key.isdigit())
                if not known and n > 1:
                    continue
                gain = n ** 3 * math.log1p(self._frequency[key]) if known else 0.0
                score = best[end - n][0] + gain
                if score > best[end][0]:
                    best[end] = (score, best[end - n][1] + [self._best[key] if known else key])
        return best[-1][1]

    def _correct(self, words: list[str], i: int) -> str:
        """A typo fixed to an indexed word one edit away (words of 4+ letters), preferring the
        one that most often stands next to the neighbouring words."""
        word = words[i]
        if word in self._frequency or len(word) < 4 or word.isdigit():
            return word
        candidates = [w for w in edits1(word) if w in self._frequency and " " not in w]
        if not candidates:
            return word
        before = words[i - 1] if i > 0 else None
        after = words[i + 1] if i + 1 < len(words) else None

        def fit(candidate: str) -> tuple[int, int]:
            context = self._frequency.get(f"{before} {candidate}", 0) + \
                self._frequency.get(f"{candidate} {after}", 0)
            return context, self._frequency[candidate]

        return max(candidates, key=fit)


def needs_restoring(query: str) -> bool:
    """True for Vietnamese typed without diacritics (every letter is ASCII)."""
    letters = [ch for ch in query if ch.isalpha()]
    return bool(letters) and all(ch.isascii() for ch in letters)


def edits1(word: str) -> list[str]:
    """Every string one deletion, transposition, replacement or insertion away, in that order
    (without repeats, so that callers choosing among them are deterministic)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in letters]
    inserts = [a + c + b for a, b in splits for c in letters]
    return list(dict.fromkeys(deletes + transposes + replaces + inserts))
