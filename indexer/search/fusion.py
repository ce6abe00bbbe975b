"""Fusion of ranked lists (dense, sparse, …) into one ranking."""
from __future__ import annotations

from collections.abc import Hashable

RRF_K = 60


def reciprocal_rank_fusion(rankings: list[list[tuple[Hashable, float]]],
                           k: int = RRF_K) -> list[tuple[Hashable, float]]:
    """Fuse ranked lists of (id, score) by reciprocal rank."""
    fused: dict = {}
    for ranking in rankings:
        for rank, (key, _score) in enumerate(ranking):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank + 1)
    return sorted(fused.items(), key=lambda kv: -kv[1])
