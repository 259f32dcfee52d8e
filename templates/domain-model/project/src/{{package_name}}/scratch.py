"""Logistic regression from scratch: batch gradient descent in NumPy.

It minimises the same objective as scikit-learn's LogisticRegression(C=C) (L2 penalty, the
intercept not penalised), divided by C * n so the step size does not depend on the data size:

    J(w, b) = mean_i log_loss(y_i, sigmoid(x_i . w + b)) + ||w||^2 / (2 C n)

The gradient is X^T (p - y) / n + w / (C n). J is convex with an L-smooth gradient,
L <= lambda_max(X^T X) / (4 n) + 1 / (C n), so the fixed step 1 / L always decreases J. The tests
check that the coefficients and log loss match scikit-learn's on the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["GradientDescentLogReg", "log_loss", "sigmoid"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow for large |z|."""
    out = np.empty_like(z, dtype=float)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1 + e)
    return out


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean negative log-likelihood of 0/1 labels under probabilities p (clipped away from 0/1)."""
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@dataclass
class GradientDescentLogReg:
    """L2-regularised logistic regression fitted by full-batch gradient descent."""

    C: float = 1.0
    max_iter: int = 20_000
    # Stop when the gradient's largest component is this small (J is then near its minimum).
    tol: float = 1e-7
    coef_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    intercept_: float = 0.0
    # The objective J after each step: the loss curve the report plots.
    losses_: list[float] = field(default_factory=list)

    def _objective(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
        n = len(y)
        return log_loss(y, sigmoid(X @ w + b)) + float(w @ w) / (2 * self.C * n)

    def fit(self, X: np.ndarray, y: np.ndarray) -> GradientDescentLogReg:
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        n, d = X.shape
        # Lipschitz constant of the gradient in (w, b): the column of ones carries the intercept.
        Xb = np.column_stack([X, np.ones(n)])
        lipschitz = np.linalg.eigvalsh(Xb.T @ Xb).max() / (4 * n) + 1 / (self.C * n)
        step = 1 / lipschitz
        w, b = np.zeros(d), 0.0
        self.losses_ = [self._objective(X, y, w, b)]
        for _ in range(self.max_iter):
            residual = sigmoid(X @ w + b) - y
            grad_w = X.T @ residual / n + w / (self.C * n)
            grad_b = float(residual.mean())
            w = w - step * grad_w
            b = b - step * grad_b
            self.losses_.append(self._objective(X, y, w, b))
            if max(np.abs(grad_w).max(initial=0.0), abs(grad_b)) < self.tol:
                break
        self.coef_, self.intercept_ = w, b
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(y = 1 | x) for each row (one column, unlike scikit-learn's two)."""
        return sigmoid(np.asarray(X, dtype=float) @ self.coef_ + self.intercept_)
