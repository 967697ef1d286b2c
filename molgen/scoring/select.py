"""Picking from a scored table: "the best N, no two more similar than t", and clusters."""

from __future__ import annotations

import pandas as pd

from molgen.chem.parse import to_mol
from molgen.chem.standardize import without_labels
from molgen.scoring.diversity import butina_clusters, diverse_top
from molgen.scoring.similarity import morgan_fingerprint


def _as_booleans(values: pd.Series) -> pd.Series:
    """A column of true/false as booleans, whatever read it: a table of molgen's reader keeps 'True'/'False' as text,
    and every non-empty text is true to ``astype(bool)`` (a review: a scored CSV read back selected nothing)."""
    if values.dtype == bool:
        return values
    text = values.astype("string").str.strip().str.lower()
    known = text.isin(["true", "1", "1.0", "false", "0", "0.0", ""]) | text.isna()
    if not known.all():
        raise ValueError(f"column {values.name!r} holds {values[~known].iloc[0]!r}, not true or false")
    return text.isin(["true", "1", "1.0"]).fillna(False).astype(bool)


def _parent_fingerprint(smiles: str):
    """A row's fingerprint as scoring compares it: a labelled molecule's is its parent's (d3-paracetamol is
    paracetamol to a diversity cut, as to the profile's similarity)."""
    return morgan_fingerprint(without_labels(to_mol(smiles)))


def _ranked_unique(scored: pd.DataFrame) -> pd.DataFrame:
    """The ranked rows, best first, each molecule once: ``score()``'s table marks repeats (``duplicate``); a run's
    candidates or an export hold each once already and have no such column (a review: a KeyError)."""
    if "rank" not in scored.columns:
        raise ValueError("the table has no rank column: give a scored table (score(), a run's candidates, an export)")
    ranks = pd.to_numeric(scored["rank"], errors="coerce")   # an export writes an unranked row's rank empty
    keep = ranks > 0
    if "duplicate" in scored.columns:
        keep &= ~_as_booleans(scored["duplicate"])
    return scored[keep].iloc[ranks[keep].argsort(kind="stable").to_numpy()]


def select_diverse_top(scored: pd.DataFrame, n: int, max_similarity: float = 0.6, *,
                       passing_only: bool = False) -> pd.DataFrame:
    """The best ``n`` distinct valid rows of a scored table (by ``rank``), skipping any row whose
    Morgan Tanimoto similarity to an already chosen one exceeds ``max_similarity``. ``passing_only``: leave out the
    rows failing the profile's hard filters (score 0, ranked last), which a large ``n`` otherwise reaches, as
    ``molgen export --passing-only`` does."""
    if not isinstance(scored, pd.DataFrame):   # a list of SMILES was an AttributeError (a review)
        raise TypeError(f"select_diverse_top takes a scored table (molgen.score(smiles, profile)), not a "
                        f"{type(scored).__name__}")
    if not 0 <= max_similarity <= 1:
        raise ValueError(f"max_similarity must lie in [0, 1], got {max_similarity}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    ranked = _ranked_unique(scored)
    if passing_only and "passes_filters" in ranked:
        ranked = ranked[_as_booleans(ranked["passes_filters"])]
    fps = [_parent_fingerprint(s) for s in ranked["smiles"]]
    kept = diverse_top(fps, range(len(fps)), n, max_similarity)
    return ranked.iloc[kept]


def add_clusters(scored: pd.DataFrame, threshold: float = 0.4) -> pd.DataFrame:
    """A copy of ``scored`` with a ``cluster`` column (Butina at Tanimoto distance ``threshold``;
    -1 for invalid and duplicate rows)."""
    ranked = _ranked_unique(scored)
    labels = butina_clusters([_parent_fingerprint(s) for s in ranked["smiles"]], threshold)
    out = scored.copy()
    out["cluster"] = -1
    out.loc[ranked.index, "cluster"] = labels
    return out
