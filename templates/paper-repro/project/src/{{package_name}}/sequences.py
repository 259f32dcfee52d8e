"""Examples as in the paper: predict the next watch from the past, never from the future.

Covington et al. (2016, section 3.5) found that holding out a random watch and feeding the model
the watches around it leaks the future; they predict the user's *next* watch from the watches
before it. Here:

- each user's watches are sorted by time; the last one is the test target (leave-last);
- every earlier position t >= 1 gives one training example: context = the up to `history`
  watches before t, label = the watch at t, example age = how long before the end of training
  it happened (section 3.3), scaled to [0, 1];
- at most `max_examples_per_user` examples per user (the latest), so heavy users do not dominate
  the loss (section 3.5);
- the test example's context is the user's whole training history and its age is 0, as at
  serving time.

A context is a row of item indices padded with 0 on the left, so column -1 is the last watch.
Item indices are 1..n_items (0 is padding); `item_ids[i - 1]` is the raw id of index i.

One known leak stays, as in the paper's protocol: the holdout is per user, so other users'
watches from after a user's test time are in training. `describe_protocol` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import DataError, WatchLog

__all__ = ["Examples", "SequenceData", "build_examples", "describe_protocol"]

MIN_WATCHES = 3  # two to learn from (one context, one label) and one to hold out


@dataclass(frozen=True)
class Examples:
    """Model inputs: contexts (n, history) of item indices, example ages (n,), labels (n,)."""

    contexts: np.ndarray
    ages: np.ndarray
    labels: np.ndarray
    users: np.ndarray  # user index of each example

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class SequenceData:
    """Indexed watch sequences split into training examples and one test example per user."""

    train: Examples
    test: Examples
    item_ids: np.ndarray  # raw id of item index i is item_ids[i - 1]
    user_ids: np.ndarray  # raw id of user index u is user_ids[u]
    histories: list[np.ndarray]  # user index -> training watches (item indices), in time order
    history: int
    dropped_users: int  # users with fewer than MIN_WATCHES watches (not evaluated)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def seen(self, users: np.ndarray) -> list[np.ndarray]:
        """Item indices each user watched in training: never recommended back to them."""
        return [self.histories[int(u)] for u in users]

    def train_counts(self) -> np.ndarray:
        """Training watches per item index (length n_items + 1; index 0 is padding, count 0)."""
        counts = np.zeros(self.n_items + 1, dtype=np.float64)
        for watches in self.histories:
            np.add.at(counts, watches, 1.0)
        return counts


def _context(watches: np.ndarray, end: int, history: int) -> np.ndarray:
    row = np.zeros(history, dtype=np.int64)
    past = watches[max(0, end - history) : end]
    if len(past):
        row[-len(past) :] = past
    return row


def build_examples(
    log: WatchLog, *, history: int = 50, max_examples_per_user: int | None = 100
) -> SequenceData:
    """Sort each user's watches by time and build the next-watch examples described above."""
    if history < 1:
        raise ValueError("history must be at least 1")
    item_ids, item_index = np.unique(log.items, return_inverse=True)
    item_index = item_index.astype(np.int64) + 1
    user_ids, user_index = np.unique(log.users, return_inverse=True)
    order = np.lexsort((np.arange(len(log)), log.timestamps, user_index))  # stable within user
    bounds = np.searchsorted(user_index[order], np.arange(len(user_ids) + 1))
    sequences: list[tuple[np.ndarray, np.ndarray]] = []
    dropped = 0
    for u in range(len(user_ids)):
        rows = order[bounds[u] : bounds[u + 1]]
        if len(rows) < MIN_WATCHES:
            dropped += 1
        sequences.append((item_index[rows], log.timestamps[rows]))
    kept = [u for u, (items, _) in enumerate(sequences) if len(items) >= MIN_WATCHES]
    if not kept:
        raise DataError(
            f"every user has fewer than {MIN_WATCHES} watches: the next-watch holdout needs two"
            " earlier watches to learn from and one to hold out"
        )
    train_end = max(int(sequences[u][1][-2]) for u in kept)
    train_start = min(int(sequences[u][1][0]) for u in kept)
    scale = max(train_end - train_start, 1)

    histories: list[np.ndarray] = []
    train_rows: list[tuple[np.ndarray, float, int, int]] = []
    test_rows: list[tuple[np.ndarray, float, int, int]] = []
    for u, (items, stamps) in enumerate(sequences):
        if len(items) < MIN_WATCHES:
            histories.append(items)  # not evaluated, but what they watched is still seen
            continue
        train_items, train_stamps = items[:-1], stamps[:-1]
        histories.append(train_items)
        positions = range(1, len(train_items))
        if max_examples_per_user is not None:
            positions = positions[-max_examples_per_user:]
        for t in positions:
            age = (train_end - int(train_stamps[t])) / scale
            train_rows.append((_context(train_items, t, history), age, int(train_items[t]), u))
        test_rows.append((_context(items, len(items) - 1, history), 0.0, int(items[-1]), u))
    return SequenceData(
        train=_stack(train_rows, history),
        test=_stack(test_rows, history),
        item_ids=item_ids,
        user_ids=user_ids,
        histories=histories,
        history=history,
        dropped_users=dropped,
    )


def _stack(rows: list[tuple[np.ndarray, float, int, int]], history: int) -> Examples:
    if not rows:
        return Examples(
            np.zeros((0, history), np.int64), np.zeros(0), np.zeros(0, np.int64), np.zeros(0)
        )
    return Examples(
        contexts=np.stack([r[0] for r in rows]),
        ages=np.asarray([r[1] for r in rows], dtype=np.float32),
        labels=np.asarray([r[2] for r in rows], dtype=np.int64),
        users=np.asarray([r[3] for r in rows], dtype=np.int64),
    )


def describe_protocol(data: SequenceData) -> str:
    """The holdout as a claim must state it."""
    return (
        f"next-watch holdout (each of {len(data.test)} users' last watch is the test target,"
        f" predicted from earlier watches only; full ranking of all {data.n_items} items)"
    )
