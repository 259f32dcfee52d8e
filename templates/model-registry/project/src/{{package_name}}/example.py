"""End-to-end example: train several scikit-learn models, register, promote, load, predict.

Data: the Wisconsin breast cancer set that ships inside scikit-learn (569 rows, 30 features;
no download). Split 60/20/20 into train, validation and test. Each candidate is registered with
its validation accuracy; a validation gate tags it `validated` only if it beats the majority-class
rate; then it goes to Staging and asks for Production. The policy (declared metric
`val_accuracy`, margin 0.005, required tag `validated`) decides; every decision is audited. The
test split is touched once, by the champion, at the end.

    python -m model_registry example
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import NotFoundError, PromotionRefusedError
from .flavours import data_fingerprint
from .registry import Registry

__all__ = ["ExampleResult", "PromotionRow", "run_example"]

MODEL_NAME = "breast-cancer"
METRIC = "val_accuracy"
MARGIN = 0.005  # half a point of accuracy on ~114 validation rows is below one example's worth


@dataclass(frozen=True)
class PromotionRow:
    candidate: str
    version: int
    val_accuracy: float
    validated: bool
    production_before: int | None
    decision: str  # "promoted" or "refused"
    reason: str


@dataclass(frozen=True)
class ExampleResult:
    rows: list[PromotionRow]
    champion_version: int
    champion_test_accuracy: float
    test_rows: int


def _candidates(seed: int) -> list[tuple[str, Any]]:
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    return [
        ("majority-class", DummyClassifier(strategy="most_frequent")),
        ("tree-depth-2", DecisionTreeClassifier(max_depth=2, random_state=seed)),
        ("naive-bayes", GaussianNB()),
        ("knn-15", make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=15))),
        ("logreg-c1", make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))),
        ("forest-100", RandomForestClassifier(n_estimators=100, random_state=seed)),
    ]


def _params(estimator: Any) -> dict[str, Any]:
    return {
        k: v
        for k, v in estimator.get_params(deep=True).items()
        if v is None or isinstance(v, (bool, int, float, str))
    }


def run_example(
    reg: Registry, *, seed: int = 0, name: str = MODEL_NAME, log: Callable[[str], Any] | None = None
) -> ExampleResult:
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    say = log or (lambda _msg: None)
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, test_size=0.4, stratify=y, random_state=seed
    )
    X_val, X_test, y_val, y_test = train_test_split(
        X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=seed
    )
    fingerprint = data_fingerprint(X_train, y_train)
    majority = float(max(np.mean(y_val), 1 - np.mean(y_val)))
    try:
        reg.get_model(name)
    except NotFoundError:
        reg.create_model(
            name,
            metric=METRIC,
            min_improvement=MARGIN,
            required_tags=("validated",),
            description="breast cancer classifier (example)",
        )
    rows: list[PromotionRow] = []
    for label, estimator in _candidates(seed):
        estimator.fit(X_train, y_train)
        accuracy = float(np.mean(estimator.predict(X_val) == y_val))
        mv = reg.register(
            name,
            estimator,
            params=_params(estimator),
            metrics={METRIC: accuracy},
            tags={"candidate": label},
            input_example=X_val[:5],
            data_fingerprint=fingerprint,
            description=f"{label} trained on the 60% split",
        )
        validated = accuracy > majority
        if validated:  # tags may change after registration; the version itself never does
            reg.set_tag(name, mv.version, "validated", f"beats majority rate {majority:.3f}")
        reg.transition(name, mv.version, "Staging", reason=f"candidate {label}")
        before = reg.aliases(name).get("production")
        try:
            result = reg.transition(
                name, mv.version, "Production", reason=f"{label}: {METRIC}={accuracy:.4f}"
            )
            rows.append(PromotionRow(label, mv.version, accuracy, validated, before, "promoted",
                                     result.decision))
        except PromotionRefusedError as exc:
            rows.append(PromotionRow(label, mv.version, accuracy, validated, before, "refused",
                                     str(exc).split("refused: ", 1)[-1]))
        say(f"{label:<15} v{mv.version} {METRIC}={accuracy:.4f} -> {rows[-1].decision}: "
            f"{rows[-1].reason}")
    champion_uri = f"models:/{name}/Production"
    champion = reg.load(champion_uri)
    version = reg.resolve_ref(champion_uri)[1]
    test_accuracy = float(np.mean(champion.predict(X_test) == y_test))
    say(f"champion {champion_uri} = v{version}: test accuracy {test_accuracy:.4f} "
        f"on {len(y_test)} held-out rows")
    return ExampleResult(rows, version, test_accuracy, len(y_test))
