"""Fusion of ranked lists (dense, sparse, document-focused …) into one ranking, with document priors."""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

RRF_K = 60


@dataclass(frozen=True)
class Weights:
    """How much each signal counts (tuned on both development sets, see eval_retrieval.py)."""

    dense: float = 1.0
    sparse: float = 1.0
    section: float = 0.0  # breadcrumb BM25 (search/sections.py): off, it trades real-set hit@1 for seeds
    focused: float = 1.0  # retrieval restricted to the documents the query names or describes
    named: float = 0.02  # prior of a clause of a document the query names by its number
    card: float = 0.0  # prior of the clauses of the document the query describes (card)
    facet: float = 0.08  # a clause printing the asked fact (signer, number, date) of a focused document
    identity: float = 0.03  # taken from the clauses printing a named/described document's number, date
    #                         or signer when the query asks about its content, not its identity
    residual: float = 2.0  # in-document BM25 of the query words off a targeted document's card
    residual_dense: float = 2.0  # in-document dense search with those words
    target_coverage: float = 0.35  # share of the query's words a card holds to be a target
    value: float = 0.08  # a clause of a targeted document printing the kind of value asked (how long, when …)
    value_pool: float = 0.005  # the same, for clauses near the top of any document when nothing is targeted
    value_depth: int = 20  # how far down the fused list value_pool reaches
    phrase: float = 0.01  # × the share of the query's phrases a clause prints word for word
    phrase_depth: int = 50  # how far down the fused list phrases are looked for
    basis: float = 0.005  # taken from preamble clauses (legal bases, proposals) unless the query asks for them
    other_facts: float = 0.03  # taken from clauses printing other document facts than the one asked
    content_syllables: int = 1  # query syllables off the document's card that make a content question
    focus_margin: float = 1.5  # a card describes the query's document when it leads the next by this …
    card_coverage: float = 0.5  # … and holds this share of the query's words


WEIGHTS = Weights()


def reciprocal_rank_fusion(rankings: list[list[tuple[Hashable, float]]], k: int = RRF_K,
                           weights: list[float] | None = None) -> list[tuple[Hashable, float]]:
    """Fuse ranked lists of (id, score) by (weighted) reciprocal rank."""
    fused: dict = {}
    for i, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else weights[i]
        for rank, (key, _score) in enumerate(ranking):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank + 1)
    return sorted(fused.items(), key=lambda kv: -kv[1])


def add_priors(fused: list[tuple[str, float]], priors: dict[str, float]) -> list[tuple[str, float]]:
    """Fused scores plus per-clause priors, re-sorted (clauses only in ``priors`` join the list)."""
    scores = dict(fused)
    for key, prior in priors.items():
        scores[key] = scores.get(key, 0.0) + prior
    return sorted(scores.items(), key=lambda kv: -kv[1])
