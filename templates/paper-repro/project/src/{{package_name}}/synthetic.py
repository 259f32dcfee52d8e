"""A seeded synthetic watch log with the three signals the paper's model is built to use.

No file and no network: the demo, the tests and `eval` (by default) run on it. Each signal is a
knob, so an ablation has something to find:

- long-term taste: each user prefers a few topics (Dirichlet), so the average of past watches
  predicts the next one (the paper's mean-pooled watch history);
- sequence: with probability `p_next_episode` the next watch is the next episode of the series
  just watched, so the last watch carries information the average blurs (last-item pooling);
- freshness: items are released over time and their appeal decays with age (`freshness_days`),
  so popularity depends on when an example happened (the paper's "example age" feature).

Ids are 1-based like MovieLens; timestamps are seconds. `titles` names every item by its topic
and episode ("Chess, episode 3"), so the demo page shows whether recommendations match a history.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import WatchLog

__all__ = ["QUICK_SYNTHETIC", "TOPICS", "SyntheticConfig", "SyntheticLog", "generate"]

TOPICS = (
    "Chess", "Cooking", "Jazz", "Space", "Football", "Woodwork", "Poetry", "Robots",
    "Gardening", "Anime", "History", "Surfing", "Origami", "Birds", "Trains", "Magic",
)  # fmt: skip
DAY = 86_400


@dataclass(frozen=True)
class SyntheticConfig:
    """The size of the log and the strength of each signal."""

    n_users: int = 800
    n_items: int = 600
    n_topics: int = 12  # at most len(TOPICS)
    mean_watches: float = 30.0  # per user; at least `min_watches`
    min_watches: int = 5
    days: float = 365.0  # items are released over the first 80% of this span
    topic_concentration: float = 0.3  # Dirichlet alpha: small -> users stick to few topics
    p_next_episode: float = 0.35  # chance the next watch continues the last series
    freshness_days: float = 60.0  # an item's appeal halves every this many days after release
    seed: int = 0


# `--quick`: small enough to generate and train on in seconds.
QUICK_SYNTHETIC = SyntheticConfig(n_users=150, n_items=120, mean_watches=14)


@dataclass(frozen=True)
class SyntheticLog:
    log: WatchLog
    titles: dict[int, str]  # item id -> "Topic, episode n"
    topics: np.ndarray  # topic of item id i at index i - 1


def generate(config: SyntheticConfig = SyntheticConfig()) -> SyntheticLog:
    """Simulate every user's watch sequence; the same config and seed give the same log."""
    c = config
    if not 1 <= c.n_topics <= len(TOPICS):
        raise ValueError(f"n_topics must be 1 to {len(TOPICS)}, got {c.n_topics}")
    if c.n_items < c.n_topics or c.n_users < 1 or c.min_watches < 1:
        raise ValueError("n_items must be >= n_topics, n_users and min_watches >= 1")
    rng = np.random.default_rng(c.seed)
    topics = rng.permutation(np.arange(c.n_items) % c.n_topics)
    span = c.days * DAY
    release = np.sort(rng.uniform(0, 0.8 * span, c.n_items))
    release[: c.n_topics] = 0.0  # something to watch from day one
    quality = rng.normal(0.0, 0.5, c.n_items)
    # Episodes: a topic's items in release order form one series; next[i] continues item i.
    episode = np.zeros(c.n_items, dtype=np.int64)
    successor = np.full(c.n_items, -1, dtype=np.int64)
    for topic in range(c.n_topics):
        members = np.flatnonzero(topics == topic)  # already in release order
        episode[members] = np.arange(1, len(members) + 1)
        successor[members[:-1]] = members[1:]
    decay = np.log(2) / (c.freshness_days * DAY)

    users, items, stamps = [], [], []
    for user in range(c.n_users):
        taste = np.log(rng.dirichlet(np.full(c.n_topics, c.topic_concentration)) + 1e-6)
        n = max(c.min_watches, int(rng.poisson(c.mean_watches)))
        t = rng.uniform(0, 0.7 * span)
        gap = (span - t) / (n + 1)
        watched = np.zeros(c.n_items, dtype=bool)
        last = -1
        for _ in range(n):
            t += rng.exponential(gap)
            available = (release <= t) & ~watched
            if not available.any():
                break
            nxt = successor[last] if last >= 0 else -1
            if nxt >= 0 and available[nxt] and rng.random() < c.p_next_episode:
                choice = int(nxt)
            else:
                logits = taste[topics] + quality - decay * (t - release)
                logits = np.where(available, logits, -np.inf)
                p = np.exp(logits - logits.max())
                choice = int(rng.choice(c.n_items, p=p / p.sum()))
            watched[choice] = True
            last = choice
            users.append(user + 1)
            items.append(choice + 1)
            stamps.append(int(t))
    titles = {i + 1: f"{TOPICS[topics[i]]}, episode {episode[i]}" for i in range(c.n_items)}
    log = WatchLog(
        np.asarray(users, dtype=np.int64),
        np.asarray(items, dtype=np.int64),
        np.asarray(stamps, dtype=np.int64),
    )
    return SyntheticLog(log, titles, topics)
