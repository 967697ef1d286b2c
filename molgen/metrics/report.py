"""Metric tables (Markdown, like the MOSES README) and property-distribution plots."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from molgen.metrics.evaluate import MOSES_COLUMNS

PUBLISHED = Path(__file__).parent / "published" / "moses_published.csv"
#: Published rows shown beside ours by default (the issue's baselines).
DEFAULT_BASELINES = ("Train", "CharRNN", "VAE", "JTN-VAE", "DiGress")
_PUBLISHED_NAMES = {"unique@1k": "unique@1000", "unique@10k": "unique@10000"}
_LOWER_IS_BETTER = {"FCD/Test", "FCD/TestSF", "logP", "SA", "QED", "weight"}


def published_rows(models: Sequence[str] = DEFAULT_BASELINES) -> dict[str, dict]:
    """Published MOSES rows (MOSES README; DiGress/DeFoG from a later paper), by model name."""
    table = pd.read_csv(PUBLISHED).rename(columns=_PUBLISHED_NAMES)
    rows = {}
    for model in models:
        match = table[table["model"] == model]
        if match.empty:
            raise KeyError(f"no published row {model!r}; known: {', '.join(table['model'])}")
        row = match.iloc[0].to_dict()
        row["n"] = None if pd.isna(row.get("n_samples")) else int(row["n_samples"])
        rows[f"{model} (published)"] = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
    return rows


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/d"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


#: What a reader of the table needs beside it: four columns are named after properties but are not their values.
TABLE_LEGEND = ("logP, SA, QED and weight are Wasserstein distances between the samples' and the reference's "
                "distributions of that property (0: the same distribution), not property values. FCD depends on n: "
                "compare it at similar n. n/d: not defined.")

#: Beside the measured ceiling rows the command line adds (molgen/metrics/ceiling.py).
CEILING_LEGEND = ("MOSES train itself (the ceiling): MOSES's own training molecules scored as if generated, at each "
                  "row's number of valid molecules (interpolated in 1/n between the sizes measured, 100 to 30,000): "
                  "what a perfect model reads at that n, "
                  "on average (two samples), not a bound: a run of a few hundred molecules or fewer can read above "
                  "it on SNN, Scaf or IntDiv by chance. Below 100 molecules none was measured: the row is n = 100's, "
                  "and fewer molecules read worse still (FCD's bias grows as 1/n).")
#: Beside the published rows: MOSES's README prints Novelty 1.0 for its Train row, which a sample of the training
#: set cannot score (its molecules are all in it); shown as published.
PUBLISHED_LEGEND = ("(published): as printed by MOSES (30,000 samples; the Train row as MOSES's README gives it, its "
                    "Novelty 1.0 included, though training molecules are not novel) and by the papers named in "
                    "molgen/metrics/published/moses_published.csv.")

#: Axis labels of the property plots (the plotted values are the properties themselves).
PLOT_LABELS = {"logP": "logP (Crippen)", "SA": "SA score (1 easy to 10 hard)", "QED": "QED (0 to 1)",
               "weight": "molecular weight (g/mol)"}


def markdown_table(rows: Mapping[str, Mapping], columns: Sequence[str] = MOSES_COLUMNS) -> str:
    """One row per model: n (FCD depends on it), then the metric columns; n/d = not defined."""
    header = ["model", "n"] + list(columns)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, metrics in rows.items():
        n = metrics.get("n")
        lines.append("| " + " | ".join([name, "" if n is None else f"{int(n):,}"] + [_cell(metrics.get(c)) for c in columns]) + " |")
    return "\n".join(lines)


def metrics_frame(rows: Mapping[str, Mapping], columns: Sequence[str] = MOSES_COLUMNS) -> pd.DataFrame:
    """:func:`markdown_table`'s rows as a table of numbers, indexed by model (missing: NaN), for an app to show
    scrollable and sortable."""
    return pd.DataFrame([{"model": name, "n": metrics.get("n"), **{c: _number(metrics.get(c)) for c in columns}}
                         for name, metrics in rows.items()]).set_index("model")


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):   # n/d and the like
        return float("nan")


def property_plots(generated: Mapping[str, Mapping[str, np.ndarray]], reference: Mapping[str, np.ndarray],
                   out_dir: str | Path, reference_name: str = "MOSES test") -> list[Path]:
    """One PNG per property: the reference distribution and each model's, as densities."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for prop, ref_values in reference.items():
        figure, axis = plt.subplots(figsize=(5, 3.5))
        ref_values = np.asarray(ref_values, dtype=float)
        all_values = [ref_values] + [np.asarray(v[prop], dtype=float) for v in generated.values() if len(v[prop])]
        bins = np.histogram_bin_edges(np.concatenate(all_values), bins=60)
        axis.hist(ref_values, bins=bins, density=True, alpha=0.35, color="grey", label=reference_name)
        for model, values in generated.items():
            if len(values[prop]):
                axis.hist(np.asarray(values[prop], dtype=float), bins=bins, density=True, histtype="step", linewidth=1.6, label=model)
        axis.set_xlabel(PLOT_LABELS.get(prop, prop))
        axis.set_ylabel("density")
        axis.legend(fontsize=8)
        figure.tight_layout()
        path = out_dir / f"{prop}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        paths.append(path)
    return paths
