"""What a perfect model scores at each sample size: MOSES training molecules measured as if generated.

FCD and Scaf depend strongly on how many molecules are measured. A random sample of the training set itself
reads FCD/Test 12.8 at n = 100 and 0.05 at n = 30,000, so a run of a few hundred molecules must be read
against this ceiling at its own n, not against the published numbers (30,000 samples). Measured with
``python benchmarks/metrics_sample_size.py`` (mean of seeds 0 and 1; n = 30,000 from ``benchmarks/metrics.py``,
seed 0); the table is in ``benchmarks/RESULTS.md`` ("The ceiling of a MOSES sample at each n").
"""

from __future__ import annotations

#: The metrics measured, in the order of each row below.
METRICS = ("FCD/Test", "FCD/TestSF", "SNN/Test", "Frag/Test", "Scaf/Test", "IntDiv")
_MEASURED = {   # n: one value per metric, as in RESULTS
    100: (12.781, 13.173, 0.651, 0.977, 0.178, 0.849),
    300: (4.697, 5.098, 0.643, 0.990, 0.272, 0.855),
    1_000: (1.262, 1.749, 0.644, 0.998, 0.538, 0.856),
    3_000: (0.416, 0.899, 0.643, 0.999, 0.707, 0.856),
    10_000: (0.135, 0.605, 0.643, 1.000, 0.879, 0.857),
    30_000: (0.0483, 0.5322, 0.6420, 0.9999, 0.9475, 0.8568),
}
#: n -> the metrics of n MOSES training molecules against MOSES test and scaffold-test.
CEILING: dict[int, dict[str, float]] = {n: dict(zip(METRICS, row)) for n, row in _MEASURED.items()}


def ceiling_at(n: int) -> tuple[int, dict[str, float], str]:
    """What MOSES training molecules score at ``n`` molecules: the n the numbers are of, the numbers, and how they
    were had, in words. Between two measured sizes each metric is interpolated linearly in 1/n (FCD's bias falls
    as 1/n: the rows at 1,000 and 3,000 give FCD/Test 0.63 at 2,000, where a sample of 2,000 measures 0.62; the
    nearest measured row, 1.262 or 0.416, was off by half or twice). Below the smallest size or above the
    largest, that size's row as measured, with its own n (FCD at 50 molecules is no extrapolation of the rows
    above)."""
    n = max(int(n), 1)
    sizes = sorted(CEILING)
    if n <= sizes[0] or n >= sizes[-1] or n in CEILING:
        size = sizes[0] if n <= sizes[0] else sizes[-1] if n >= sizes[-1] else n
        return size, dict(CEILING[size]), "measured"
    above = next(size for size in sizes if size > n)
    below = sizes[sizes.index(above) - 1]
    weight = (1 / n - 1 / above) / (1 / below - 1 / above)   # 1 at ``below``, 0 at ``above``
    metrics = {name: weight * CEILING[below][name] + (1 - weight) * CEILING[above][name] for name in METRICS}
    return n, metrics, f"interpolated between n = {below:,} and {above:,}"


def ceiling_rows(rows: dict[str, dict]) -> dict[str, dict]:
    """A table row of the ceiling for each evaluated row (name -> metrics) at its number of valid molecules (the
    metrics are computed on those: 1,000 samples at 50% validity read against n = 500), one row per size, smallest
    first: what the command line and the Compare page show beside the rows."""
    out = {}
    for metrics in rows.values():
        size, ceiling, how = ceiling_at(int(metrics.get("n_valid", metrics.get("n")) or 0))
        out[f"MOSES train itself, n = {size:,} (the ceiling, {how})"] = {"n": size, **ceiling}
    return dict(sorted(out.items(), key=lambda item: item[1]["n"]))
