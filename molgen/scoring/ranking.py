"""Ordering candidates: Pareto ranks (non-dominated sorting) and ranks by score."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def pareto_ranks(objectives, maximize: Sequence[bool] | bool = True) -> np.ndarray:
    """Non-dominated sorting: rank 1 is the Pareto front, rank 2 the front once 1 is removed, ...

    Args:
        objectives: ``(n, k)`` values; a row with any NaN gets rank 0 (unranked).
        maximize: per objective (or for all), whether larger is better.

    A point dominates another when it is at least as good in every objective and better in
    one. Points are swept in lexicographic order, so each one is compared only with the
    front being built: whatever dominates a point comes earlier in the sweep.
    """
    values = np.atleast_2d(np.asarray(objectives, dtype=float))
    n, k = values.shape
    signs = np.where(np.broadcast_to(np.asarray(maximize), (k,)), 1.0, -1.0)
    values = values * signs  # now every objective is maximised
    ranks = np.zeros(n, dtype=np.int64)
    remaining = np.flatnonzero(~np.isnan(values).any(axis=1))
    # Lexicographic descending order: a dominator always precedes what it dominates.
    remaining = remaining[np.lexsort(tuple(-values[remaining, j] for j in reversed(range(k))))]
    front_number = 0
    while len(remaining):
        front_number += 1
        in_front = _sweep_front(values, remaining)
        ranks[remaining[in_front]] = front_number
        remaining = remaining[~in_front]
    return ranks


def _dominates(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[i, j]``: row ``i`` of ``a`` dominates row ``j`` of ``b`` (all objectives maximised)."""
    ge = (a[:, None, :] >= b[None, :, :]).all(axis=2)
    gt = (a[:, None, :] > b[None, :, :]).any(axis=2)
    return ge & gt


def _sweep_front(values: np.ndarray, order: np.ndarray, block: int = 256) -> np.ndarray:
    """Mask over ``order`` (sorted so dominators come first) of the points on the first front.

    Works in blocks: a point joins the front when neither a front member found so far nor
    an earlier point of its own block dominates it (by transitivity that suffices).
    """
    in_front = np.zeros(len(order), dtype=bool)
    front = np.empty((0, values.shape[1]))
    for start in range(0, len(order), block):
        rows = values[order[start:start + block]]
        free = ~_dominates(front, rows).any(axis=0) if len(front) else np.ones(len(rows), dtype=bool)
        candidates = rows[free]
        within = _dominates(candidates, candidates)
        joined = np.flatnonzero(free)[~within.any(axis=0)]
        in_front[start + joined] = True
        front = np.vstack([front, rows[joined]])
    return in_front


def rank_by_score(scores) -> np.ndarray:
    """1-based ranks, best (highest) score first; equal scores share the lower rank; NaN gets 0."""
    scores = np.asarray(scores, dtype=float)
    ranks = np.zeros(len(scores), dtype=np.int64)
    valid = np.flatnonzero(~np.isnan(scores))
    order = valid[np.argsort(-scores[valid], kind="stable")]
    previous, current = None, 0
    for position, i in enumerate(order, start=1):
        if scores[i] != previous:
            current, previous = position, scores[i]
        ranks[i] = current
    return ranks


def rank_by_pareto_then_score(objectives, scores, maximize: Sequence[bool] | bool = True,
                              fronts: np.ndarray | None = None) -> np.ndarray:
    """Ranks: Pareto front first, within a front by score (ties share a rank); unrankable rows get 0. ``fronts``:
    the objectives' :func:`pareto_ranks`, when computed already (the sort grows with the square of the rows)."""
    fronts = pareto_ranks(objectives, maximize) if fronts is None else np.asarray(fronts)
    scores = np.asarray(scores, dtype=float)
    ok = (fronts > 0) & ~np.isnan(scores)
    order = np.flatnonzero(ok)
    order = order[np.lexsort((-scores[order], fronts[order]))]
    ranks = np.zeros(len(scores), dtype=np.int64)
    previous, current = None, 0
    for position, i in enumerate(order, start=1):
        key = (fronts[i], scores[i])
        if key != previous:
            current, previous = position, key
        ranks[i] = current
    return ranks


def rank_after_hard_filters(scores, aggregate, passes, objectives=None, fronts=None) -> np.ndarray:
    """Ranks with the molecules that fail a hard filter after every one that passes.

    Those passing are ranked by ``scores`` (or, given ``objectives``, Pareto front first, then score). Those
    failing score 0, and a tie would leave their order, and so an export's top N, to chance: they follow
    in the order of ``aggregate``, the score their filter zeroed (a NaN one last). A passing molecule with a
    NaN score gets rank 0 (unranked). ``fronts``: the passing molecules' Pareto fronts (0 for the others), when
    computed already.
    """
    passes = np.asarray(passes, dtype=bool)
    kept = np.where(passes, np.asarray(scores, dtype=float), np.nan)
    if objectives is None:
        first = rank_by_score(kept)
    else:
        objectives = np.asarray(objectives, dtype=float)
        first = rank_by_pareto_then_score(np.where(passes[:, None], objectives, np.nan), kept, fronts=fronts)
    # a failing molecule whose aggregate is NaN still ranks (last), as it did when its score 0 was ranked
    zeroed = np.nan_to_num(np.asarray(aggregate, dtype=float), nan=-np.inf)
    after = rank_by_score(np.where(passes, np.nan, zeroed))
    # numbered after every passing molecule, not after the highest passing rank: with ties among them (25 sharing
    # rank 21 of 44) the failures took ranks 22 and 23, and `rank <= 25` selected them (a review)
    return np.where(after > 0, after + int((first > 0).sum()), first)
