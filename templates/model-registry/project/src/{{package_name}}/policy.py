"""The stage lifecycle and the promotion rules, as pure functions.

    None -> Staging -> Production -> Archived      (the happy path)
    Staging -> None, Staging -> Archived            (withdraw a candidate)
    None -> Archived, Archived -> Staging           (retire; bring back for a rollback)

Only the move into Production is guarded by the policy: the candidate must carry the required
tags and beat the current Production version on the declared metric by the margin. `force`
skips the policy (for a rollback to an older, worse-scoring version) but never the lifecycle,
and the audit log records that it was forced and why. The store calls `decide` while it holds
the model's write lock, so the check and the alias move are one atomic step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .records import PromotionPolicy, Stage

__all__ = ["ALLOWED", "Decision", "decide", "improvement"]

ALLOWED: dict[Stage, frozenset[Stage]] = {
    Stage.NONE: frozenset({Stage.STAGING, Stage.ARCHIVED}),
    Stage.STAGING: frozenset({Stage.PRODUCTION, Stage.NONE, Stage.ARCHIVED}),
    Stage.PRODUCTION: frozenset({Stage.ARCHIVED}),
    Stage.ARCHIVED: frozenset({Stage.STAGING}),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # why it was allowed or refused, in words that go into the audit log


def improvement(candidate: float, incumbent: float, *, greater_is_better: bool) -> float:
    """How much better `candidate` is than `incumbent` (positive = better), in metric units."""
    return candidate - incumbent if greater_is_better else incumbent - candidate


def decide(
    *,
    current: Stage,
    target: Stage,
    policy: PromotionPolicy,
    candidate_metrics: Mapping[str, float],
    candidate_tags: Mapping[str, str],
    production_metrics: Mapping[str, float] | None,
    force: bool = False,
) -> Decision:
    """Decide whether a version at stage `current` may move to `target`.

    `production_metrics` are the metrics of the current Production holder (None if there is
    none). Returns a Decision whose reason is recorded either way.
    """
    if current == target:
        return Decision(False, f"already in {target.value}")
    if target not in ALLOWED[current]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[current])) or "nothing"
        return Decision(
            False,
            f"{current.value} -> {target.value} is not allowed (from {current.value}: {allowed})",
        )
    if target != Stage.PRODUCTION:
        return Decision(True, f"{current.value} -> {target.value}")
    if force:
        return Decision(True, "forced: promotion policy skipped")
    missing = [t for t in policy.required_tags if t not in candidate_tags]
    if missing:
        return Decision(False, f"missing required tags: {', '.join(missing)}")
    value = candidate_metrics.get(policy.metric)
    if value is None or not math.isfinite(value):
        return Decision(False, f"candidate has no value for the declared metric {policy.metric!r}")
    if production_metrics is None:
        return Decision(True, f"no Production version yet; {policy.metric}={value:.6g}")
    incumbent = production_metrics.get(policy.metric)
    if incumbent is None or not math.isfinite(incumbent):
        return Decision(True, f"Production version has no {policy.metric!r}; {value:.6g} wins")
    gain = improvement(value, incumbent, greater_is_better=policy.greater_is_better)
    # A tiny tolerance so that e.g. 0.93 - 0.92 >= 0.01 holds despite binary floating point.
    if gain > 0 and gain >= policy.min_improvement - 1e-12:
        return Decision(
            True,
            f"{policy.metric} {value:.6g} beats Production {incumbent:.6g} by {gain:.6g} "
            f"(margin {policy.min_improvement:g})",
        )
    return Decision(
        False,
        f"{policy.metric} {value:.6g} does not beat Production {incumbent:.6g} by the margin "
        f"{policy.min_improvement:g} (improvement {gain:.6g})",
    )
