"""Combining desirabilities into one score: weighted arithmetic and geometric means."""

from __future__ import annotations

import numpy as np


def _prepare(desirabilities, weights) -> tuple[np.ndarray, np.ndarray]:
    d = np.atleast_2d(np.asarray(desirabilities, dtype=float))
    w = np.asarray(weights, dtype=float)
    if d.shape[1] != len(w):
        raise ValueError(f"{d.shape[1]} desirability columns but {len(w)} weights")
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative and not all zero")
    return d, w / w.sum()


def weighted_arithmetic_mean(desirabilities, weights) -> np.ndarray:
    """Row-wise weighted mean of an ``(n, k)`` array; NaN in any component of positive weight gives NaN (one of
    weight 0 counts for nothing, as in the geometric mean: a review found NaN there)."""
    d, w = _prepare(desirabilities, weights)
    return np.where(w > 0, d, 0.0) @ w


def weighted_geometric_mean(desirabilities, weights) -> np.ndarray:
    """Row-wise weighted geometric mean: any zero component (with positive weight) gives 0.

    This is the usual choice for desirability: a molecule that fails one objective
    completely is not rescued by the others.
    """
    d, w = _prepare(desirabilities, weights)
    with np.errstate(divide="ignore"):
        logs = np.where(w > 0, np.log(np.clip(d, 0.0, None)), 0.0)
    return np.exp(logs @ w)


AGGREGATIONS = {"geometric": weighted_geometric_mean, "arithmetic": weighted_arithmetic_mean}
