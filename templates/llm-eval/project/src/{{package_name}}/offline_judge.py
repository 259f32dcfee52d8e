"""An offline stand-in for an LLM judge, which grades by ROUGE-L against the reference.

It is not a language model, and its replies are labelled as its own (kind `overlap-judge`). It
reads the reference and the answers back out of the prompts that judge.py writes and replies in
the JSON those prompts ask for, so the whole judge path (prompt, reply parsing, cache, position
swapping, agreement with hand labels) runs offline and in CI. For real grading, name a model
under a suite's `judges:` (type `openai`); the agreement report measures it the same way.

    rubric    score 1-5 by the ROUGE-L F1 of the answer against the reference, at the cut points
              0.2, 0.3, 0.4 and 0.5 (fixed before any output was scored); the rubric's wording
              is ignored, which is what its kappa against hand labels shows.
    pairwise  the answer with the higher ROUGE-L wins; within `margin` (0.05) of each other it
              replies "tie". It reads both orders alike, so its position-bias rate is 0 by
              construction: the swap control in judge.py is there for LLM judges, which prefer
              the first answer shown (Zheng et al. 2023).
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .providers import ProviderError
from .scorers import rouge_l
from .suite import Example

__all__ = ["OverlapJudge"]

CUT_POINTS = (0.2, 0.3, 0.4, 0.5)
_RUBRIC = re.compile(r"\nReference: (.*)\nAnswer: (.*)\n\nReply with only", re.DOTALL)
_PAIRWISE = re.compile(
    r"\nReference: (.*)\nAnswer A: (.*)\nAnswer B: (.*)\n\nReply with only", re.DOTALL
)


@dataclass
class OverlapJudge:
    """A deterministic judge provider: replies to judge.py's rubric and pairwise prompts."""

    name: str
    margin: float = 0.05
    kind: str = "overlap-judge"
    cacheable: bool = False  # microseconds per reply: a cache lookup costs as much
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.params = {"margin": self.margin, "cut_points": list(CUT_POINTS)}
        cuts = "/".join(f"{c:g}" for c in CUT_POINTS)
        self.model = f"ROUGE-L grader, cut points {cuts}, tie margin {self.margin:g}"

    def complete(self, prompt: str, example: Example) -> str:
        pairwise = _PAIRWISE.search(prompt)
        if pairwise is not None:
            reference = json.loads(pairwise.group(1))
            first = rouge_l(pairwise.group(2), reference)
            second = rouge_l(pairwise.group(3), reference)
            if abs(first - second) <= self.margin:
                winner = "tie"
                reason = f"ROUGE-L {first:.3f} vs {second:.3f}: within {self.margin:g}, a tie"
            else:
                winner = "A" if first > second else "B"
                reason = f"ROUGE-L {first:.3f} vs {second:.3f} against the reference"
            return json.dumps({"winner": winner, "reason": reason})
        rubric = _RUBRIC.search(prompt)
        if rubric is None:
            raise ProviderError("overlap-judge: the prompt is not one of judge.py's judge prompts")
        overlap = rouge_l(rubric.group(2), json.loads(rubric.group(1)))
        score = 1 + bisect.bisect_right(CUT_POINTS, overlap)
        reason = f"ROUGE-L {overlap:.3f} against the reference"
        return json.dumps({"score": score, "reason": reason})
