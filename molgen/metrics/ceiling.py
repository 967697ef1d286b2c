"""What a perfect model scores at each sample size: MOSES training molecules measured as if generated.

FCD and Scaf depend strongly on how many molecules are measured. A random sample of the training set itself
reads FCD/Test 12.8 at n = 100 and 0.05 at n = 30,000, so a run of a few hundred molecules must be read
against this ceiling at its own n, not against the published numbers (30,000 samples). Measured with
``python benchmarks/metrics_sample_size.py`` (mean of seeds 0 and 1; n = 30,000 from ``benchmarks/metrics.py``,
seed 0); the table is in ``benchmarks/RESULTS.md`` ("The ceiling of a MOSES sample at each n").
"""

from __future__ import annotations

import math

#: n -> the metrics of n MOSES training molecules against MOSES test and scaffold-test.
CEILING: dict[int, dict[str, float]] = {
    100: {"FCD/Test": 12.781, "FCD/TestSF": 13.173, "SNN/Test": 0.651, "Frag/Test": 0.977, "Scaf/Test": 0.178,
          "IntDiv": 0.849},
    300: {"FCD/Test": 4.697, "FCD/TestSF": 5.098, "SNN/Test": 0.643, "Frag/Test": 0.990, "Scaf/Test": 0.272,
          "IntDiv": 0.855},
    1_000: {"FCD/Test": 1.262, "FCD/TestSF": 1.749, "SNN/Test": 0.644, "Frag/Test": 0.998, "Scaf/Test": 0.538,
            "IntDiv": 0.856},
    3_000: {"FCD/Test": 0.416, "FCD/TestSF": 0.899, "SNN/Test": 0.643, "Frag/Test": 0.999, "Scaf/Test": 0.707,
            "IntDiv": 0.856},
    10_000: {"FCD/Test": 0.135, "FCD/TestSF": 0.605, "SNN/Test": 0.643, "Frag/Test": 1.000, "Scaf/Test": 0.879,
             "IntDiv": 0.857},
    30_000: {"FCD/Test": 0.0483, "FCD/TestSF": 0.5322, "SNN/Test": 0.6420, "Frag/Test": 0.9999, "Scaf/Test": 0.9475,
             "IntDiv": 0.8568},
}


def nearest_ceiling(n: int) -> tuple[int, dict[str, float]]:
    """The measured sample size nearest ``n`` (on a log scale) and its metrics."""
    size = min(CEILING, key=lambda measured: abs(math.log(measured) - math.log(max(n, 1))))
    return size, CEILING[size]
