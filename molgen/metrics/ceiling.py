"""What a perfect model scores at each sample size: MOSES training molecules measured as if generated.

FCD and Scaf depend strongly on how many molecules are measured. A random sample of the training set itself
reads FCD/Test 12.8 at n = 100 and 0.05 at n = 30,000, so a run of a few hundred molecules must be read
against this ceiling at its own n, not against the published numbers (30,000 samples). Measured with
``python benchmarks/metrics_sample_size.py`` (mean of seeds 0 and 1; n = 30,000 from ``benchmarks/metrics.py``,
seed 0); the table is in ``benchmarks/RESULTS.md`` ("The ceiling of a MOSES sample at each n").
"""

from __future__ import annotations

import math

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


def nearest_ceiling(n: int) -> tuple[int, dict[str, float]]:
    """The measured sample size nearest ``n`` (on a log scale) and its metrics."""
    size = min(CEILING, key=lambda measured: abs(math.log(measured) - math.log(max(n, 1))))
    return size, CEILING[size]


def ceiling_rows(rows: dict[str, dict]) -> dict[str, dict]:
    """A table row of the ceiling for each evaluated row (name -> metrics), at the measured size nearest its number
    of valid molecules (the metrics are computed on those: 1,000 samples at 50% validity read against n = 300),
    one row per size, smallest first: what the command line and the Compare page show beside the rows."""
    out = {}
    for metrics in rows.values():
        size, ceiling = nearest_ceiling(int(metrics.get("n_valid", metrics.get("n")) or 0))
        out[f"MOSES train itself, n = {size:,} (the ceiling)"] = {"n": size, **ceiling}
    return dict(sorted(out.items(), key=lambda item: item[1]["n"]))
