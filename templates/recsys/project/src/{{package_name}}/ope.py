"""Off-policy evaluation: a new policy's click rate estimated from another policy's logs.

The simulator logs one recommendation per user under a known, stochastic logging policy mu
(control's top-m, uniformly, with epsilon exploration over the whole catalogue) and whether it
was clicked. From those logs alone we estimate the click rate of a target policy pi (the new
model's top-m, uniformly) and compare the estimates with the truth the simulator knows and
with an online run of pi:
- `ips`: inverse propensity scoring, mean of w * r with w = pi(a|x) / mu(a|x); unbiased when
  mu > 0 wherever pi > 0, but its variance grows with the weights (Horvitz & Thompson, 1952).
- `snips`: self-normalised IPS, sum(w r) / sum(w); slightly biased, far less variance
  (Swaminathan & Joachims, NeurIPS 2015).
- `doubly_robust`: a reward model's prediction for pi plus the IPS-weighted error of that model
  on the logged action; unbiased if either the propensities or the reward model are right
  (Dudik, Langford, Li, ICML 2011).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Estimate", "doubly_robust", "ips", "snips"]


@dataclass(frozen=True)
class Estimate:
    value: float
    stderr: float  # standard error of the per-user terms' mean (0 for SNIPS's ratio: see below)


def _check(rewards: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r, w = np.asarray(rewards, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    if r.shape != w.shape or r.ndim != 1 or r.size < 2:
        raise ValueError("rewards and weights must be 1-D, the same length, at least two")
    if np.any(w < 0):
        raise ValueError("importance weights cannot be negative")
    return r, w


def ips(rewards: np.ndarray, weights: np.ndarray) -> Estimate:
    """mean(w * r)."""
    r, w = _check(rewards, weights)
    terms = w * r
    return Estimate(float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(terms.size)))


def snips(rewards: np.ndarray, weights: np.ndarray) -> Estimate:
    """sum(w * r) / sum(w), with a delta-method standard error."""
    r, w = _check(rewards, weights)
    if w.sum() <= 0:
        raise ValueError("no logged action has weight under the target policy")
    value = float((w * r).sum() / w.sum())
    residual = w * (r - value) / w.mean()
    return Estimate(value, float(residual.std(ddof=1) / np.sqrt(r.size)))


def doubly_robust(
    rewards: np.ndarray, weights: np.ndarray, q_logged: np.ndarray, q_target: np.ndarray
) -> Estimate:
    """mean(q_target + w * (r - q_logged)).

    `q_logged` is the reward model's prediction for the logged action, `q_target` its expected
    reward under the target policy, both per logged user.
    """
    r, w = _check(rewards, weights)
    terms = np.asarray(q_target, dtype=np.float64) + w * (r - np.asarray(q_logged))
    return Estimate(float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(terms.size)))
