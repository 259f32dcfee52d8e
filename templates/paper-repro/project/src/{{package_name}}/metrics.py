"""Full-ranking metrics for one held-out item per user (the next watch), all in [0, 1].

Every item the user did not watch in training is ranked; ties are broken by item index, the
order a top-k list shows. With r the 1-based rank of the held-out item:

- hr@k (hit rate) = 1 if r <= k else 0;
- recall@k = |hits in top k| / |relevant| (one relevant item here, so it equals hr@k; it is
  kept separate because it differs as soon as a user has several held-out items);
- ndcg@k = (1 / log2(r + 1)) / IDCG with IDCG = 1 for one relevant item (Jarvelin and
  Kekalainen, 2002, binary gains);
- mrr = 1 / r (no cut-off).

Ranking the full catalogue, not a sample of negatives, keeps the model order that sampled
metrics can flip (Krichene and Rendle, KDD 2020).
"""

from __future__ import annotations

import numpy as np

__all__ = ["metrics_at_k", "per_user_metrics", "target_ranks"]


def target_ranks(scores: np.ndarray, targets: np.ndarray, seen: list[np.ndarray]) -> np.ndarray:
    """1-based rank of each user's target among items not in `seen` (columns = index - 1).

    scores (n_users, n_items); targets and seen hold item indices (1-based). A target that is
    also in `seen` still gets a rank: it is only excluded as a competitor.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or len(scores) != len(targets) or len(seen) != len(targets):
        raise ValueError("scores, targets and seen must have one row per user")
    ranks = np.empty(len(targets), dtype=np.int64)
    columns = np.arange(scores.shape[1])
    for row, (target, watched) in enumerate(zip(targets, seen, strict=True)):
        s = scores[row].copy()
        col = int(target) - 1
        mask = np.zeros(len(s), dtype=bool)
        mask[np.asarray(watched, dtype=np.int64) - 1] = True
        mask[col] = False
        s[mask] = -np.inf
        t = s[col]
        ranks[row] = 1 + int(np.sum(s > t)) + int(np.sum((s == t) & (columns < col)))
    return ranks


def per_user_metrics(ranks: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """hr@k, recall@k, ndcg@k and mrr of each user from the rank of their one target."""
    ranks = np.asarray(ranks, dtype=np.float64)
    if k < 1:
        raise ValueError("k must be at least 1")
    if ranks.size == 0 or np.any(ranks < 1):
        raise ValueError("ranks must be a non-empty array of ranks >= 1")
    hit = (ranks <= k).astype(np.float64)
    return {
        f"hr@{k}": hit,
        f"recall@{k}": hit / 1.0,  # one relevant item per user
        f"ndcg@{k}": hit / np.log2(ranks + 1.0),
        "mrr": 1.0 / ranks,
    }


def metrics_at_k(ranks: np.ndarray, k: int) -> dict[str, float]:
    """The means over users of `per_user_metrics`."""
    return {name: float(values.mean()) for name, values in per_user_metrics(ranks, k).items()}
