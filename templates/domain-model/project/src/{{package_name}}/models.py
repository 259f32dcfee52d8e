"""The systems the harness compares, as scikit-learn pipelines built for one dataset.

- `majority`: predicts the positive rate for every row (DummyClassifier): the floor.
- `logreg`: logistic regression; tabular rows are imputed (median, plus a missing-value
  indicator), standardised and one-hot encoded; text is TF-IDF over words and word pairs.
- `logreg_balanced`: the same with class weights inversely proportional to class frequency, one
  way to handle class imbalance (the other, threshold moving, is applied to every system).
- `hgb`: histogram gradient boosting (HistGradientBoostingClassifier), which handles missing
  values and categorical codes natively; for text it runs on TF-IDF reduced by truncated SVD
  (LSA) to a few dense components, since trees on sparse n-grams are slow and weak.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import TruncatedSVD
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from .data import Dataset

__all__ = ["DESCRIPTIONS", "SYSTEMS", "build"]

# One OpenMP thread in this thread too, for when scikit-learn was loaded before this package
# (see __init__.py): on data this size, and on a shared 2-core machine, thread start-up and
# contention cost HistGradientBoosting more than they save (fits measured 10x slower under load).
threadpool_limits(limits=int(os.environ.get("OMP_NUM_THREADS", "1")), user_api="openmp")

SYSTEMS = ("majority", "logreg", "logreg_balanced", "hgb")
DESCRIPTIONS = {
    "majority": "majority-class (positive-rate) baseline",
    "logreg": "logistic regression",
    "logreg_balanced": "class-weighted logistic regression",
    "hgb": "gradient boosting (HistGradientBoosting)",
    "hgb_isotonic": "gradient boosting with isotonic calibration",
}


def _tabular_linear(dataset: Dataset) -> ColumnTransformer:
    mask = dataset.categorical_mask
    numeric = list(np.flatnonzero(~mask))
    categorical = list(np.flatnonzero(mask))
    steps: list[tuple[str, Any, list[Any]]] = []
    if numeric:
        scale = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
        )
        steps.append(("numeric", scale, numeric))
    if categorical:
        steps.append(("categorical", OneHotEncoder(handle_unknown="ignore"), categorical))
    return ColumnTransformer(steps)


def build(name: str, dataset: Dataset, seed: int, quick: bool = False) -> Any:
    """A fresh, unfitted estimator for system `name` on `dataset`."""
    text = dataset.kind == "text"
    if name == "majority":
        return DummyClassifier(strategy="prior")
    if name in ("logreg", "logreg_balanced"):
        weight = "balanced" if name == "logreg_balanced" else None
        # C = 1 (scikit-learn's default); the validation curve in the report shows the alternatives.
        model = LogisticRegression(C=1.0, max_iter=5000, class_weight=weight)
        if text:
            return Pipeline(
                [
                    ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                    ("model", model),
                ]
            )
        return Pipeline([("features", _tabular_linear(dataset)), ("model", model)])
    if name == "hgb":
        # Fixed trees, no early stopping: every fold trains the same model, so folds are comparable.
        boosting = HistGradientBoostingClassifier(
            max_iter=60 if quick else 200,
            learning_rate=0.1,
            max_leaf_nodes=15,
            l2_regularization=1.0,
            categorical_features=None if text else dataset.categorical_mask,
            early_stopping=False,
            random_state=seed,
        )
        if text:
            svd = TruncatedSVD(n_components=min(30, len(dataset.y) // 3), random_state=seed)
            return Pipeline(
                [("tfidf", TfidfVectorizer(sublinear_tf=True)), ("svd", svd), ("model", boosting)]
            )
        return Pipeline([("model", boosting)])
    raise ValueError(f"unknown system {name!r}: choose from {', '.join(SYSTEMS)}")
